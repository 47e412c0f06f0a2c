#!/usr/bin/env bash
# Copies the text files of a sweep's runs (config.json and metrics.jsonl; no checkpoints) into the
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
(cd "$out_dir" && find . -name metrics.jsonl -o -name config.json) | while read -r f; do
  mkdir -p "$dest/$(dirname "$f")"
  cp "$out_dir/$f" "$dest/$f"
done
"$bf" sweep "$sweep" --report-only --runs "$dest" > /dev/null
echo "published $out_dir -> $dest (report: $(sed -n 's/.*"report": *"\([^"]*\)".*/\1/p' "$sweep" | head -1 | sed 's|$|/|;s|^/$||')report.md)"
