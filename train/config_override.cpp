#include "train/config_override.h"

#include "core/error.h"
#include "io/json_text.h"
#include "train/config.h"

namespace bf {

using nlohmann::json;

std::string quote_override(const std::string& assignment) {
  std::string quoted = assignment;
  if (quoted.size() > 100) {
    size_t cut = 97;
    while (cut > 0 && (static_cast<unsigned char>(quoted[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    quoted = quoted.substr(0, cut) + "...";
  }
  return "--set \"" + quoted + "\"";
}

std::string source_of(const std::string& field_path, const std::string& file_source,
                      const std::vector<std::string>& overrides) {
  for (auto it = overrides.rbegin(); it != overrides.rend(); ++it) {
    const std::string path = it->substr(0, it->find('='));
    if (field_path == path || field_path.rfind(path + ".", 0) == 0) return quote_override(*it);
  }
  return file_source;
}

void apply_override(json& doc, const std::string& assignment) {
  // A --set value that is not UTF-8 would be stored as a JSON string that cannot be written back out
  // (json::dump throws json::type_error on it, which escaped as an uncaught exception when an error
  // message quoted the value, or when the trainer saved the resolved config), so it is refused here.
  // The message shows the assignment with each invalid byte replaced by U+FFFD.
  try {
    (void)json(assignment).dump();
  } catch (const json::type_error&) {
    const std::string shown = json(assignment).dump(-1, ' ', false, json::error_handler_t::replace);
    fail("--set ", shown, ": not valid UTF-8");
  }
  const std::string quoted = quote_override(assignment);
  const size_t eq = assignment.find('=');
  BF_CHECK(eq != std::string::npos && eq > 0, quoted, ": expected PATH=VALUE, e.g. model.block.b_FF=0.2");
  const std::string path = assignment.substr(0, eq), text_value = assignment.substr(eq + 1);
  json value;
  if (!parse_json_text(text_value, quoted, value).empty()) value = text_value;  // not JSON: a bare word (sas_p)
  json* node = &doc;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    BF_CHECK(!key.empty(), quoted, ": empty key in path \"", path, "\"");
    BF_CHECK(node->is_object(), quoted, ": ",
             start == 0 ? std::string("the config is not a JSON object") : path.substr(0, start - 1) + " is not a section");
    if (dot == std::string::npos) {
      (*node)[key] = std::move(value);
      return;
    }
    if (!node->contains(key)) (*node)[key] = json::object();
    node = &(*node)[key];
    start = dot + 1;
  }
}

}  // namespace bf
