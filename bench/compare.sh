#!/usr/bin/env bash
# Training-step benchmark: bareformer (build/bench/bench_train_step) against PyTorch (bench/torch_step.py)
# on the same models, same optimiser and same batch shapes.
#
#   bench/compare.sh [STEPS] [SIZES...]        defaults: STEPS=20, SIZES = tiny small medium
#
# For each size and preset (pre_ln, sas_p) it runs bareformer then PyTorch, alternately, each config in a
# fresh process, so machine noise is spread over both engines. It prints both engines' tables (same
# columns; see the top of bench/torch_step.py for their definitions), then
#   - a comparison: config preset bf_ms torch_ms ratio(bf/torch) bf_frac_sgemm torch_frac_sgemm
#     (ms = median step time; ratio < 1 means bareformer is faster);
#   - per engine and size, sas_p's throughput gain over pre_ln: pre_ln_ms / sas_p_ms - 1, in percent.
#
# PyTorch runs with its best settings on this machine (Debian torch 1.13, OpenBLAS pthreads, gomp):
#   OMP_WAIT_POLICY=PASSIVE  gomp worker threads sleep instead of spinning against OpenBLAS's threads;
#                            without it the tiny step went from ~11 ms to ~600 ms on a loaded machine.
#   OMP_NUM_THREADS=2, torch.set_num_threads(2), OPENBLAS_NUM_THREADS=2
#   MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=536870912
#                            glibc keeps large tensors on the heap instead of mmap/munmap per tensor;
#                            ~3-5% faster on tiny.
# Run it on an otherwise idle machine; the only thing it builds is bench_train_step, if it is missing.
#
# Environment overrides: BF_BENCH (the bareformer binary), PYTHON (default /usr/bin/python3, which has
# torch), THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=${1:-20}
[[ $# -gt 0 ]] && shift
SIZES=("$@")
[[ ${#SIZES[@]} -eq 0 ]] && SIZES=(tiny small medium)
PRESETS=(pre_ln sas_p)
BF=${BF_BENCH:-build/bench/bench_train_step}
PY=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}

if [[ ! -x $BF ]]; then
  echo "# $BF missing: building it" >&2
  cmake --build build --target bench_train_step >&2
fi

TORCH_ENV=(OMP_WAIT_POLICY=PASSIVE "OMP_NUM_THREADS=$THREADS" "OPENBLAS_NUM_THREADS=$THREADS"
           MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=536870912)
HEADER="engine config preset params median_ms min_ms max_ms tokens_per_s model_gflops sgemm_gflops frac_sgemm peak_mib estimate_mib"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/bf"
: >"$tmp/torch"

# row FILE SIZE PRESET: append the one 13-column row for SIZE PRESET from stdin (the last, if several)
row() {
  awk -v s="$2" -v p="$3" '$1 != "engine" && NF == 13 && $2 == s && $3 == p { r = $0 } END { if (r != "") print r; else exit 1 }' >>"$1"
}

for size in "${SIZES[@]}"; do
  for preset in "${PRESETS[@]}"; do
    echo "# bareformer $size $preset" >&2
    if ! "$BF" --size "$size" --preset "$preset" --steps "$STEPS" | row "$tmp/bf" "$size" "$preset"; then
      echo "# bareformer $size $preset: failed or printed no row" >&2
    fi
    echo "# pytorch    $size $preset" >&2
    if ! env "${TORCH_ENV[@]}" "$PY" bench/torch_step.py --size "$size" --preset "$preset" --steps "$STEPS" \
        --threads "$THREADS" | row "$tmp/torch" "$size" "$preset"; then
      echo "# pytorch $size $preset: failed or printed no row" >&2
    fi
  done
done

# table FILE...: header and rows, columns aligned
table() {
  { echo "$HEADER"; cat "$@"; } | awk '
    { n[NR] = NF; for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
    END { for (r = 1; r <= NR; r++) { line = ""
            for (i = 1; i <= n[r]; i++) line = line sprintf(i == 1 ? "%-*s" : "  %*s", w[i], c[r, i])
            print line } }'
}

echo
echo "== bareformer ($STEPS steps) =="
table "$tmp/bf"
echo
echo "== pytorch ($STEPS steps; ${TORCH_ENV[*]}) =="
table "$tmp/torch"
echo
echo "== comparison (median step ms; ratio < 1: bareformer faster) =="
awk '
  { f = ($1 == "pytorch") ? 2 : 1; k = $2 " " $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k } ms[f, k] = $5; fr[f, k] = $11 }
  END {
    printf "%-8s %-7s %10s %10s %16s %14s %17s\n", "config", "preset", "bf_ms", "torch_ms", "ratio(bf/torch)", "bf_frac_sgemm", "torch_frac_sgemm"
    for (i = 1; i <= n; i++) { k = order[i]; split(k, a, " ")
      b = ((1, k) in ms) ? ms[1, k] : "-"; t = ((2, k) in ms) ? ms[2, k] : "-"
      r = (b != "-" && t != "-" && t > 0) ? sprintf("%.3f", b / t) : "-"
      printf "%-8s %-7s %10s %10s %16s %14s %17s\n", a[1], a[2], b, t, r,
             ((1, k) in fr) ? fr[1, k] : "-", ((2, k) in fr) ? fr[2, k] : "-" } }
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
