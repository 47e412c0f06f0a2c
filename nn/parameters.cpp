#include "nn/parameters.h"

namespace bf {

const char* to_string(ParamGroup g) {
  switch (g) {
    case ParamGroup::matrix: return "matrix";
    case ParamGroup::embedding: return "embedding";
    case ParamGroup::gain: return "gain";
    case ParamGroup::norm: return "norm";
    case ParamGroup::bias: return "bias";
  }
  return "?";
}

Tensor ParameterSet::add(const std::string& name, Tensor value, ParamGroup group) {
  BF_CHECK(find(name) == nullptr, "parameters: \"", name, "\" registered twice");
  value.set_requires_grad(true);
  params_.push_back({name, value, group});
  return value;
}

const Parameter* ParameterSet::find(const std::string& name) const {
  for (const auto& p : params_)
    if (p.name == name) return &p;
  return nullptr;
}

const Parameter& ParameterSet::get(const std::string& name) const {
  const Parameter* p = find(name);
  BF_CHECK(p != nullptr, "parameters: no parameter named \"", name, "\"");
  return *p;
}

int64_t ParameterSet::count() const {
  int64_t n = 0;
  for (const auto& p : params_) n += p.value.numel();
  return n;
}

void ParameterSet::zero_grad() {
  for (auto& p : params_) p.value.zero_grad();
}

}  // namespace bf
