#!/usr/bin/env bash
# Copies the text files of a sweep's finished runs (config.json and metrics.jsonl; no checkpoints) into the
# published folder, then writes the report there from those copies, as a fresh clone would regenerate it.
# Usage: scripts/publish_sweep.sh SWEEP.json [DEST]   (DEST: docs/experiments/runs/<basename of out_dir>)
set -euo pipefail
cd "$(dirname "$0")/.."
sweep=$1
out_dir=$(sed -n 's/.*"out_dir": *"\([^"]*\)".*/\1/p' "$sweep" | head -1)
[ -n "$out_dir" ] || { echo "publish_sweep.sh: no \"out_dir\" in $sweep" >&2; exit 1; }
dest=${2:-docs/experiments/runs/$(basename "$out_dir")}
bf=${BAREFORMER:-./build/bareformer}
mkdir -p "$dest"
# Finished runs only: an "end" event after the last "start" and, when the sweep evaluates on the whole split,
# the "final_eval" after that end. A run still training, or still being evaluated, would be published with
# numbers it has not reached yet.
whole_split=0
grep -q '"final_eval": *"whole_split"' "$sweep" && whole_split=1
(cd "$out_dir" && find . -name metrics.jsonl) | while read -r f; do
  run=$(dirname "$f")
  if ! awk -v need_eval=$whole_split '/"event":"start"/ { done = 0; evaluated = 0 } /"event":"end"/ { done = 1 }
       /"event":"final_eval"/ { if (done) evaluated = 1 } END { exit !(done && (evaluated || !need_eval)) }' "$out_dir/$f"; then
    echo "skipped $out_dir/$run: not finished" >&2
    continue
  fi
  mkdir -p "$dest/$run"
  cp "$out_dir/$f" "$dest/$f"
  [ -f "$out_dir/$run/config.json" ] && cp "$out_dir/$run/config.json" "$dest/$run/config.json"
done
"$bf" sweep "$sweep" --report-only --runs "$dest" > /dev/null
echo "published $out_dir -> $dest (report: $(sed -n 's/.*"report": *"\([^"]*\)".*/\1/p' "$sweep" | head -1 | sed 's|$|/|;s|^/$||')report.md)"
