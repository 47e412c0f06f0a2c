// The op registry, in the spirit of PyTorch's derivatives.yaml: every differentiable op of autograd/ops.h
// is declared once, by a BF_OP line beside its code in autograd/ops/<file>.cpp, with its forward formula,
// its backward formula (one line of math each, the derivations are in docs/ops.md and docs/math.md), what
// its backward reads, and the kernel families of backends/kernel_list.h it calls. From the registry come
// docs/ops.md's summary table (`bareformer gradcheck --ops-markdown`, checked by a test) and the order of
// `bareformer gradcheck`, whose cases (autograd/gradcheck_cases.h) each file registers at its end, each
// naming its op; a test fails when a registered op has no case or a case names no registered op. Adding an
// op touches its own file (forward, backward, BF_OP line, gradcheck cases) and its declaration in ops.h.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace bf {

struct OpInfo {
  std::string_view name;             // the function in autograd/ops.h
  std::string_view file;             // its file, autograd/ops/<file>.cpp (one of BF_OP_FILES)
  std::string_view forward;          // one line of math
  std::string_view backward;         // one line of math, every gradient it accumulates
  std::string_view saves;            // what the backward reads; extras beyond inputs and output in ()
  std::string_view kernel_families;  // space-separated family names of backends/kernel_list.h
};

// The op files, in the order of docs/ops.md (and of the registry).
#define BF_OP_FILES(F) \
  F(matmul)            \
  F(elementwise)       \
  F(activations)       \
  F(reduce)            \
  F(softmax)           \
  F(norms)             \
  F(embedding)         \
  F(heads)             \
  F(attention_mix)     \
  F(attention_probs)

// Every registered op: by file in BF_OP_FILES order, then in the order of the file.
const std::vector<OpInfo>& op_registry();
// The registered op of that name, or null.
const OpInfo* find_op(std::string_view name);
// docs/ops.md's summary table, one row per registered op.
std::string op_registry_markdown();

namespace detail {
bool register_op(const OpInfo& info, int line);
}  // namespace detail

// Inside namespace bf, in autograd/ops/<file>.cpp, once per file: lets op_registry() pull the file's
// entries into every program that reads the registry.
#define BF_OP_FILE(file) \
  int op_file_##file();  \
  int op_file_##file() { return 0; }
// BF_OP(name, file, forward, backward, saves, kernel families): one op's registry entry, beside its code.
#define BF_OP(name, file, forward, backward, saves, families)                                          \
  namespace {                                                                                          \
  [[maybe_unused]] const bool registered_##name =                                                      \
      ::bf::detail::register_op(::bf::OpInfo{#name, #file, forward, backward, saves, families}, __LINE__); \
  }

}  // namespace bf
