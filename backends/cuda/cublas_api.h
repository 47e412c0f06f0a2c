// cuBLAS, opened with dlopen the first time a GEMM needs it, instead of linked. Linking libcublas costs
// every process about 0.4 s and 200 MB of resident memory at start-up (libcublasLt's static
// initialisers), whether it uses the GPU or not: every CPU run, CPU benchmark (whose peak-memory column
// would include it) and test process of a CUDA build would pay. The entries are the cuBLAS functions the
// backend calls, with their declared types from cublas_v2.h.
#pragma once
#include <cublas_v2.h>

namespace bf::cuda {

struct CublasApi {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasSetStream_v2) set_stream;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasSetAtomicsMode) set_atomics_mode;
  decltype(&cublasSgemm_v2) sgemm;
  decltype(&cublasDgemm_v2) dgemm;
  decltype(&cublasSgemmStridedBatched) sgemm_strided_batched;
  decltype(&cublasDgemmStridedBatched) dgemm_strided_batched;
  decltype(&cublasGetStatusName) status_name;
  decltype(&cublasGetStatusString) status_string;
};

// Opens the library on first use (thread-safe); bf::Error naming the library and dlerror() if it cannot.
const CublasApi& cublas();

}  // namespace bf::cuda
