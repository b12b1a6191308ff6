#!/usr/bin/env bash
# tests/xdp/xdp_bench_smoke.sh — bench/xdp_bench's prog, install, sets, gen and sink modes once
# on the tiny set: each prints its figures (no timing is asserted). Needs root (skips without).
set -euo pipefail
bench=$1
[ "$(id -u)" -eq 0 ] || { echo "needs root (BPF)"; exit 77; }
tmp=$(mktemp -d)
ns=xbsmoke$$
sink_pid=""
cleanup() {
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
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
# gen out of one end of a veth pair, sink on the other: the frames made must arrive there.
ip netns add "$ns"
ip -n "$ns" link add xba type veth peer name xbb
ip -n "$ns" link set xba up
ip -n "$ns" link set xbb up
mac=$(ip -n "$ns" -j link show xbb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
ip netns exec "$ns" "$bench" sink --iface xbb > "$tmp/sink.json" &
sink_pid=$!
for _ in $(seq 1 50); do [ -s "$tmp/sink.json" ] && break; sleep 0.1; done
[ -s "$tmp/sink.json" ] || fail "sink did not attach"
rx0=$(ip -n "$ns" -s -j link show xbb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
out=$(ip netns exec "$ns" "$bench" gen --iface xba --set tiny --mix pass --dst-mac "$mac" --seconds 0.2) || fail "gen failed: $out"
sent=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sent"])')
rx1=$(ip -n "$ns" -s -j link show xbb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
[ "$sent" -gt 0 ] || fail "gen sent nothing: $out"
[ $((rx1 - rx0)) -ge $((sent * 9 / 10)) ] || fail "gen sent $sent, the peer received $((rx1 - rx0))"
echo "xdp_bench: prog $n cases, install, sets, gen ($sent frames, $((rx1 - rx0)) received) and sink ok"
