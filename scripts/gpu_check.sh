#!/usr/bin/env bash
# The one script a GPU machine runs for bareformer's CUDA backend (issue 5). In one go, each stage under
# its own time limit so the summary always prints:
#   1. records the machine (nvidia-smi, nvcc, cmake, g++, torch);
#   2. builds with -DBAREFORMER_CUDA=ON (sm_80 and sm_90) against the carried dependencies;
#   3. runs test_cuda: every kernel against the CPU (f32 and f64), gradcheck on the GPU, every preset's
#      forward/backward, 20 training steps against the CPU;
#   4. runs the other suites (ctest, without the CUDA one);
#   5. times training steps of the paper's headline model (18 layers, d 768, 12 heads, T 128, batch 32;
#      pre_ln and sas_p) in bareformer and PyTorch on this GPU, f32 and TF32, and prints the table last.
# Logs go to $OUT (the device tool's output folder) or ./gpu_check_out: env.txt, build.log, test_cuda.log
# (and test_cuda_sync.log: a failed run again with BAREFORMER_CUDA_SYNC=1, so an error inside a kernel
# names the launching line), ctest.log, bench.txt, bench_stderr.txt, summary.txt (8 files at most, the
# tool's limit). Exit status 0 only if the build and every test passed (a skipped test_cuda is a failure).
#
# Before the call, once, on the development machine (which has the Debian packages):
#     scripts/prepare_gpu_deps.sh        # writes .device_deps/bareformer-deps.tar.gz (ignored by git)
# The device tool call (repository root; carry names the ignored folder so it travels):
#     run(command="bash scripts/gpu_check.sh", carry=[".device_deps"], timeout_s=540)
# Expected duration: about 2-3 min build (16 cores), 1-2 min tests, 2 min benchmark; under 8 min in all.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_check_out}
mkdir -p "$OUT"
PYTHON=${PYTHON:-python3}
JOBS=$(nproc)
start=$(date +%s)
summary="$OUT/summary.txt"
: > "$summary"
status=0
note() { echo "$*" | tee -a "$summary"; }
elapsed() { echo $(( $(date +%s) - start ))s; }

# ---- 1. the machine
{
  date -u; uname -a
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv 2>&1
  nvcc --version 2>&1 | tail -2; cmake --version | head -1; ninja --version; g++ --version | head -1
  "$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))" 2>&1
} > "$OUT/env.txt" 2>&1
gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
note "gpu_check: GPU ${gpu:-not found by nvidia-smi}; $(nproc) cores"

# ---- 2. build
DEPS=/tmp/bf_deps
rm -rf "$DEPS" && mkdir -p "$DEPS"
if ! tar -xzf .device_deps/bareformer-deps.tar.gz -C "$DEPS"; then
  note "FAIL deps: .device_deps/bareformer-deps.tar.gz missing (run scripts/prepare_gpu_deps.sh and carry .device_deps)"
  exit 1
fi
export LD_LIBRARY_PATH="$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Warnings are not errors here: another g++ than CI's may warn differently, and a lease must not be spent
# on that; the warning count is reported instead.
if timeout 300 bash -c "cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DBAREFORMER_CUDA=ON \
      -DBAREFORMER_DEPS_DIR=$DEPS -DBAREFORMER_WERROR=OFF && ninja -C build-gpu -j $JOBS" > "$OUT/build.log" 2>&1; then
  note "PASS build ($(grep -c 'warning' "$OUT/build.log") warning lines) at $(elapsed)"
else
  note "FAIL build at $(elapsed): last lines of build.log:"
  tail -30 "$OUT/build.log" | tee -a "$summary"
  exit 1
fi

# ---- 3. the CUDA suite
timeout 180 build-gpu/tests/test_cuda > "$OUT/test_cuda.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
  note "PASS test_cuda: $(grep -E '^\[doctest\] (test cases|assertions)' "$OUT/test_cuda.log" | tr '\n' ' ') at $(elapsed)"
else
  status=1
  note "FAIL test_cuda (exit $rc$([ $rc -eq 77 ] && echo ': skipped, no device?')$([ $rc -eq 124 ] && echo ': timed out')) at $(elapsed)"
  grep -E 'ERROR|FAILED|SKIPPED|error' "$OUT/test_cuda.log" | head -40 | tee -a "$summary"
  if [ $rc -ne 77 ]; then  # synchronise after every launch: the first faulting kernel is named
    BAREFORMER_CUDA_SYNC=1 timeout 120 build-gpu/tests/test_cuda > "$OUT/test_cuda_sync.log" 2>&1
    note "test_cuda with BAREFORMER_CUDA_SYNC=1: exit $? (test_cuda_sync.log)"
  fi
fi

# ---- 4. the other suites
if timeout 120 ctest --test-dir build-gpu -E '^cuda$' -j "$JOBS" --output-on-failure > "$OUT/ctest.log" 2>&1; then
  note "PASS other suites: $(grep -E 'tests passed' "$OUT/ctest.log") at $(elapsed)"
else
  status=1
  note "FAIL other suites at $(elapsed): $(grep -E 'tests passed|Failed|Timeout' "$OUT/ctest.log" | tr '\n' ' ')"
fi

# ---- 5. benchmark: the paper's headline model, bareformer and PyTorch on the same GPU, alternating
bench="$OUT/bench.txt"
header="engine config preset params median_ms min_ms max_ms tokens_per_s model_gflops sgemm_gflops frac_sgemm peak_mib estimate_mib"
echo "$header" > "$bench"
for tf32 in 0 1; do
  for preset in pre_ln sas_p; do
    timeout 45 build-gpu/bench/bench_train_step --size paper --preset $preset --device cuda --tf32 $tf32 \
      --steps 20 --warmup 3 --threads 4 2>>"$OUT/bench_stderr.txt" | grep '^bareformer' >> "$bench" \
      || echo "bareformer-cuda$([ $tf32 = 1 ] && echo -tf32) paper $preset FAILED" >> "$bench"
    timeout 75 "$PYTHON" bench/torch_step.py --size paper --preset $preset --device cuda $([ $tf32 = 1 ] && echo --tf32) \
      --steps 20 --warmup 3 --threads 4 --no-header 2>>"$OUT/bench_stderr.txt" | grep '^pytorch' >> "$bench" \
      || echo "pytorch-cuda$([ $tf32 = 1 ] && echo -tf32) paper $preset FAILED" >> "$bench"
  done
done
note "benchmark done at $(elapsed)"
echo
(column -t "$bench" 2>/dev/null || cat "$bench") | tee -a "$summary"
# tokens/s of bareformer over PyTorch, per (mode, preset)
awk 'NR > 1 && $4 != "FAILED" { split($1, e, "-"); mode = ($1 ~ /tf32/) ? "tf32" : "f32";
       key = mode " " $3; if (e[1] == "bareformer") bf[key] = $8; else pt[key] = $8 }
     END { for (k in bf) if (k in pt) printf "bareformer/pytorch tokens_per_s %s: %.3f\n", k, bf[k] / pt[k] }' \
  "$bench" | sort | tee -a "$summary"
# Where a GPU step's time goes, op by op (each timestamp waits for the GPU; bench/README.md).
echo | tee -a "$summary"
timeout 60 build-gpu/bench/bench_op_profile --size paper --preset sas_p --device cuda --steps 5 --warmup 2 \
  2>>"$OUT/bench_stderr.txt" | tee -a "$summary" || note "bench_op_profile paper sas_p on cuda FAILED"
note "gpu_check: $([ $status -eq 0 ] && echo 'all tests passed' || echo 'SOME TESTS FAILED') (total $(elapsed))"
exit $status
