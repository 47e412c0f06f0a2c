#include "train/config.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/closest_match.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/json_text.h"
#include "train/config_checks.h"
#include "train/config_override.h"
#include "train/config_schema.h"

namespace bf {
namespace {

using nlohmann::json;

[[noreturn]] void unknown_key(const std::string& source, const std::string& section, const std::string& key) {
  const std::string path = section.empty() ? key : section + "." + key;
  const std::string best = closest_match(key, keys_under(section));
  std::string hint = best.empty() ? "" : " (did you mean \"" + (section.empty() ? best : section + "." + best) + "\"?)";
  fail(source, ": unknown key \"", path, "\"", hint);
}

// Walks the document: every object key must be a section or a field; fields are collected in order.
void collect(const json& node, const std::string& section, const std::string& source,
             std::vector<std::pair<const Field*, const json*>>& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string path = section.empty() ? it.key() : section + "." + it.key();
    if (const Field* field = find_field(path)) {
      out.push_back({field, &it.value()});
    } else if (path == "model.block.post_ln" && it.value().is_boolean()) {
      // Configs and checkpoints written before model.block.norm_position: post_ln = true was the textbook
      // Post-LN (now "post_textbook"), false the pre-norm block.
      static const json textbook = "post_textbook", pre = "pre";
      out.push_back({find_field("model.block.norm_position"), it.value().get<bool>() ? &textbook : &pre});
    } else if (is_section(path)) {
      if (!it.value().is_object()) fail(source, ": ", path, ": expected an object (a section), got ", json_type_name(it.value()));
      collect(it.value(), path, source, out);
    } else {
      unknown_key(source, section, it.key());
    }
  }
}

Config parse_config_from(const json& doc, const std::string& source, const std::vector<std::string>& overrides) {
  BF_CHECK(doc.is_object(), source, ": the config must be a JSON object with sections model, data, optim, schedule, run");
  std::vector<std::pair<const Field*, const json*>> present;
  collect(doc, "", source, present);

  Config config;
  auto set = [&](const Field* field, const json& value) {
    try {
      field->set(config, value);
    } catch (const Error& e) {
      fail(source_of(field->path, source, overrides), ": ", e.what());
    }
  };
  // The preset first: it sets every model.block default that the explicit keys then override.
  for (const auto& [field, value] : present)
    if (field->path == "model.preset") {
      set(field, *value);
      config.model.block = preset_block_config(config.model.preset);
    }
  for (const auto& [field, value] : present)
    if (field->path != "model.preset") set(field, *value);
  check_config_fields(config, source);
  return config;
}

}  // namespace

Config parse_config(const json& doc, const std::string& source) { return parse_config_from(doc, source, {}); }

Config parse_config_text(const std::string& text, const std::string& source) {
  json doc;
  const std::string not_json = parse_json_text(text, source, doc);
  BF_CHECK(not_json.empty(), source, ": not valid JSON (", not_json, ")");
  return parse_config(doc, source);
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  BF_CHECK(!std::filesystem::is_directory(path), path, ": is a directory, not a config file");
  // A device or FIFO (/dev/zero) would be read without end, or block: refused before it is opened.
  const std::string kind = non_regular_file_kind(path);
  BF_CHECK(kind.empty(), path, ": not a regular file (", kind, "), not a config file");
  std::ifstream in(path, std::ios::binary);
  BF_CHECK(in.good(), path, ": cannot open the config file (", std::strerror(errno), ")");
  std::ostringstream text;
  text << in.rdbuf();
  BF_CHECK(!in.bad(), path, ": cannot read the config file");
  json doc;
  const std::string not_json = parse_json_text(text.str(), path, doc);
  BF_CHECK(not_json.empty(), path, ": not valid JSON (", not_json, ")");
  for (const std::string& o : overrides) apply_override(doc, o);
  return parse_config_from(doc, path, overrides);
}

json to_json(const Config& config) {
  json doc = json::object();
  for (const Field& f : config_schema()) {
    json* node = &doc;
    std::string path = f.path;
    size_t dot;
    while ((dot = path.find('.')) != std::string::npos) {
      node = &(*node)[path.substr(0, dot)];
      path = path.substr(dot + 1);
    }
    (*node)[path] = f.get(config);
  }
  return doc;
}

std::string config_reference_markdown() {
  const Config defaults;
  std::ostringstream out;
  out << "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const Field& f : config_schema()) {
    std::string def = f.get(defaults).dump();
    out << "| `" << f.path << "` | " << f.type << " | `" << def << "` | " << f.doc << " |\n";
  }
  return out.str();
}

}  // namespace bf
