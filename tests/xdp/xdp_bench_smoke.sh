#!/usr/bin/env bash
# tests/xdp/xdp_bench_smoke.sh — bench/xdp_bench's prog, install and sets modes once on the
# tiny set: each prints its figures (no timing is asserted). Needs root (skips without).
set -euo pipefail
bench=$1
[ "$(id -u)" -eq 0 ] || { echo "needs root (BPF)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "xdp bench smoke: $*" >&2; exit 1; }
out=$("$bench" prog --set tiny --repeat 1000) || fail "prog failed"
n=$(echo "$out" | grep -c '"ns_per_frame"' || true)
[ "$n" -ge 5 ] || fail "prog printed $n cases: $out"
echo "$out" | grep '"case":"v4_listed_host"' | grep -q '"dropped_fraction":1.0' || fail "a listed host was not dropped: $out"
echo "$out" | grep '"case":"v4_unlisted"' | grep -q '"dropped_fraction":0.0' || fail "an unlisted host was dropped: $out"
echo "$out" | grep '"case":"dns_listed_name"' | grep -q '"dropped_fraction":1.0' || fail "a listed name was not dropped: $out"
chmod 0700 "$tmp"
out=$("$bench" install --set tiny --dir "$tmp") || fail "install failed"
echo "$out" | grep -q '"enforced_after_s"' || fail "install printed no time: $out"
out=$("$bench" sets --set tiny --dir "$tmp") || fail "sets failed"
[ -s "$tmp/tiny.nft" ] && [ -s "$tmp/tiny.xdp-filter.batch" ] || fail "sets wrote no files"
echo "xdp_bench: prog $n cases, install and sets ok"
