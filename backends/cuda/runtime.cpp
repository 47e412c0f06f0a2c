// The CUDA runtime state of the backend: the device probe registered with core at start-up, the one
// stream, the cuBLAS handle, the TF32 switch, and the error reporting behind check.h's macros.
#include <atomic>
#include <cstdlib>
#include <string>

#include "backends/cuda/cublas_api.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda_control.h"
#include "core/error.h"

namespace bf::cuda {

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  fail("CUDA error at ", file, ":", line, ": ", call, ": ", cudaGetErrorName(status), " (", cudaGetErrorString(status),
       ")");
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  fail("cuBLAS error at ", file, ":", line, ": ", call, ": ", cublas().status_name(status), " (",
       cublas().status_string(status), ")");
}

// BAREFORMER_CUDA_SYNC=1: wait for every kernel right after its launch, so an error inside it is reported
// with the launching line instead of at the next synchronising call.
static bool sync_each_launch() {
  static const bool enabled = [] {
    const char* value = std::getenv("BAREFORMER_CUDA_SYNC");
    return value != nullptr && std::string(value) == "1";
  }();
  return enabled;
}

void check_launch(const char* file, int line) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw_cuda_error(status, "kernel launch", file, line);
  if (sync_each_launch()) {
    const cudaError_t done = cudaStreamSynchronize(stream());
    if (done != cudaSuccess) throw_cuda_error(done, "kernel (BAREFORMER_CUDA_SYNC=1)", file, line);
  }
}

// Created on first use and never destroyed: tensors may outlive static destructors, and the CUDA runtime
// tears itself down at exit. Non-blocking, so nothing on the legacy default stream serialises with it.
static std::atomic<bool> g_stream_created{false};
cudaStream_t stream() {
  static const cudaStream_t s = [] {
    cudaStream_t created = nullptr;
    BF_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    g_stream_created = true;
    return created;
  }();
  return s;
}

// cuBLAS is deterministic run to run on one GPU model as long as one stream is used and atomics stay off
// (the default, CUBLAS_ATOMICS_NOT_ALLOWED), which is how the handle is set up.
cublasHandle_t blas() {
  static const cublasHandle_t handle = [] {
    cublasHandle_t created = nullptr;
    BF_CUBLAS_CHECK(cublas().create(&created));
    BF_CUBLAS_CHECK(cublas().set_stream(created, stream()));
    BF_CUBLAS_CHECK(cublas().set_atomics_mode(created, CUBLAS_ATOMICS_NOT_ALLOWED));
    BF_CUBLAS_CHECK(cublas().set_math_mode(created, CUBLAS_DEFAULT_MATH));
    return created;
  }();
  return handle;
}

namespace {

bool g_tf32 = false;

// Registered at start-up; core runs it the first time the cuda device is asked for (core/storage.h).
std::string probe_device() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device (cudaGetDeviceCount: ") + cudaGetErrorString(status) + ")";
  }
  if (count <= 0) return "no CUDA device (cudaGetDeviceCount found none)";
  register_device_memory(Device::cuda, &device_memory_ops());
  return "";
}

// Runs during static initialisation: it only stores a function pointer in core; no CUDA call happens
// until the cuda device is asked for, so CPU-only runs never start the CUDA runtime.
struct RegisterProbe {
  RegisterProbe() { register_device_probe(Device::cuda, probe_device); }
} register_probe;

}  // namespace
}  // namespace bf::cuda

namespace bf {

void cuda_synchronize() {
  if (cuda::g_stream_created) BF_CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
}

void set_cuda_tf32(bool enabled) {
  BF_CHECK(device_available(Device::cuda), "device cuda: ", device_unavailable_reason(Device::cuda));
  BF_CUBLAS_CHECK(cuda::cublas().set_math_mode(cuda::blas(), enabled ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  cuda::g_tf32 = enabled;
}

bool cuda_tf32() { return cuda::g_tf32; }

}  // namespace bf
