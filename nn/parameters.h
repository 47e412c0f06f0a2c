// The model's named parameters, in creation order. Names are stable dotted paths (docs/blocks.md);
// the group says whether AdamW's weight decay applies (matrices and embeddings only).
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"

namespace bf {

enum class ParamGroup { matrix, embedding, gain, norm, bias };
inline bool weight_decay_applies(ParamGroup g) { return g == ParamGroup::matrix || g == ParamGroup::embedding; }
const char* to_string(ParamGroup g);

struct Parameter {
  std::string name;
  Tensor value;  // requires_grad
  ParamGroup group;
};

class ParameterSet {
 public:
  // Registers `value` under `name` (requires_grad on); a duplicate name is a bf::Error.
  Tensor add(const std::string& name, Tensor value, ParamGroup group);
  const std::vector<Parameter>& all() const { return params_; }
  const Parameter* find(const std::string& name) const;  // nullptr if absent
  const Parameter& get(const std::string& name) const;   // bf::Error naming it if absent
  int64_t count() const;                                  // total number of scalars
  void zero_grad();

 private:
  std::vector<Parameter> params_;
};

}  // namespace bf
