// The strict JSON reader every config text goes through (train/config.h: a config file, a --set value,
// a checkpoint's saved config).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace bf {

// Every config JSON text (a file, a --set value, checkpoint metadata) is read by parse_json_text, which
// refuses what nlohmann::json alone would accept or mishandle:
//  - a repeated key: nlohmann keeps the last of two equal keys, so {"lr": 1, "lr": 2} would silently
//    drop one; the message names the key's full path;
//  - nesting deeper than kMaxJsonDepth: a config needs 3 levels, and later recursive walks over a value
//    (dump, copy, ==) nested ~100,000 deep overflow the stack;
//  - a number that overflows a double (1e999): nlohmann throws json::out_of_range for it, not
//    parse_error, which escaped every handler as an uncaught exception (found by fuzz/config_fuzz).
// The parse callback sees each key and each container as it is read, before the value is built.
inline constexpr int kMaxJsonDepth = 64;

// Returns "" and sets `out`, or returns why `text` is not JSON at all (nlohmann's message: line, column,
// last token read), for the caller to report or not; throws bf::Error, prefixed by `source`, for JSON
// that is refused.
std::string parse_json_text(const std::string& text, const std::string& source, nlohmann::json& out);

}  // namespace bf
