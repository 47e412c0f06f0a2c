# The CUDA backend switch. BAREFORMER_CUDA:
#   AUTO (default)  build backends/cuda when a CUDA compiler (nvcc) is found, else a CPU-only build;
#   ON              build it, and stop here if no nvcc is found;
#   OFF             never build it.
# AUTO stays CPU-only under BAREFORMER_SANITIZE / BAREFORMER_FUZZ: the sanitizers' interceptors and the
# CUDA runtime's own allocations and threads do not mix (false leak reports, shadow-memory clashes).
# Sets BF_WITH_CUDA (ON/OFF) for the top-level CMakeLists.txt.

set(BAREFORMER_CUDA AUTO CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON (required) or OFF")
set_property(CACHE BAREFORMER_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${BAREFORMER_CUDA}" BF_CUDA_MODE)
if(NOT BF_CUDA_MODE MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "BAREFORMER_CUDA must be AUTO, ON or OFF, got '${BAREFORMER_CUDA}'")
endif()

# bf_find_nvcc(<var>): the first nvcc of the search order described below, or <var>-NOTFOUND.
function(bf_find_nvcc out_var)
  set(hints "")
  foreach(var CUDA_HOME CUDA_PATH)
    if(DEFINED ENV{${var}})
      list(APPEND hints "$ENV{${var}}/bin")
    endif()
  endforeach()
  file(GLOB versioned LIST_DIRECTORIES true /usr/local/cuda-*/bin)
  list(SORT versioned ORDER DESCENDING)
  list(APPEND hints /usr/local/cuda/bin ${versioned} /opt/cuda/bin)
  find_program(python_for_nvcc NAMES python3 python NO_CACHE)
  if(python_for_nvcc)
    execute_process(COMMAND "${python_for_nvcc}" -c
                      "import site; print(';'.join(site.getsitepackages() + [site.getusersitepackages()]))"
                    OUTPUT_VARIABLE site_dirs OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET TIMEOUT 20)
    foreach(dir IN LISTS site_dirs)
      file(GLOB pip_bins LIST_DIRECTORIES true "${dir}/nvidia/*/bin")
      list(APPEND hints ${pip_bins})
    endforeach()
  endif()
  # PATH first (find_program's default), then the hints in order.
  find_program(nvcc_path nvcc HINTS ${hints} NO_CACHE)
  set(${out_var} "${nvcc_path}" PARENT_SCOPE)
endfunction()

# The caching allocator reuses a released block at once because every piece of GPU work is queued on the
# backend's one stream (backends/cuda/cuda_kernels.h). Work on the legacy default stream would break that
# silently, so refuse to configure a backend source that launches a kernel without naming stream() or
# calls the synchronous cudaMemcpy / cudaMemset (which use the default stream).
function(bf_check_cuda_streams)
  file(GLOB sources "${CMAKE_CURRENT_SOURCE_DIR}/backends/cuda/*.cu" "${CMAKE_CURRENT_SOURCE_DIR}/backends/cuda/*.cuh"
                    "${CMAKE_CURRENT_SOURCE_DIR}/backends/cuda/*.cpp" "${CMAKE_CURRENT_SOURCE_DIR}/backends/cuda/*.h")
  foreach(source IN LISTS sources)
    file(READ "${source}" text)
    string(REGEX MATCHALL "<<<[^;{}]*>>>" launches "${text}")
    foreach(launch IN LISTS launches)
      if(NOT launch MATCHES "stream\\(\\)")
        message(FATAL_ERROR "${source}: the launch ${launch} does not name stream(); every kernel of the "
                            "CUDA backend must run on its one stream (backends/cuda/cuda_kernels.h says why)")
      endif()
    endforeach()
    if(text MATCHES "cuda(Memcpy|Memset)(2D|3D)?\\(")
      message(FATAL_ERROR "${source}: synchronous ${CMAKE_MATCH_0} runs on the default stream; use the Async "
                          "form with stream() (backends/cuda/cuda_kernels.h says why)")
    endif()
  endforeach()
endfunction()

set(BF_WITH_CUDA OFF)
if(BF_CUDA_MODE STREQUAL "AUTO" AND (BAREFORMER_SANITIZE OR BAREFORMER_FUZZ))
  message(STATUS "bareformer: CUDA backend off (BAREFORMER_CUDA=AUTO with sanitizers or fuzzing)")
elseif(NOT BF_CUDA_MODE STREQUAL "OFF")
  # nvcc is often installed outside PATH. Unless CMAKE_CUDA_COMPILER or $CUDACXX names one, look where
  # toolkits and pip packages put it, first found wins: PATH, $CUDA_HOME/bin, $CUDA_PATH/bin,
  # /usr/local/cuda/bin, /usr/local/cuda-*/bin (newest first), /opt/cuda/bin, then the nvidia/*/bin folders
  # of python3's site-packages (the pip packages nvidia-cuda-nvcc, or cuda-toolkit's nvidia/cu13). The
  # folder that holds libcublas there is found at run time (backends/cuda/cublas_api.cpp).
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    bf_find_nvcc(BF_NVCC_FOUND)
    if(BF_NVCC_FOUND)
      set(CMAKE_CUDA_COMPILER "${BF_NVCC_FOUND}" CACHE FILEPATH "CUDA compiler")
      message(STATUS "bareformer: nvcc at ${BF_NVCC_FOUND}")
    endif()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Ampere (A100) and Hopper (H100/H200) machine code; override with -DCMAKE_CUDA_ARCHITECTURES=...
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "80;90")
    endif()
    # nvcc drives the same host compiler as the C++ sources, so both halves agree on the ABI.
    if(NOT DEFINED CMAKE_CUDA_HOST_COMPILER)
      set(CMAKE_CUDA_HOST_COMPILER "${CMAKE_CXX_COMPILER}")
    endif()
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)  # one libcudart for the .cu objects and the host .cpp files
    enable_language(CUDA)
    # The .cu files are C++17: CMake 3.25 does not know nvcc's flag for C++20 (CUDA_STANDARD 20 fails to
    # configure), and the kernels need nothing newer. Host-only .cpp files of the backend stay C++20.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    bf_check_cuda_streams()
    set(BF_WITH_CUDA ON)
    message(STATUS "bareformer: CUDA backend on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, "
                   "architectures ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(BF_CUDA_MODE STREQUAL "ON")
    message(FATAL_ERROR "BAREFORMER_CUDA=ON but no CUDA compiler was found: install the CUDA toolkit, put nvcc "
                        "on PATH or set CUDACXX=/path/to/nvcc (or configure with -DBAREFORMER_CUDA=OFF)")
  else()
    message(STATUS "bareformer: no CUDA compiler found, building the CPU backend only")
  endif()
endif()
