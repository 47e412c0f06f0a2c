#!/usr/bin/env bash
# Packs the third-party libraries bareformer builds with, from this machine's Debian packages, into one
# tarball for a GPU machine that has the CUDA toolkit, CMake, ninja and g++ but not those packages:
#     .device_deps/bareformer-deps.tar.gz   (ignored by git; about 25 MB)
# Copy the .device_deps folder into the repository root there (it is ignored by git, so it is not part
# of a clone) and run scripts/gpu_check.sh, which unpacks it and configures with
# -DBAREFORMER_DEPS_DIR=<the unpacked folder> (cmake/Dependencies.cmake).
#
# What goes in (a prefix with include/ and lib/):
#   - the header-only libraries: Eigen, nlohmann/json, CLI11, doctest;
#   - OpenBLAS, the OpenMP build, with cblas.h and the Fortran runtime it links (libgfortran, libquadmath);
#   - oneDNN (libdnnl), the f32 GEMM provider of BAREFORMER_GEMM=onednn, when its -dev package is installed
#     here: its headers, its shared library, its CMake package (lib/<multiarch>/cmake/dnnl) and the
#     libOpenCL.so.1 it links. Without it the tarball still builds with BAREFORMER_GEMM=openblas.
# VERSIONS in the tarball lists the Debian package each piece came from. Run it once after
# scripts/setup.sh, as any user.
set -euo pipefail
cd "$(dirname "$0")/.."

blas_inc=/usr/include/x86_64-linux-gnu/openblas-openmp
blas_lib=$(readlink -f /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0)
for need in /usr/include/eigen3/Eigen/Core /usr/include/nlohmann/json.hpp /usr/include/CLI/CLI.hpp \
            /usr/include/doctest/doctest.h "$blas_inc/cblas.h" "$blas_lib"; do
  [ -e "$need" ] || { echo "prepare_gpu_deps: $need is missing; run scripts/setup.sh first" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/include/eigen3" "$stage/include/openblas" "$stage/lib"
cp -r /usr/include/eigen3/Eigen "$stage/include/eigen3/"   # only Eigen/ is used, not unsupported/
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/doctest "$stage/include/"
cp "$blas_inc"/cblas.h "$blas_inc"/openblas_config.h "$blas_inc"/f77blas.h "$stage/include/openblas/"
cp "$blas_lib" "$stage/lib/libopenblas.so.0"               # its SONAME
ln -s libopenblas.so.0 "$stage/lib/libopenblas.so"         # what the linker looks for
# The Fortran runtime OpenBLAS links (not on the GPU machine); libgomp comes with its g++.
for soname in libgfortran.so.5 libquadmath.so.0; do
  path=$(ldd "$blas_lib" | awk -v s="$soname" '$1 == s { print $3 }')
  [ -n "$path" ] || { echo "prepare_gpu_deps: $blas_lib does not link $soname?" >&2; exit 1; }
  cp -L "$path" "$stage/lib/$soname"
done
packages="libeigen3-dev nlohmann-json3-dev libcli11-dev doctest-dev libopenblas0-openmp libgfortran5"

# oneDNN, found through its Debian packages (libdnnl-dev and the runtime package it depends on, libdnnl2
# or libdnnl3), laid out as under /usr so that its CMake package finds itself: dnnl-config.cmake computes
# its prefix as four folders above lib/<multiarch>/cmake/dnnl.
dnnl_dev=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' 'libdnnl*-dev' 2>/dev/null | awk '$2 == "installed" { print $1; exit }')
if [ -n "$dnnl_dev" ]; then
  dnnl_files=$(dpkg -L "$dnnl_dev")
  dnnl_config=$(grep '/cmake/dnnl/dnnl-config.cmake$' <<< "$dnnl_files" | head -1)
  dnnl_lib=$(readlink -f "$(grep '/libdnnl\.so$' <<< "$dnnl_files" | head -1)")  # libdnnl.so -> .so.N -> .so.N.M
  [ -f "$dnnl_config" ] && [ -f "$dnnl_lib" ] || { echo "prepare_gpu_deps: $dnnl_dev lacks its CMake package or library" >&2; exit 1; }
  multiarch_lib=$(dirname "$(dirname "$(dirname "$dnnl_config")")")   # /usr/lib/<multiarch>
  arch_dir="lib/$(basename "$multiarch_lib")"
  mkdir -p "$stage/$arch_dir/cmake" "$stage/include/oneapi"
  cp -r /usr/include/oneapi/dnnl "$stage/include/oneapi/"
  cp /usr/include/dnnl*.h /usr/include/dnnl*.hpp "$stage/include/" 2>/dev/null || true  # the old top-level names
  cp -r "$(dirname "$dnnl_config")" "$stage/$arch_dir/cmake/"
  cp "$dnnl_lib" "$stage/$arch_dir/"
  dnnl_soname=$(objdump -p "$dnnl_lib" | awk '$1 == "SONAME" { print $2 }')
  for name in "$dnnl_soname" libdnnl.so; do
    ln -s "$(basename "$dnnl_lib")" "$stage/$arch_dir/$name"
    ln -s "$(basename "$multiarch_lib")/$(basename "$dnnl_lib")" "$stage/lib/$name"  # on the run path, lib/
  done
  # libdnnl links libOpenCL.so.1 (ocl-icd); the CMake package asks for an OpenCL library at configure
  # time too (gpu_check.sh passes OpenCL_LIBRARY and OpenCL_INCLUDE_DIR, since no CL headers are needed).
  opencl=$(ldd "$dnnl_lib" | awk '$1 == "libOpenCL.so.1" { print $3 }')
  if [ -n "$opencl" ]; then
    cp -L "$opencl" "$stage/lib/libOpenCL.so.1"
    ln -s libOpenCL.so.1 "$stage/lib/libOpenCL.so"
    packages="$packages ocl-icd-libopencl1"
  fi
  packages="$packages $dnnl_dev $(dpkg -S "$dnnl_lib" 2>/dev/null | cut -d: -f1 | head -1)"
  echo "prepare_gpu_deps: oneDNN from $dnnl_dev ($(basename "$dnnl_lib"))"
else
  echo "prepare_gpu_deps: no libdnnl*-dev installed here; the GPU build will use BAREFORMER_GEMM=openblas"
fi

# Where each piece came from, for the record.
# shellcheck disable=SC2086  # the package list is meant to split
dpkg-query -W -f='${Package} ${Version}\n' $packages > "$stage/VERSIONS" 2>/dev/null || true

mkdir -p .device_deps
tar -czf .device_deps/bareformer-deps.tar.gz -C "$stage" .
echo "prepare_gpu_deps: wrote .device_deps/bareformer-deps.tar.gz ($(du -h .device_deps/bareformer-deps.tar.gz | cut -f1))"
