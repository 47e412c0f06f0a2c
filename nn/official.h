// Which configuration of the authors' code (github.com/bobby-he/simplified_transformers, run_clm.py) a
// model reproduces. docs/blocks.md, "Provenance", has the field-by-field account behind each entry.
#pragma once
#include <string>
#include <vector>

#include "nn/spec.h"

namespace bf {

struct OfficialConfiguration {
  std::string preset;     // the bareformer preset that is this configuration
  std::string overrides;  // run_clm.py's hydra arguments, e.g. "model=skipless"
  std::string where;      // where in the authors' repository that run is (or "no script runs it")
};

// One entry per official preset, in preset_names() order; the alternates have none.
const std::vector<OfficialConfiguration>& official_configurations();

// The official configuration whose block `config` builds: its BlockConfig equals that preset's, and the
// model fields the authors' code fixes match it (ReLU, or leaky_relu of slope 0; MLP ratio 4; init std 0.02;
// norm eps 1e-5). Sizes, dtype and the position table are not part of a configuration. nullptr if none.
const OfficialConfiguration* matching_official_configuration(const ModelConfig& config);

// One line for `describe`: "official configuration: ..." or "not an official configuration (...)".
std::string official_configuration_line(const ModelConfig& config);

}  // namespace bf
