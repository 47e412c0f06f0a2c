#!/usr/bin/env bash
# Fuzzes the readers of untrusted input with libFuzzer (+ ASan + UBSan), one target after another:
#   config_fuzz       config JSON text and --set overrides -> load_config / apply_override
#   safetensors_fuzz  checkpoint bytes -> decode_safetensors
#   token_file_fuzz   train.bin / val.bin bytes -> TokenFile::from_bytes
#
#   scripts/fuzz.sh [SECONDS]      each target for SECONDS (default 600), then a summary
#
# Needs clang and its libFuzzer runtime, installed here if missing (an optional extra: the normal build,
# tests and CI use gcc and need none of it). Builds in build-fuzz/ (BAREFORMER_FUZZ=ON). Seeds come from
# fuzz/corpus/<target>/ and are never modified; the growing corpus lives in build-fuzz/corpus/<target>/
# and what a target finds (crash-*, timeout-*, slow-unit-*, oom-*, leak-*) in build-fuzz/findings/<target>/.
# Copy a finding to fuzz/regressions/<target>/ (and fix it) so the normal suite replays it forever.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}

packages=(clang clang-14 libclang-rt-14-dev libomp-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
bash scripts/setup.sh > /dev/null  # the libraries bareformer itself builds with

targets=(config_fuzz safetensors_fuzz token_file_fuzz)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
      -DBAREFORMER_FUZZ=ON -DBAREFORMER_TESTS=OFF -DBAREFORMER_WERROR=OFF > /dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"

summary=()
found_any=0
for t in "${targets[@]}"; do
  work=build-fuzz/corpus/$t findings=build-fuzz/findings/$t
  mkdir -p "$work" "$findings"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  echo "== $t for ${seconds}s (seeds fuzz/corpus/$t, corpus $work, findings $findings)"
  log=build-fuzz/$t.log
  before=$(find "$findings" -type f | wc -l)
  # -timeout: an input slower than 10 s is a finding (slow-unit-* above 1 s is only reported);
  # -fork=1 -ignore_crashes=1 would keep going after a crash, but one crash at a time is easier to fix.
  set +e
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "build-fuzz/fuzz/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -report_slow_units=1 -print_final_stats=1 -artifact_prefix="$findings/" "$work" "fuzz/corpus/$t" 2>&1 |
    tee "$log" | grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|SUMMARY|Test unit written|Slowest unit|stat::" || true
  set -e
  execs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
  units=$(find "$work" -type f | wc -l)
  found=$(( $(find "$findings" -type f | wc -l) - before ))
  [ "$found" -gt 0 ] && found_any=1
  summary+=("$(printf '%-18s %6ss %12s execs %7s corpus units %4s new findings' "$t" "$seconds" "$execs" "$units" "$found")")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
if [ "$found_any" -ne 0 ]; then
  echo "fuzz: findings under build-fuzz/findings/ (reproduce: build-fuzz/fuzz/<target> FILE)"
  exit 1
fi
