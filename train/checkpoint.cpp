#include "train/checkpoint.h"

#include <sstream>

#include "io/atomic_file.h"
#include "train/checkpoint_validation.h"
#include "train/memory_estimate.h"
#include "train/provenance.h"
#include "io/safetensors.h"

namespace bf {
namespace {

std::string state_to_string(const Rng::State& s) {
  std::ostringstream out;
  for (size_t i = 0; i < s.size(); ++i) out << (i ? " " : "") << s[i];
  return out.str();
}

const std::string& metadata(const SafetensorsContents& c, const std::string& key, const std::string& path) {
  auto it = c.metadata.find(key);
  BF_CHECK(it != c.metadata.end(), path, ": not a bareformer checkpoint (metadata \"", key, "\" is missing)");
  return it->second;
}

CheckpointInfo info_from(const SafetensorsContents& c, const std::string& path) {
  BF_CHECK(metadata(c, "format", path) == kCheckpointFormat, path, ": checkpoint format \"", metadata(c, "format", path),
           "\" is not ", kCheckpointFormat);
  CheckpointInfo info;
  // The strict reader: a hostile checkpoint's metadata may hold 1e999 or JSON nested 100,000 deep.
  info.config = parse_config_text(metadata(c, "config", path), path + " (metadata config)");
  info.step = parse_checkpoint_step(metadata(c, "step", path), path);
  info.sampler_state = parse_sampler_state(metadata(c, "sampler_state", path), path);
  if (auto it = c.metadata.find("val_data"); it != c.metadata.end()) info.val_data = it->second;
  // The tensors against the config, before anything is built from it (checkpoint_validation.h).
  check_tensor_table(c, info.config, path);
  check_finite_parameters(c, path);
  return info;
}

}  // namespace

void save_checkpoint(const std::string& path, const Config& config, const Gpt& model, const Optimizer* optimizer,
                     int64_t step, const Rng::State& sampler_state, const std::string& val_data) {
  std::vector<NamedTensor> tensors;
  for (const Parameter& p : model.parameters().all()) tensors.push_back({p.name, p.value});
  if (optimizer)
    for (auto& [name, t] : optimizer->state()) tensors.push_back({name, t});
  std::map<std::string, std::string> meta = {{"format", kCheckpointFormat},
                                             {"config", to_json(config).dump()},
                                             {"step", std::to_string(step)},
                                             {"sampler_state", state_to_string(sampler_state)},
                                             {"dtype", std::string(dtype_name(model.dtype()))},
                                             {"bareformer_version", build_version()},
                                             {"bareformer_commit", build_commit()}};
  if (!val_data.empty()) meta["val_data"] = val_data;
  save_safetensors(path, tensors, meta);
}

// A checkpoint is read whole into memory: no larger than the memory limit.
static SafetensorsContents read_checkpoint_file(const std::string& path) {
  return decode_safetensors(read_whole_file(path, static_cast<uint64_t>(memory_limit().bytes)), path);
}

CheckpointInfo read_checkpoint_info(const std::string& path) { return info_from(read_checkpoint_file(path), path); }

CheckpointInfo load_checkpoint(const std::string& path, Gpt& model, Optimizer* optimizer) {
  SafetensorsContents c = read_checkpoint_file(path);
  CheckpointInfo info = info_from(c, path);
  std::vector<std::pair<std::string, Tensor>> by_name;
  for (auto& t : c.tensors) by_name.push_back({t.name, t.tensor});
  auto find = [&](const std::string& name) -> const Tensor* {
    for (const auto& [n, t] : by_name)
      if (n == name) return &t;
    return nullptr;
  };
  // The parameters' dtype is the run's model.dtype (config metadata; "dtype" repeats it for other readers).
  // There is no conversion: an f64 run resumed in f32 would not be the run it claims to continue.
  const DType recorded = info.config.model.dtype;
  if (auto it = c.metadata.find("dtype"); it != c.metadata.end())
    BF_CHECK(it->second == dtype_name(recorded), path, ": metadata dtype \"", it->second, "\" disagrees with its config's model.dtype \"",
             dtype_name(recorded), "\"");
  BF_CHECK(recorded == model.dtype(), path, ": the checkpoint was trained in ", dtype_name(recorded), " (model.dtype \"",
           dtype_name(recorded), "\"), the model it is loaded into is ", dtype_name(model.dtype()), "; load it with model.dtype \"",
           dtype_name(recorded), "\"");
  for (const Parameter& p : model.parameters().all()) {
    const Tensor* saved = find(p.name);
    BF_CHECK(saved != nullptr, path, ": parameter \"", p.name, "\" is missing (the checkpoint is of preset \"",
             info.config.model.preset, "\", the model is \"", model.config().preset, "\")");
    BF_CHECK(saved->shape() == p.value.shape(), path, ": parameter \"", p.name, "\" has shape ", saved->shape(),
             ", the model needs ", p.value.shape());
    BF_CHECK(saved->dtype() != DType::i32, path, ": parameter \"", p.name, "\" is stored as i32");
    BF_CHECK(saved->dtype() == recorded, path, ": parameter \"", p.name, "\" is stored as ", dtype_name(saved->dtype()),
             ", but the checkpoint's model.dtype is ", dtype_name(recorded));
    Tensor target = p.value;
    target.copy_from(saved->to(p.value.dtype()).to(p.value.device()));
  }
  for (const auto& [name, t] : by_name)
    BF_CHECK(name.rfind("optim.", 0) == 0 || model.parameters().find(name) != nullptr, path, ": tensor \"", name,
             "\" is not a parameter of this model (the checkpoint is of preset \"", info.config.model.preset,
             "\", the model is \"", model.config().preset, "\")");
  if (optimizer) {
    try {
      optimizer->load_state(by_name, info.step);
    } catch (const Error& e) {  // "checkpoint: optimiser state ... is missing": name the file
      std::string message = e.what();
      if (message.rfind("checkpoint: ", 0) == 0) message = message.substr(12);
      fail(path, ": ", message);
    }
  }
  return info;
}

}  // namespace bf
