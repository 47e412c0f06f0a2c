#include "io/json_text.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "core/error.h"

namespace bf {
namespace {

using nlohmann::json;

// "; JSON has no NaN or Infinity ..." when the parse error at 1-based byte `byte` is inside such a word.
std::string literal_hint(const std::string& text, size_t byte) {
  if (text.empty()) return "";
  size_t end = std::min(byte, text.size());
  size_t begin = end > 0 ? end - 1 : 0;
  auto alpha = [&](size_t i) { return std::isalpha(static_cast<unsigned char>(text[i])) != 0; };
  while (begin > 0 && alpha(begin - 1)) --begin;
  while (end < text.size() && alpha(end)) ++end;
  std::string word = text.substr(begin, end - begin);
  for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (word == "nan" || word == "inf" || word == "infinity")
    return "; JSON has no NaN or Infinity: a config number must be finite";
  return "";
}

}  // namespace

std::string parse_json_text(const std::string& text, const std::string& source, json& out) {
  struct Open {
    bool object;
    std::set<std::string> keys;  // keys read so far (objects)
    std::string key;             // the key whose value is being read (objects)
  };
  std::vector<Open> open;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth)
          fail(source, ": JSON nested more than ", kMaxJsonDepth, " levels deep (a config has 3: model.block.b_FF)");
        open.push_back({event == json::parse_event_t::object_start, {}, {}});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty()) {
          const std::string& key = parsed.get_ref<const std::string&>();
          if (!open.back().keys.insert(key).second) {
            std::string where;
            for (size_t i = 0; i + 1 < open.size(); ++i)
              where += open[i].object ? (where.empty() ? "" : ".") + open[i].key : "[]";
            where += (where.empty() ? "" : ".") + key;
            fail(source, ": duplicate key \"", where, "\" (JSON would keep only the last one; remove the other)");
          }
          open.back().key = key;
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    out = json::parse(text, on_event);
  } catch (const json::parse_error& e) {
    return e.what() + literal_hint(text, e.byte);
  } catch (const json::out_of_range& e) {  // 406: number overflow parsing '1e999'
    fail(source, ": ", e.what(), "; config numbers must be finite");
  } catch (const json::exception& e) {  // a net: nlohmann documents no other parse exception
    fail(source, ": not valid JSON (", e.what(), ")");
  }
  return "";
}

}  // namespace bf
