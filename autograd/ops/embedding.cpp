// Embedding lookup; its backward is a scatter-add into the rows of the table.
#include <vector>

#include "autograd/op_checks.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(embedding)

BF_OP(embedding, embedding, "y[i] = table[ids[i]]", "dtable[v] = sum_{i : ids[i] = v} dy[i]", "ids", "embedding")
Tensor embedding(const Tensor& table, const Tensor& ids) {
  BF_CHECK(table.ndim() == 2, "embedding: table must be [V, d], got ", table.shape());
  BF_CHECK(ids.dtype() == DType::i32, "embedding: ids must be i32, got ", dtype_name(ids.dtype()), " ", ids.shape());
  BF_CHECK(ids.device() == table.device(), "embedding: ids on ", device_name(ids.device()), " but table on ",
           device_name(table.device()));
  BF_CHECK(ids.ndim() < Shape::kMaxDims, "embedding: ids ", ids.shape(), " leave no room for the embedding axis");
  const int64_t n = ids.numel(), vocab = table.size(0), dim = table.size(1);
  {
    // Ids on a GPU are copied back once for this check (a few KB per batch): an out-of-range id would
    // otherwise read outside the table inside a kernel, with no message.
    const std::vector<int32_t> on_host = ids.device() == Device::cpu ? std::vector<int32_t>() : ids.to_vector<int32_t>();
    const int32_t* p = ids.device() == Device::cpu ? ids.data<int32_t>() : on_host.data();
    for (int64_t i = 0; i < n; ++i)
      BF_CHECK(p[i] >= 0 && p[i] < vocab, "embedding: id ", p[i], " at position ", i, " is outside the table's ",
               vocab, " rows");
  }
  Shape out_shape = ids.shape();
  out_shape.push_back(dim);
  Tensor y = Tensor::empty(out_shape, table.dtype(), table.device());
  run_kernels(table, "embedding", [&]<class T>(const Kernels<T>& k) {
    k.embedding(n, dim, ids.data<int32_t>(), table.data<T>(), y.data<T>());
  });
  return record_kernels("embedding", {table, ids}, y, [table, ids, n, dim]<class T>(const Kernels<T>& k, const T* dy) {
    k.embedding_backward(n, dim, ids.data<int32_t>(), dy, grad_data<T>(table));
  }, {0.0, 0});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"embedding", "embedding", "table [6,4], ids [2,3] (repeats)",
     [](Rng& r, Device d) {
       return GradcheckInputs{param({6, 4}, r, d), Tensor::from_vector<int32_t>({1, 5, 1, 0, 5, 5}, Shape{2, 3}, d)};
     },
     [](In x) { return embedding(x[0], x[1]); }},
});

}  // namespace

}  // namespace bf
