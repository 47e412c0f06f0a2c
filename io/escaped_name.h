// File names are bytes on Linux, JSON strings are UTF-8: a name that is not valid UTF-8 cannot be stored
// in corpus.json as it is (nlohmann::json refuses to write it). Such names are stored with each byte
// that is not part of a valid UTF-8 sequence written as the four characters \xNN (hex), the way Python's
// "backslashreplace" shows them; valid names are stored unchanged.
#pragma once
#include <string>
#include <string_view>

namespace bf {

bool is_valid_utf8(std::string_view text);
std::string escape_invalid_utf8(std::string_view text);

}  // namespace bf
