# Finds every third-party library bareformer builds with. Each missing one stops the configure with the
# Debian package that provides it, since scripts/setup.sh is the only supported way to get them.

function(bf_require found_var what debian_package)
  if(NOT ${found_var})
    message(FATAL_ERROR "bareformer needs ${what}: install the Debian package '${debian_package}' "
                        "(or run scripts/setup.sh, which installs everything the build needs).")
  endif()
endfunction()

# A machine without the Debian packages (the GPU machine of scripts/gpu_check.sh) builds from a folder
# that scripts/prepare_gpu_deps.sh filled from this machine's packages: -DBAREFORMER_DEPS_DIR=DIR with
# DIR/include (eigen3/, nlohmann/, CLI/, doctest/, openblas/cblas.h) and DIR/lib (libopenblas and the
# Fortran runtime it needs). The header-only libraries then become plain imported targets.
set(BAREFORMER_DEPS_DIR "" CACHE PATH "Folder from scripts/prepare_gpu_deps.sh (instead of system packages)")
if(BAREFORMER_DEPS_DIR)
  if(NOT EXISTS "${BAREFORMER_DEPS_DIR}/include/eigen3/Eigen/Core")
    message(FATAL_ERROR "BAREFORMER_DEPS_DIR=${BAREFORMER_DEPS_DIR} holds no include/eigen3/Eigen/Core: "
                        "run scripts/prepare_gpu_deps.sh on a machine with the Debian packages first")
  endif()
  foreach(target Eigen3::Eigen nlohmann_json::nlohmann_json CLI11::CLI11 doctest::doctest)
    add_library(${target} INTERFACE IMPORTED)
  endforeach()
  set_target_properties(Eigen3::Eigen PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${BAREFORMER_DEPS_DIR}/include/eigen3")
  foreach(target nlohmann_json::nlohmann_json CLI11::CLI11 doctest::doctest)
    set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${BAREFORMER_DEPS_DIR}/include")
  endforeach()
  set(BAREFORMER_OPENBLAS_DIR "${BAREFORMER_DEPS_DIR}/lib")
  set(BF_CBLAS_HINT "${BAREFORMER_DEPS_DIR}/include/openblas")
  # libopenblas needs libgfortran and libquadmath from the same folder, at link and at run time. An old-style
  # DT_RPATH (--disable-new-dtags), unlike DT_RUNPATH, also applies to libopenblas's own dependencies.
  add_link_options("LINKER:-rpath-link,${BAREFORMER_DEPS_DIR}/lib" "LINKER:-rpath,${BAREFORMER_DEPS_DIR}/lib"
                   "LINKER:--disable-new-dtags")
else()
  find_package(Eigen3 3.4 QUIET NO_MODULE)
  bf_require(Eigen3_FOUND "Eigen 3.4" libeigen3-dev)

  find_package(nlohmann_json 3 QUIET)
  bf_require(nlohmann_json_FOUND "nlohmann/json" nlohmann-json3-dev)

  find_package(CLI11 QUIET)
  bf_require(CLI11_FOUND "CLI11 (command-line parsing)" libcli11-dev)
endif()

find_package(OpenMP QUIET)
bf_require(OpenMP_CXX_FOUND "OpenMP (the compiler's libgomp)" libgomp1)

if(BAREFORMER_TESTS AND NOT BAREFORMER_DEPS_DIR)
  find_package(doctest QUIET)
  bf_require(doctest_FOUND "doctest (the test framework)" doctest-dev)
endif()

# OpenBLAS: prefer the OpenMP build so that OpenBLAS and our own OpenMP loops share one thread pool
# instead of two pools spinning against each other on 2 cores. Fall back to any OpenBLAS with a note.
set(BF_OPENBLAS_HINTS /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp)
find_library(BF_OPENBLAS_LIBRARY NAMES openblas HINTS ${BAREFORMER_OPENBLAS_DIR} ${BF_OPENBLAS_HINTS} NO_CACHE)
find_path(BF_CBLAS_INCLUDE cblas.h
          HINTS ${BF_CBLAS_HINT} /usr/include/x86_64-linux-gnu/openblas-openmp
                /usr/include/aarch64-linux-gnu/openblas-openmp ${BAREFORMER_OPENBLAS_DIR}/include NO_CACHE)
if(NOT BF_OPENBLAS_LIBRARY OR NOT BF_CBLAS_INCLUDE)
  set(BF_OPENBLAS_FOUND FALSE)
else()
  set(BF_OPENBLAS_FOUND TRUE)
endif()
bf_require(BF_OPENBLAS_FOUND "OpenBLAS with cblas.h" "libopenblas-openmp-dev")
if(NOT BF_OPENBLAS_LIBRARY MATCHES "openmp")
  message(STATUS "bareformer: OpenBLAS at ${BF_OPENBLAS_LIBRARY} is not the OpenMP build; "
                 "install libopenblas-openmp-dev so its threads do not fight bareformer's.")
endif()
message(STATUS "bareformer: OpenBLAS ${BF_OPENBLAS_LIBRARY}, cblas.h in ${BF_CBLAS_INCLUDE}")
add_library(bf::openblas INTERFACE IMPORTED)
set_target_properties(bf::openblas PROPERTIES INTERFACE_LINK_LIBRARIES "${BF_OPENBLAS_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${BF_CBLAS_INCLUDE}")

# oneDNN: the default f32 GEMM provider (backends/cpu/gemm_onednn.cpp). Its dnnl_sgemm picks AVX-512 or
# AVX2 kernels from the CPU itself, about 2x OpenBLAS 0.3.21 on CPUs that OpenBLAS does not know (it then
# falls back to old SSE kernels) or is told to treat as Haswell, and Debian's build threads through libgomp,
# the pool our loops use. -DBAREFORMER_GEMM=openblas makes OpenBLAS the default f32 provider instead and
# no longer needs oneDNN (it is still linked when found, so BAREFORMER_GEMM=onednn in the environment works).
# The library and header are looked up directly: dnnl-config.cmake would also demand the OpenCL headers.
find_library(BF_ONEDNN_LIBRARY NAMES dnnl HINTS ${BAREFORMER_DEPS_DIR}/lib NO_CACHE)
find_path(BF_ONEDNN_INCLUDE oneapi/dnnl/dnnl.h HINTS ${BAREFORMER_DEPS_DIR}/include NO_CACHE)
if(BF_ONEDNN_LIBRARY AND BF_ONEDNN_INCLUDE)
  set(BF_ONEDNN_FOUND TRUE)
else()
  set(BF_ONEDNN_FOUND FALSE)
endif()
# A BAREFORMER_DEPS_DIR packed without oneDNN (an older scripts/prepare_gpu_deps.sh) defaults to OpenBLAS;
# an explicit -DBAREFORMER_GEMM=onednn still demands it.
set(bf_gemm_default onednn)
if(BAREFORMER_DEPS_DIR AND NOT BF_ONEDNN_FOUND)
  set(bf_gemm_default openblas)
endif()
set(BAREFORMER_GEMM "${bf_gemm_default}" CACHE STRING "Default f32 GEMM provider of the CPU backend: onednn or openblas")
set_property(CACHE BAREFORMER_GEMM PROPERTY STRINGS onednn openblas)
if(NOT BAREFORMER_GEMM MATCHES "^(onednn|openblas)$")
  message(FATAL_ERROR "BAREFORMER_GEMM=${BAREFORMER_GEMM}: expected onednn or openblas")
endif()
if(BAREFORMER_GEMM STREQUAL "onednn")
  bf_require(BF_ONEDNN_FOUND "oneDNN (the default f32 GEMM provider; -DBAREFORMER_GEMM=openblas builds without it)"
             libdnnl-dev)
endif()
add_library(bf::gemm_providers INTERFACE IMPORTED)
set_property(TARGET bf::gemm_providers PROPERTY INTERFACE_LINK_LIBRARIES bf::openblas)
set_property(TARGET bf::gemm_providers PROPERTY INTERFACE_COMPILE_DEFINITIONS BF_DEFAULT_GEMM="${BAREFORMER_GEMM}")
if(BF_ONEDNN_FOUND)
  set_property(TARGET bf::gemm_providers APPEND PROPERTY INTERFACE_LINK_LIBRARIES "${BF_ONEDNN_LIBRARY}")
  set_property(TARGET bf::gemm_providers APPEND PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${BF_ONEDNN_INCLUDE}")
  set_property(TARGET bf::gemm_providers APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS BF_WITH_ONEDNN)
  message(STATUS "bareformer: f32 GEMM default ${BAREFORMER_GEMM}; oneDNN ${BF_ONEDNN_LIBRARY}")
else()
  message(STATUS "bareformer: f32 GEMM default ${BAREFORMER_GEMM}; oneDNN not found (OpenBLAS only)")
endif()
