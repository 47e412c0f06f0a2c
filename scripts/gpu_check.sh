#!/usr/bin/env bash
# Builds bareformer's CUDA backend on this machine, checks it against the CPU backend, and times a training
# step against PyTorch on the same GPU. On a machine with an NVIDIA GPU, in a checkout:
#
#     bash scripts/gpu_check.sh [LOG_DIR]     # the logs go to LOG_DIR (default: gpu_check_out/ in the checkout)
#
# then read LOG_DIR/summary.txt: a PASS or FAIL line per stage, the benchmark table and the op profile.
# The exit status is 0 only if the build and test_cuda passed; a test_cuda that finds no usable GPU (it
# says "SKIPPED") counts as a failure here.
#
# What you need:
#   - the GPU's driver (`nvidia-smi` works) and a CUDA toolkit: nvcc and a libcublas.so of the same major
#     version. Either a system install (/usr/local/cuda, /opt/cuda, $CUDA_HOME) or pip's nvidia-* wheels
#     (nvidia-cuda-nvcc-cu12, nvidia-cublas-cu12, ...) are found; else set CUDACXX=/path/to/nvcc;
#   - CMake >= 3.25, ninja and g++ (C++20);
#   - the third-party libraries: the Debian packages of scripts/setup.sh, or, on a machine without them,
#     the tarball scripts/prepare_gpu_deps.sh writes on one that has them (.device_deps/, copied into
#     this checkout; the header-only libraries, OpenBLAS and, when it was packed, oneDNN, which is then the
#     f32 GEMM provider: BAREFORMER_GEMM=onednn, openblas otherwise);
#   - optionally PyTorch with CUDA (for the comparison rows; without it they read FAILED and the rest runs).
#
# What it does, in order:
#   0. finds the toolchain (nvcc: $CUDACXX, PATH, $CUDA_HOME, /usr/local/cuda*, /opt/cuda, python's
#      site-packages nvidia/*/bin; libcublas.so.<nvcc's major>: beside that toolkit, /usr/local/cuda*,
#      site-packages nvidia/*/lib, LD_LIBRARY_PATH, the ldconfig cache), logs every place it looked, and
#      exports CUDACXX, LD_LIBRARY_PATH and BAREFORMER_CUBLAS for what follows;
#   1. records the machine (nvidia-smi, nvcc, cmake, g++, PyTorch) in env.txt;
#   2. configures build-gpu/ with -DBAREFORMER_CUDA=ON for this GPU's architecture and builds only
#      test_cuda and the two benchmark programs (the CPU suites are scripts/test.sh's job);
#   3. runs test_cuda: every kernel against the CPU (f64 to 1e-12, f32 to the per-kernel tolerances),
#      gradcheck in f64 on the GPU, every preset's forward and backward, 20 training steps in f64 and in
#      f32 against the CPU. If it fails with a CUDA error, it runs again with BAREFORMER_CUDA_SYNC=1
#      (synchronise after every launch), so that the failing kernel's launching line is named;
#   4. times training steps of the paper's headline model (18 layers, d 768, 12 heads, T 128, batch 32;
#      pre_ln and sas_p) in bareformer and in PyTorch, f32 then TF32, and the op profile of one sas_p step.
# Typical times: 1-2 min to build on 16 cores, 1 min of tests, 1-2 min of benchmarks.
#
# A time limit, so that a hung kernel or build cannot hang the check: the whole run ends GPU_CHECK_SECONDS
# after it starts (default 500; raise it on a slow machine). Each stage gets at most its own share and
# never more than what is left; a stage with no time left is reported as "not run". summary.txt is written
# as stages end, and its closing lines are written even when a stage is stopped or the script is
# interrupted.
#
# Other settings: PYTHON (the python with PyTorch, default python3), CUDA_ARCHS (CMAKE_CUDA_ARCHITECTURES;
# default: this GPU's compute capability from nvidia-smi, else "80;90"), GPU_CHECK_CMAKE_ARGS (more
# configure arguments, e.g. "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache").
# The logs: env.txt, build.log, test_cuda.log, test_cuda_sync.log (only after a CUDA error), bench.txt,
# bench_stderr.txt, summary.txt.
set -uo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
LOG_DIR=${1:-$repo_root/gpu_check_out}
mkdir -p "$LOG_DIR" || exit 1
LOG_DIR=$(cd "$LOG_DIR" && pwd)   # a relative LOG_DIR is taken from where the script was started
cd "$repo_root" || exit 1
PYTHON=${PYTHON:-python3}
JOBS=$(nproc)
BUDGET=${GPU_CHECK_SECONDS:-500}
KEEP_FOR_SUMMARY=10
start=$(date +%s)
deadline=$(( start + BUDGET ))
summary="$LOG_DIR/summary.txt"
: > "$summary"
status=0          # 0 while the build and test_cuda pass
tests_state="not run"
bench_printed=0

note() { echo "$*" | tee -a "$summary"; }
elapsed() { echo "$(( $(date +%s) - start ))s"; }
seconds_left() { echo $(( deadline - $(date +%s) )); }

# limited WANT_S LOG CMD...: runs CMD (output appended to LOG) for at most WANT_S seconds and never past
# the deadline less KEEP_FOR_SUMMARY. Returns CMD's status, 124 when stopped at the limit, 125 when too
# little time was left to start it.
limited() {
  local want=$1 log=$2
  shift 2
  local room=$(( $(seconds_left) - KEEP_FOR_SUMMARY ))
  local limit=$(( want < room ? want : room ))
  if (( limit < 5 )); then
    echo "[gpu_check] not run, $(seconds_left) s left before the deadline: $*" >> "$log"
    return 125
  fi
  timeout -k 5 "$limit" "$@" >> "$log" 2>&1
}
why() {  # a status of limited() in words
  case $1 in
    0) echo "ok" ;; 124|137) echo "stopped at its time limit" ;; 125) echo "not run: no time left" ;;
    77) echo "skipped: no usable CUDA device" ;; *) echo "exit $1" ;;
  esac
}

print_bench_table() {
  [ -s "$LOG_DIR/bench.txt" ] || return 0
  echo | tee -a "$summary"
  (column -t "$LOG_DIR/bench.txt" 2>/dev/null || cat "$LOG_DIR/bench.txt") | tee -a "$summary"
  # tokens/s of bareformer over PyTorch, per (precision, preset)
  awk 'NR > 1 && $4 !~ /^FAILED/ { mode = ($1 ~ /tf32/) ? "tf32" : "f32"; key = mode " " $3;
         if ($1 ~ /^bareformer/) bf[key] = $8; else pt[key] = $8 }
       END { for (k in bf) if (k in pt && pt[k] > 0) printf "bareformer/pytorch tokens_per_s %s: %.3f\n", k, bf[k] / pt[k] }' \
    "$LOG_DIR/bench.txt" | sort | tee -a "$summary"
  bench_printed=1
}
finish() {
  trap - EXIT INT TERM
  [ "$bench_printed" = 1 ] || print_bench_table
  note "gpu_check: $([ "$status" -eq 0 ] && echo "build and test_cuda passed" || echo "FAILED") (test_cuda: $tests_state; total $(elapsed) of the ${BUDGET}s budget; logs in $LOG_DIR)"
  exit "$status"
}
trap finish EXIT
trap 'note "gpu_check: interrupted at $(elapsed)"; status=1; exit 1' INT TERM

note "gpu_check: started $(date -u '+%Y-%m-%d %H:%M:%S') UTC, deadline in ${BUDGET}s, logs in $LOG_DIR"

# ---- 0. the toolchain
env_log="$LOG_DIR/env.txt"
: > "$env_log"
site_dirs() {
  timeout 20 "$PYTHON" -c 'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null
  for d in /usr/local/lib/python3*/dist-packages /usr/lib/python3/dist-packages /opt/*/.venv/lib/python3*/site-packages; do
    [ -d "$d" ] && echo "$d"
  done
}
mapfile -t sites < <(site_dirs | awk '!seen[$0]++')
nvcc_candidates=()
[ -n "${CUDACXX:-}" ] && nvcc_candidates+=("$CUDACXX")
command -v nvcc > /dev/null && nvcc_candidates+=("$(command -v nvcc)")
for root in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda $(ls -d /usr/local/cuda-* 2>/dev/null | sort -rV) /opt/cuda; do
  [ -n "$root" ] && nvcc_candidates+=("$root/bin/nvcc")
done
shopt -s nullglob  # a pattern that matches nothing adds nothing
for site in "${sites[@]}"; do
  for bin in "$site"/nvidia/*/bin/nvcc; do nvcc_candidates+=("$bin"); done
done
shopt -u nullglob
mapfile -t nvcc_candidates < <(printf '%s\n' "${nvcc_candidates[@]}" | awk 'NF && !seen[$0]++')
NVCC=""
{
  echo "== toolchain search"
  echo "python site-packages searched (nvidia/*/bin, nvidia/*/lib): ${sites[*]:-(none)}"
  for candidate in "${nvcc_candidates[@]}"; do
    if [ -x "$candidate" ]; then
      echo "nvcc candidate: $candidate (found)"
      [ -z "$NVCC" ] && NVCC=$(readlink -f "$candidate")
    else
      echo "nvcc candidate: $candidate (absent)"
    fi
  done
} >> "$env_log" 2>&1
if [ -z "$NVCC" ]; then
  note "FAIL toolchain: no nvcc found (looked at: ${nvcc_candidates[*]}); set CUDACXX=/path/to/nvcc"
  status=1
  exit 1
fi
cuda_major=$(timeout 20 "$NVCC" --version 2>/dev/null | sed -n 's/.*release \([0-9]*\)\..*/\1/p' | head -1)
cuda_root=$(dirname "$(dirname "$NVCC")")
export CUDACXX="$NVCC"
# Every libcublas.so.* in the usual places, then the one of nvcc's major version, first found.
blas_dirs=("$cuda_root/lib64" "$cuda_root/lib" "$cuda_root/targets/x86_64-linux/lib")
for root in /usr/local/cuda $(ls -d /usr/local/cuda-* 2>/dev/null | sort -rV); do
  blas_dirs+=("$root/lib64" "$root/targets/x86_64-linux/lib")
done
shopt -s nullglob
for site in "${sites[@]}"; do
  for dir in "$site"/nvidia/*/lib; do blas_dirs+=("$dir"); done
done
shopt -u nullglob
IFS=: read -r -a ld_dirs <<< "${LD_LIBRARY_PATH:-}"
blas_dirs+=("${ld_dirs[@]}")
mapfile -t blas_found < <(for d in "${blas_dirs[@]}"; do [ -n "$d" ] && ls "$d"/libcublas.so.* 2>/dev/null; done
                          ldconfig -p 2>/dev/null | awk '/libcublas\.so\./ { print $NF }')
mapfile -t blas_found < <(printf '%s\n' "${blas_found[@]}" | awk 'NF && !seen[$0]++')
CUBLAS=""
for lib in "${blas_found[@]}"; do
  case "$(basename "$lib")" in "libcublas.so.$cuda_major"*) [ -z "$CUBLAS" ] && CUBLAS=$lib ;; esac
done
{
  echo "nvcc: $NVCC (CUDA $cuda_major, toolkit root $cuda_root)"
  echo "libcublas.so.* found: ${blas_found[*]:-(none)}"
  echo "libcudart.so.* found: $(for d in "${blas_dirs[@]}"; do [ -n "$d" ] && ls "$d"/libcudart.so.* 2>/dev/null; done | awk '!seen[$0]++' | tr '\n' ' ')"
} >> "$env_log"
if [ -n "$CUBLAS" ]; then
  cublas_dir=$(dirname "$CUBLAS")
  export LD_LIBRARY_PATH="$cublas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export BAREFORMER_CUBLAS="$CUBLAS"   # backends/cuda/cublas_api.cpp tries it first
  note "toolchain: nvcc $NVCC (CUDA $cuda_major); cuBLAS $CUBLAS (its folder put on LD_LIBRARY_PATH)"
else
  note "toolchain: nvcc $NVCC (CUDA $cuda_major); NO libcublas.so.$cuda_major found (the GEMMs will fail; env.txt lists where it looked)"
fi

# ---- 1. the machine
{
  echo "== machine"
  date -u; uname -a
  timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap,clocks.sm,clocks.max.sm --format=csv 2>&1
  "$NVCC" --version 2>&1 | tail -2
  cmake --version | head -1; echo "ninja $(ninja --version)"; g++ --version | head -1
  timeout 30 "$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))" 2>&1
} >> "$env_log" 2>&1
gpu=$(timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
cap=$(timeout 20 nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
ARCHS=${CUDA_ARCHS:-${cap:-80;90}}
note "machine: GPU ${gpu:-not found by nvidia-smi}; $JOBS cores; building for CUDA architecture(s) $ARCHS"

# ---- 2. configure and build
build_log="$LOG_DIR/build.log"
: > "$build_log"
cmake_args=(-S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DBAREFORMER_CUDA=ON
            "-DCMAKE_CUDA_COMPILER=$NVCC" "-DCUDAToolkit_ROOT=$cuda_root" "-DCMAKE_CUDA_ARCHITECTURES=$ARCHS"
            -DBAREFORMER_WERROR=OFF)  # another g++ than CI's may warn differently: counted, not fatal
read -r -a extra_cmake_args <<< "${GPU_CHECK_CMAKE_ARGS:-}"
cmake_args+=("${extra_cmake_args[@]}")
if [ -f .device_deps/bareformer-deps.tar.gz ]; then
  DEPS="$PWD/build-gpu/deps"   # a fixed path: the same compile commands on every run (compiler caches hit)
  rm -rf "$DEPS" && mkdir -p "$DEPS"
  if ! tar -xzf .device_deps/bareformer-deps.tar.gz -C "$DEPS"; then
    note "FAIL deps: cannot unpack .device_deps/bareformer-deps.tar.gz (make it again with scripts/prepare_gpu_deps.sh)"
    status=1
    exit 1
  fi
  export LD_LIBRARY_PATH="$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cmake_args+=("-DBAREFORMER_DEPS_DIR=$DEPS" "-DCMAKE_PREFIX_PATH=$DEPS")
  dnnl_config=$(ls "$DEPS"/lib/*/cmake/dnnl/dnnl-config.cmake 2>/dev/null | head -1)
  if [ -n "$dnnl_config" ]; then
    # oneDNN's CMake package asks for an OpenCL library (libdnnl links libOpenCL.so.1) but needs no CL header.
    cmake_args+=(-DBAREFORMER_GEMM=onednn "-Ddnnl_DIR=$(dirname "$dnnl_config")"
                 "-DOpenCL_LIBRARY=$DEPS/lib/libOpenCL.so.1" "-DOpenCL_INCLUDE_DIR=$DEPS/include")
    gemm="onednn (packed)"
  else
    cmake_args+=(-DBAREFORMER_GEMM=openblas)
    gemm="openblas (no oneDNN packed)"
  fi
  deps_note="dependencies from .device_deps ($(tr '\n' ' ' < "$DEPS/VERSIONS" 2>/dev/null))"
else
  gemm="the build's default"
  deps_note="dependencies from the system packages (no .device_deps/bareformer-deps.tar.gz)"
fi
echo "[gpu_check] $deps_note; f32 GEMM: $gemm" >> "$build_log"
echo "[gpu_check] cmake ${cmake_args[*]}" >> "$build_log"
limited 90 "$build_log" cmake "${cmake_args[@]}"
rc=$?
if [ $rc -eq 0 ]; then
  limited 300 "$build_log" ninja -C build-gpu -j "$JOBS" test_cuda bench_train_step bench_op_profile
  rc=$?
fi
if [ $rc -ne 0 ]; then
  status=1
  note "FAIL build ($(why $rc)) at $(elapsed); f32 GEMM $gemm. Last lines of build.log:"
  tail -30 "$build_log" | tee -a "$summary"
  exit 1
fi
note "PASS build at $(elapsed): $(grep -c -i 'warning' "$build_log") warning lines; f32 GEMM $gemm; $deps_note"

# ---- 3. the CUDA suite
test_log="$LOG_DIR/test_cuda.log"
: > "$test_log"
limited 200 "$test_log" build-gpu/tests/test_cuda --duration=true
rc=$?
tests_state=$(why $rc)
if [ $rc -eq 0 ]; then
  note "PASS test_cuda at $(elapsed): $(grep -E '^\[doctest\] (test cases|assertions)' "$test_log" | tr '\n' ' ')"
else
  status=1
  note "FAIL test_cuda ($tests_state) at $(elapsed):"
  grep -E 'ERROR|FAILED|SKIPPED|error|TEST CASE' "$test_log" | head -40 | tee -a "$summary"
  # A CUDA error or a crash: again with a synchronisation after every launch, so the faulting kernel's
  # own line is reported (an error inside a kernel otherwise surfaces at a later call).
  if [ $rc -ne 77 ] && [ $rc -ne 124 ] && [ $rc -ne 125 ] && { [ $rc -gt 128 ] || grep -q -E 'CUDA error|cuBLAS error' "$test_log"; }; then
    sync_log="$LOG_DIR/test_cuda_sync.log"
    : > "$sync_log"
    BAREFORMER_CUDA_SYNC=1 limited 120 "$sync_log" build-gpu/tests/test_cuda
    sync_rc=$?
    note "test_cuda again with BAREFORMER_CUDA_SYNC=1: $(why $sync_rc) (test_cuda_sync.log); first CUDA errors:"
    grep -E 'CUDA error|cuBLAS error' "$sync_log" | head -5 | tee -a "$summary"
  fi
fi

# ---- 4. benchmark: the paper's headline model, bareformer and PyTorch alternating on the same GPU
if [ "$tests_state" = "$(why 77)" ]; then
  note "benchmark not run: no usable CUDA device"
  exit "$status"
fi
bench="$LOG_DIR/bench.txt"
bench_err="$LOG_DIR/bench_stderr.txt"
echo "engine config preset params median_ms min_ms max_ms tokens_per_s model_gflops sgemm_gflops frac_sgemm peak_mib estimate_mib" > "$bench"
: > "$bench_err"
# bench_row ENGINE PRESET WANT_S CMD...: the command's data rows, or "ENGINE paper PRESET FAILED:<why>".
bench_row() {
  local engine=$1 preset=$2 want=$3 out rc
  shift 3
  out=$(mktemp)
  limited "$want" "$out" "$@"
  rc=$?
  grep -E '^(bareformer|pytorch)' "$out" >> "$bench" ||
    echo "$engine paper $preset FAILED:$(why $rc | tr ' :' '_-')" >> "$bench"
  { echo "== $engine $preset: $(why $rc)"; grep -v -E '^(bareformer|pytorch)' "$out"; } >> "$bench_err"
  rm -f "$out"
}
for tf32 in 0 1; do
  mode=$([ $tf32 = 1 ] && echo -tf32)
  torch_tf32=()
  [ $tf32 = 1 ] && torch_tf32=(--tf32)
  for preset in pre_ln sas_p; do
    bench_row "bareformer-cuda$mode" $preset 45 build-gpu/bench/bench_train_step --size paper --preset $preset \
      --device cuda --tf32 $tf32 --steps 10 --warmup 2 --threads 4
    bench_row "pytorch-cuda$mode" $preset 75 "$PYTHON" bench/torch_step.py --size paper --preset $preset \
      --device cuda "${torch_tf32[@]}" --steps 10 --warmup 2 --threads 4 --no-header
  done
done
note "benchmark done at $(elapsed)"
print_bench_table
# Where a GPU step's time goes, op by op (each timestamp waits for the GPU; bench/README.md).
echo | tee -a "$summary"
profile=$(mktemp)
limited 60 "$profile" build-gpu/bench/bench_op_profile --size paper --preset sas_p --device cuda --steps 5 --warmup 2
rc=$?
tee -a "$summary" < "$profile"
rm -f "$profile"
[ $rc -eq 0 ] || note "bench_op_profile paper sas_p on cuda: $(why $rc)"
exit "$status"
