// dlopen of the cuBLAS library this backend was built against (see cublas_api.h for why not linked).
// BF_CUBLAS_LIBRARY is its soname (libcublas.so.<major>) and BF_CUDA_LIBRARY_DIR the build machine's CUDA
// library folder, both from CMakeLists.txt. The machine that runs the program may keep CUDA elsewhere (a
// toolkit under another prefix, or the pip packages nvidia-cublas / nvidia-cuda-runtime that PyTorch
// installs), so the candidates are tried in this order, the first that opens wins:
//   1. each entry of $BAREFORMER_CUBLAS (':'-separated file paths or library names): an explicit choice;
//   2. the soname through the dynamic linker's own search (the program's run path, LD_LIBRARY_PATH, the
//      ldconfig cache);
//   3. beside the libcudart the process has loaded, and in that folder's ../../cublas/lib (pip's
//      nvidia/cuda_runtime/lib next to nvidia/cublas/lib);
//   4. BF_CUDA_LIBRARY_DIR, then $CUDA_HOME and $CUDA_PATH (lib64/, lib/), then /usr/local/cuda and every
//      /usr/local/cuda-* (lib64/ and targets/<arch>-linux/lib/).
// When none opens, the error lists every path tried with the loader's reason for each.
#include "backends/cuda/cublas_api.h"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace bf::cuda {
namespace {

namespace fs = std::filesystem;

void add_dir(std::vector<std::string>& out, const std::string& dir) {
  if (!dir.empty()) out.push_back((fs::path(dir) / BF_CUBLAS_LIBRARY).string());
}

// Folders of every loaded object named libcudart.so* (normally exactly one).
std::vector<std::string> loaded_cudart_dirs() {
  std::vector<std::string> dirs;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (fs::path(name).filename().string().rfind("libcudart.so", 0) == 0)
          static_cast<std::vector<std::string>*>(data)->push_back(fs::path(name).parent_path().string());
        return 0;
      },
      &dirs);
  return dirs;
}

std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("BAREFORMER_CUBLAS")) {
    std::string list = env;
    for (size_t start = 0; start <= list.size();) {
      const size_t end = std::min(list.find(':', start), list.size());
      if (end > start) out.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  out.push_back(BF_CUBLAS_LIBRARY);
  for (const std::string& dir : loaded_cudart_dirs()) {
    add_dir(out, dir);
    add_dir(out, (fs::path(dir) / ".." / ".." / "cublas" / "lib").lexically_normal().string());
  }
  add_dir(out, BF_CUDA_LIBRARY_DIR);
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* root = std::getenv(var)) {
      add_dir(out, std::string(root) + "/lib64");
      add_dir(out, std::string(root) + "/lib");
    }
  std::vector<std::string> roots = {"/usr/local/cuda"};
  std::error_code ec;
  std::vector<std::string> versioned;
  for (const auto& entry : fs::directory_iterator("/usr/local", ec))
    if (entry.path().filename().string().rfind("cuda-", 0) == 0) versioned.push_back(entry.path().string());
  std::sort(versioned.rbegin(), versioned.rend());  // newest first (cuda-13.1 before cuda-13.0)
  roots.insert(roots.end(), versioned.begin(), versioned.end());
  for (const std::string& root : roots) {
    add_dir(out, root + "/lib64");
    add_dir(out, root + "/targets/x86_64-linux/lib");
    add_dir(out, root + "/targets/sbsa-linux/lib");
  }
  std::vector<std::string> unique;  // the same path twice would only repeat its error
  for (const std::string& c : out)
    if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(c);
  return unique;
}

void* open_library() {
  std::string tried;
  for (const std::string& candidate : candidates()) {
    if (void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    const char* error = dlerror();
    const std::string why = error ? error : "not opened";
    tried += "\n  " + (why.rfind(candidate, 0) == 0 ? why : candidate + ": " + why);  // glibc names the file
  }
  fail("cuBLAS: cannot open ", BF_CUBLAS_LIBRARY, " (the cuBLAS of the CUDA major version this program was built "
       "with); tried:", tried, "\nset BAREFORMER_CUBLAS=/path/to/", BF_CUBLAS_LIBRARY,
       " or put its folder on LD_LIBRARY_PATH");
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
