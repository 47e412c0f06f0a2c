#!/usr/bin/env bash
# Packs what scripts/gpu_check.sh needs to build bareformer on the GPU machine, which has nvcc, CMake,
# ninja, g++ and PyTorch but none of the Debian packages the build uses: the header-only libraries
# (Eigen, nlohmann/json, CLI11, doctest), OpenBLAS (the OpenMP build, with cblas.h and the Fortran
# runtime it links) and oneDNN (with the OpenCL loader it links), copied from this machine's installed
# packages into one tarball,
#     .device_deps/bareformer-deps.tar.gz   (ignored by git; about 30 MB)
# that the device tool carries (carry: [".device_deps"]). gpu_check.sh unpacks it to a folder with
# include/ and lib/ and configures with -DBAREFORMER_DEPS_DIR=<that folder> (cmake/Dependencies.cmake).
# Run it here once, as root or any user, after scripts/setup.sh.
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
# oneDNN, the default f32 GEMM provider (libdnnl-dev), with the OpenCL loader it links; without it the
# GPU machine's build falls back to OpenBLAS for f32 (cmake/Dependencies.cmake).
dnnl_lib=$(readlink -f /usr/lib/x86_64-linux-gnu/libdnnl.so.2 2>/dev/null || true)
if [ -n "$dnnl_lib" ] && [ -e "$dnnl_lib" ] && [ -e /usr/include/oneapi/dnnl/dnnl.h ]; then
  mkdir -p "$stage/include/oneapi"
  cp -r /usr/include/oneapi/dnnl "$stage/include/oneapi/"
  cp /usr/include/dnnl*.h "$stage/include/" 2>/dev/null || true
  cp "$dnnl_lib" "$stage/lib/libdnnl.so.2"
  ln -s libdnnl.so.2 "$stage/lib/libdnnl.so"
  opencl=$(ldd "$dnnl_lib" | awk '$1 == "libOpenCL.so.1" { print $3 }')
  [ -n "$opencl" ] && cp -L "$opencl" "$stage/lib/libOpenCL.so.1"
fi
# Where each piece came from, for the record.
dpkg-query -W -f='${Package} ${Version}\n' libeigen3-dev nlohmann-json3-dev libcli11-dev doctest-dev \
  libopenblas0-openmp libgfortran5 libdnnl2 > "$stage/VERSIONS" 2>/dev/null || true

mkdir -p .device_deps
tar -czf .device_deps/bareformer-deps.tar.gz -C "$stage" .
echo "prepare_gpu_deps: wrote .device_deps/bareformer-deps.tar.gz ($(du -h .device_deps/bareformer-deps.tar.gz | cut -f1))"
