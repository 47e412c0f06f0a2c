// The checks that read more than one config field, run after every field has been read and range-checked
// on its own (train/config_schema.cpp).
#pragma once
#include <string>

#include "train/config.h"

namespace bf {

// bf::Error prefixed by `source` (the config file) naming the fields that disagree.
void check_config_fields(const Config& config, const std::string& source);

}  // namespace bf
