#!/usr/bin/env bash
# Training-step benchmark: bareformer (build/bench/bench_train_step) against PyTorch (bench/torch_step.py)
# on the same models, same optimiser and same batch shapes, each engine at its best on this machine.
#
#   bench/compare.sh [STEPS] [SIZES...]        defaults: STEPS=20, SIZES = tiny small medium
#
# In order, it
#   1. measures the fp32 FMA peak (build/bench/bench_fma_peak, registers only, THREADS threads), before
#      the steps and again after them, and reports the larger: a busy neighbour can only lower it;
#   2. picks PyTorch's best OpenBLAS setting. Debian's torch 1.13 computes float32 matrix products with
#      OpenBLAS 0.3.21 (pthreads), whose kernel family depends on the environment: it runs torch.mm at the
#      largest size's shape (torch_step.py --probe-gemm) under each setting and keeps the fastest:
#        as-set    the environment as it is (here OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may pin a family);
#        unset     OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only: OpenBLAS's own
#                  choice for this CPU (an x86 model it does not know gets its SSE3 "Prescott" kernels);
#        SkylakeX, Cooperlake
#                  OpenBLAS's AVX-512 kernel families, tried when /proc/cpuinfo shows avx512f (and
#                  avx512_bf16 for Cooperlake), OPENBLAS_L2_SIZE unset;
#      each probe prints the kernel family OpenBLAS reports (openblas_get_corename, via ctypes). Set
#      TORCH_BLAS to one of those names to skip the probe;
#   3. for each size and preset (pre_ln, sas_p) runs bareformer then PyTorch, alternately, each config in
#      a fresh process, so machine noise is spread over both engines;
#   4. prints both engines' tables (the columns of bench/torch_step.py's header, then frac_peak =
#      model_gflops / the FMA peak; the gemm column names each engine's GEMM library and kernels), then
#        - a comparison: config preset bf_ms torch_ms ratio(bf/torch) bf_frac_peak torch_frac_peak
#          bf_frac_sgemm torch_frac_sgemm (ms = median step time; ratio < 1 means bareformer is faster);
#        - per engine and size, sas_p's throughput gain over pre_ln: pre_ln_ms / sas_p_ms - 1, in percent.
#
# PyTorch's other settings (its best here): OMP_WAIT_POLICY=PASSIVE (gomp workers sleep instead of
# spinning against OpenBLAS's threads; without it the tiny step went from ~11 ms to ~600 ms on a loaded
# machine); OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and torch.set_num_threads = THREADS; glibc malloc
# keeping large tensors on the heap (MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296
# MALLOC_TOP_PAD_=536870912: ~3-5% on tiny). bareformer runs in the environment as it is: its f32 GEMM
# provider (oneDNN by default; BAREFORMER_GEMM=openblas selects OpenBLAS) is in its gemm column.
# Run it on an otherwise idle machine; the only things it builds are bench_train_step and bench_fma_peak,
# if they are missing.
#
# Environment overrides: BF_BENCH (the bareformer binary), BF_PEAK (the FMA peak binary), PYTHON (default
# /usr/bin/python3, which has torch), THREADS (default 2), TORCH_BLAS (as-set|unset|SkylakeX|Cooperlake).
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=${1:-20}
[[ $# -gt 0 ]] && shift
SIZES=("$@")
[[ ${#SIZES[@]} -eq 0 ]] && SIZES=(tiny small medium)
PRESETS=(pre_ln sas_p)
BF=${BF_BENCH:-build/bench/bench_train_step}
PEAK=${BF_PEAK:-build/bench/bench_fma_peak}
PY=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}

for bin in "$BF" "$PEAK"; do
  if [[ ! -x $bin ]]; then
    echo "# $bin missing: building it" >&2
    cmake --build build --target "$(basename "$bin")" >&2
  fi
done

TORCH_ENV=(OMP_WAIT_POLICY=PASSIVE "OMP_NUM_THREADS=$THREADS" "OPENBLAS_NUM_THREADS=$THREADS"
           MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=536870912)
HEADER="engine config preset params median_ms min_ms max_ms tokens_per_s model_gflops sgemm_gflops frac_sgemm peak_mib estimate_mib gemm"
NCOL=14

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/bf"
: >"$tmp/torch"

# peak: the fp32 FMA peak in GFLOP/s on THREADS threads (the last line of bench_fma_peak)
peak() { "$PEAK" --threads "$THREADS" | awk '$1 == "fp32_fma_peak_gflops" { print $2 " " $3 }'; }
echo "# fp32 FMA peak ($THREADS threads)" >&2
read -r peak1 peak_isa < <(peak)

# blas_env NAME: the env(1) arguments of one OpenBLAS setting for PyTorch
blas_env() {
  case $1 in
    as-set) ;;
    unset) echo "-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE" ;;
    SkylakeX | Cooperlake) echo "-u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=$1" ;;
    *) echo "compare.sh: TORCH_BLAS=$1: expected as-set, unset, SkylakeX or Cooperlake" >&2; exit 2 ;;
  esac
}
probe_size=${SIZES[-1]}
candidates=(as-set unset)
grep -qw avx512f /proc/cpuinfo && candidates+=(SkylakeX)
grep -qw avx512_bf16 /proc/cpuinfo && candidates+=(Cooperlake)
if [[ -n ${TORCH_BLAS:-} ]]; then
  blas_env "$TORCH_BLAS" >/dev/null || exit 2  # an unknown name stops here, not inside $(...)
  candidates=("$TORCH_BLAS")
fi
: >"$tmp/probe"
for c in "${candidates[@]}"; do
  # shellcheck disable=SC2046  # blas_env's words are separate env(1) arguments
  line=$(env $(blas_env "$c") "${TORCH_ENV[@]}" "$PY" bench/torch_step.py --size "$probe_size" --probe-gemm \
         --threads "$THREADS" | awk '$1 == "gemm_probe"') || true
  [[ -n $line ]] && echo "$c $line" >>"$tmp/probe"
done
[[ -s $tmp/probe ]] || { echo "compare.sh: PyTorch's GEMM probe printed nothing" >&2; exit 1; }
TORCH_BLAS_BEST=$(sort -k4,4gr "$tmp/probe" | head -1 | cut -d' ' -f1)
read -r -a TORCH_BLAS_ENV <<<"$(blas_env "$TORCH_BLAS_BEST")"

# row FILE SIZE PRESET: append the one NCOL-column row for SIZE PRESET from stdin (the last, if several)
row() {
  awk -v s="$2" -v p="$3" -v n="$NCOL" '$1 != "engine" && NF == n && $2 == s && $3 == p { r = $0 } END { if (r != "") print r; else exit 1 }' >>"$1"
}

for size in "${SIZES[@]}"; do
  for preset in "${PRESETS[@]}"; do
    echo "# bareformer $size $preset" >&2
    if ! "$BF" --size "$size" --preset "$preset" --steps "$STEPS" --threads "$THREADS" | row "$tmp/bf" "$size" "$preset"; then
      echo "# bareformer $size $preset: failed or printed no row" >&2
    fi
    echo "# pytorch    $size $preset" >&2
    if ! env "${TORCH_BLAS_ENV[@]}" "${TORCH_ENV[@]}" "$PY" bench/torch_step.py --size "$size" --preset "$preset" \
        --steps "$STEPS" --threads "$THREADS" | row "$tmp/torch" "$size" "$preset"; then
      echo "# pytorch $size $preset: failed or printed no row" >&2
    fi
  done
done

read -r peak2 _ < <(peak)
PEAK_GFLOPS=$(awk -v a="$peak1" -v b="$peak2" 'BEGIN { print (a > b) ? a : b }')

# table FILE...: header and rows plus frac_peak, columns aligned
table() {
  { echo "$HEADER frac_peak"; awk -v p="$PEAK_GFLOPS" '{ printf "%s %.3f\n", $0, (p > 0) ? $9 / p : 0 }' "$@"; } | awk '
    { n[NR] = NF; for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
    END { for (r = 1; r <= NR; r++) { line = ""
            for (i = 1; i <= n[r]; i++) line = line sprintf(i == 1 ? "%-*s" : "  %*s", w[i], c[r, i])
            print line } }'
}

echo
echo "== fp32 FMA peak: $PEAK_GFLOPS GFLOP/s ($peak_isa, $THREADS threads; $peak1 before the steps, $peak2 after) =="
echo
echo "== PyTorch's OpenBLAS settings: torch.mm at the $probe_size shape (fastest is used) =="
awk '{ printf "%-10s %-32s %8s GFLOP/s\n", $1, $3, $4 }' "$tmp/probe"
echo
echo "== bareformer ($STEPS steps) =="
table "$tmp/bf"
echo
echo "== pytorch ($STEPS steps; OpenBLAS setting $TORCH_BLAS_BEST: ${TORCH_BLAS_ENV[*]:-environment as set}; ${TORCH_ENV[*]}) =="
table "$tmp/torch"
echo
echo "== comparison (median step ms; ratio < 1: bareformer faster; frac_peak = model FLOP rate / FMA peak) =="
awk -v p="$PEAK_GFLOPS" '
  { f = ($1 == "pytorch") ? 2 : 1; k = $2 " " $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    ms[f, k] = $5; fr[f, k] = $11; fp[f, k] = (p > 0) ? sprintf("%.3f", $9 / p) : "-" }
  function get(a, f, k) { return ((f, k) in a) ? a[f, k] : "-" }
  END {
    printf "%-8s %-7s %10s %10s %16s %13s %16s %14s %17s\n", "config", "preset", "bf_ms", "torch_ms", "ratio(bf/torch)",
           "bf_frac_peak", "torch_frac_peak", "bf_frac_sgemm", "torch_frac_sgemm"
    for (i = 1; i <= n; i++) { k = order[i]; split(k, a, " ")
      b = get(ms, 1, k); t = get(ms, 2, k)
      r = (b != "-" && t != "-" && t > 0) ? sprintf("%.3f", b / t) : "-"
      printf "%-8s %-7s %10s %10s %16s %13s %16s %14s %17s\n", a[1], a[2], b, t, r, get(fp, 1, k), get(fp, 2, k),
             get(fr, 1, k), get(fr, 2, k) } }
' "$tmp/bf" "$tmp/torch"
echo
echo "== sas_p throughput gain over pre_ln, per engine (pre_ln_ms / sas_p_ms - 1) =="
awk '
  { f = ($1 == "pytorch") ? 2 : 1; ms[f, $2, $3] = $5; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
  function gain(e, s) {
    if (!((e, s, "pre_ln") in ms) || !((e, s, "sas_p") in ms) || ms[e, s, "sas_p"] <= 0) return "-"
    return sprintf("%+.1f%%", (ms[e, s, "pre_ln"] / ms[e, s, "sas_p"] - 1) * 100)
  }
  END {
    printf "%-8s %10s %10s %8s %12s %12s %10s\n", "config", "bf_pre_ln", "bf_sas_p", "bf_gain", "torch_pre_ln", "torch_sas_p", "torch_gain"
    for (i = 1; i <= n; i++) { s = order[i]
      printf "%-8s %10s %10s %8s %12s %12s %10s\n", s,
             ((1, s, "pre_ln") in ms) ? ms[1, s, "pre_ln"] : "-", ((1, s, "sas_p") in ms) ? ms[1, s, "sas_p"] : "-", gain(1, s),
             ((2, s, "pre_ln") in ms) ? ms[2, s, "pre_ln"] : "-", ((2, s, "sas_p") in ms) ? ms[2, s, "sas_p"] : "-", gain(2, s) } }
' "$tmp/bf" "$tmp/torch"
