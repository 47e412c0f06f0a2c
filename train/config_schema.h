// The config schema: every field of Config (train/config.h) declared once, with its JSON path, type,
// range, default and documentation (build_schema in train/config_schema.cpp). Parsing, validation, the
// resolved config written to a run folder and docs/config.md all read this one list. Shared by the
// config_*.cpp files; nothing outside train/config*.cpp needs it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/config.h"

namespace bf {

// One field of the schema: where it lives in the JSON, how to read and write it, and its documentation.
struct Field {
  std::string path;  // "model.block.b_FF"
  std::string type;  // "integer in [1, 64]", "number", "boolean", "string", "one of: a, b"
  std::string doc;
  std::function<void(Config&, const nlohmann::json&)> set;  // validates the value (bf::Error naming path) and assigns
  std::function<nlohmann::json(const Config&)> get;
};

const std::vector<Field>& config_schema();             // in the order of docs/config.md
const Field* find_field(const std::string& path);       // nullptr when no field has that path
bool is_section(const std::string& path);               // "model.block": a prefix of some field's path
std::vector<std::string> keys_under(const std::string& section);  // "" for the top level
std::string json_type_name(const nlohmann::json& v);    // "a string", "an object", ...

}  // namespace bf
