#!/usr/bin/env bash
# Runs one fuzz target: under libFuzzer for N seconds over a scratch copy of its seed corpus
# (so the committed corpus is never rewritten), or, without libFuzzer, replays the seeds.
set -euo pipefail
exe=$1 corpus=$2 mode=$3 seconds=$4
[ -d "$corpus" ] || { echo "missing seed corpus $corpus" >&2; exit 1; }
if [ "$mode" = libfuzzer ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  exec "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$scratch" "$corpus"
else
  exec "$exe" "$corpus"
fi
