// `--set PATH=VALUE` (apply_override in train/config.h), and how messages name an override.
#pragma once
#include <string>
#include <vector>

namespace bf {

// --set "PATH=VALUE" for messages, cut short: a --set value may be megabytes long.
std::string quote_override(const std::string& assignment);

// Where the value of a field came from: the --set assignment whose path is the field or a section above
// it (the last such, as the last one wins), else the config file.
std::string source_of(const std::string& field_path, const std::string& file_source,
                      const std::vector<std::string>& overrides);

}  // namespace bf
