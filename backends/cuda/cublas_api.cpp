// dlopen of the cuBLAS library this backend was built against (see cublas_api.h for why not linked).
// BF_CUBLAS_LIBRARY is its soname (libcublas.so.<major>), found through the program's run path (the
// CUDA library folder, set by linking libcudart) or the standard search; BF_CUDA_LIBRARY_DIR is the
// build machine's CUDA library folder, tried second. Both come from CMakeLists.txt.
#include "backends/cuda/cublas_api.h"

#include <dlfcn.h>

#include <string>

#include "core/error.h"

namespace bf::cuda {
namespace {

void* open_library() {
  void* handle = dlopen(BF_CUBLAS_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (handle) return handle;
  const std::string first_error = dlerror();
  const std::string fallback = std::string(BF_CUDA_LIBRARY_DIR) + "/" + BF_CUBLAS_LIBRARY;
  handle = dlopen(fallback.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle) return handle;
  fail("cuBLAS: cannot open ", BF_CUBLAS_LIBRARY, " (", first_error, ") nor ", fallback, " (", dlerror(),
       "); put the CUDA toolkit's library folder on LD_LIBRARY_PATH");
}

template <class Fn>
void resolve(void* library, const char* name, Fn& slot) {
  void* symbol = dlsym(library, name);
  BF_CHECK(symbol != nullptr, "cuBLAS: ", BF_CUBLAS_LIBRARY, " has no symbol ", name);
  slot = reinterpret_cast<Fn>(symbol);
}

CublasApi load() {
  void* library = open_library();  // never closed: cuBLAS stays loaded for the life of the process
  CublasApi api{};
  resolve(library, "cublasCreate_v2", api.create);
  resolve(library, "cublasSetStream_v2", api.set_stream);
  resolve(library, "cublasSetMathMode", api.set_math_mode);
  resolve(library, "cublasSetAtomicsMode", api.set_atomics_mode);
  resolve(library, "cublasSgemm_v2", api.sgemm);
  resolve(library, "cublasDgemm_v2", api.dgemm);
  resolve(library, "cublasSgemmStridedBatched", api.sgemm_strided_batched);
  resolve(library, "cublasDgemmStridedBatched", api.dgemm_strided_batched);
  resolve(library, "cublasGetStatusName", api.status_name);
  resolve(library, "cublasGetStatusString", api.status_string);
  return api;
}

}  // namespace

const CublasApi& cublas() {
  static const CublasApi api = load();
  return api;
}

}  // namespace bf::cuda
