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

set(BF_WITH_CUDA OFF)
if(BF_CUDA_MODE STREQUAL "AUTO" AND (BAREFORMER_SANITIZE OR BAREFORMER_FUZZ))
  message(STATUS "bareformer: CUDA backend off (BAREFORMER_CUDA=AUTO with sanitizers or fuzzing)")
elseif(NOT BF_CUDA_MODE STREQUAL "OFF")
  # nvcc is often installed outside PATH; look where the toolkit installs it before giving up.
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    find_program(BF_NVCC nvcc)
    if(NOT BF_NVCC)
      set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "CUDA compiler")
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
