#!/usr/bin/env bash
# Everything CI does: install what is missing, build (warnings are errors), run the whole suite, then the
# same suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

echo "== release build + tests"
# BAREFORMER_CUDA=AUTO (the default): the CUDA backend is built when nvcc is found (about a minute more on
# one core); without a GPU its suite reports itself as Skipped (exit 77), never as passed.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBAREFORMER_WERROR=ON > /dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j 1

echo "== ASan + UBSan build + tests"
# CUDA off here: the sanitizers' interceptors and the CUDA runtime do not mix (false leak reports and
# shadow-memory clashes from the driver's own allocations), and the CUDA code is not exercised without a
# GPU anyway. (AUTO would also resolve to OFF with BAREFORMER_SANITIZE; OFF says so explicitly.) The
# benchmarks are left out: no test runs them, and the release build above has compiled them.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBAREFORMER_SANITIZE=ON \
      -DBAREFORMER_CUDA=OFF -DBAREFORMER_BENCH=OFF -DBAREFORMER_WERROR=ON > /dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j 1
echo "scripts/test.sh: all suites passed (release and sanitizers)"
