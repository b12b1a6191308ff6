#!/usr/bin/env bash
# bench/xdp_bench.sh — the XDP path beside xdp-filter and an nftables set, in one run, on one
# veth pair between two namespaces (sender -> receiver, the filter on the receiver's veth):
#   1. frames per second dropped ("drop" mix: sources are listed IPv4 hosts) and passed ("pass"
#      mix: unlisted sources), 64-byte UDP from 65,536 distinct addresses, made in the kernel
#      (xdp_bench gen: live frames redirected out of the sender's veth), for each filter:
#      none, iocgate XDP (native), xdp-filter (native, 10k only: it holds 10,000 addresses per
#      family and no prefix), nft (netdev ingress hook, interval sets), at 10k and 1M IoCs.
#      veth takes redirected frames only into a peer running XDP: for "none" and "nft" the
#      receiver runs an XDP_PASS program (xdp_bench sink), so every case starts from the same
#      XDP receive path;
#   2. per-frame program cost (BPF_PROG_TEST_RUN) of iocgate and xdp-filter by frame class;
#   3. memory per IoC: the iocgate image by kind, xdp-filter's map, nft (kernel memory delta);
#   4. push-to-enforced for 1M IoCs: XDP side (snapshot -> validated -> image -> switched) and
#      end to end (`iocctl feed push` of a 1M-line feed to iocgate control + iocgate-xdp).
# Prints one JSON line per figure ("tool": "xdp_bench").
#   usage: bench/xdp_bench.sh BUILD_DIR [SECONDS] [SETS]      (as root; bench/run.sh calls it)
set -euo pipefail
BUILD=$(realpath "$1")
SECS=${2:-5}
SETS=${3:-"10k 1m"}
HERE=$(cd "$(dirname "$0")" && pwd)
B=$BUILD/bench/xdp_bench
[ -x "$B" ] || B=$BUILD/tests/xdp/xdp_bench_smoke
if [ -z "${IOCGATE_XDP_BENCH_PRIVATE:-}" ]; then
  # xdp-filter pins its maps under /sys/fs/bpf/xdp-filter, one set for the whole machine:
  # this run gets a mount namespace and a bpffs of its own, so it meets nobody else's.
  exec env IOCGATE_XDP_BENCH_PRIVATE=1 unshare --mount --propagation private "$0" "$@"
fi
mount -t bpf bpf /sys/fs/bpf

S=xbs$$ R=xbr$$ VS=xbs$$a VR=xbr$$b
W=$(mktemp -d /tmp/iocgate-xdp-bench.XXXXXX)
chmod 0700 "$W"
ATTACH_PID="" SINK_PID=""
cleanup() {
  [ -n "$ATTACH_PID" ] && kill "$ATTACH_PID" 2>/dev/null && wait "$ATTACH_PID" 2>/dev/null || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$R" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
emit() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["tool"]="xdp_bench"; print(json.dumps(d), flush=True)' "$1"; }
log() { echo "[xdp_bench] $*" >&2; }
NR() { nsenter --net=/var/run/netns/"$R" "$@"; }  # keeps this mount namespace (and its bpffs)

ip netns add "$S"
ip netns add "$R"
ip link add "$VS" netns "$S" type veth peer name "$VR" netns "$R"
ip -n "$S" link set lo up
ip -n "$R" link set lo up
ip -n "$S" link set "$VS" up
ip -n "$R" link set "$VR" up
ip -n "$R" addr add 10.200.0.2/24 dev "$VR"
MAC=$(ip -n "$R" -j link show "$VR" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')

rx_stats() {  # packets dropped (the receiver's interface counters)
  ip -n "$R" -s -j link show "$VR" | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]["rx"]; print(s["packets"], s["dropped"])'
}
kmem() {  # kernel memory that sets and maps come from (kB): slab, vmalloc, percpu
  awk '/^(Slab|VmallocUsed|Percpu):/ {s += $2} END {print s}' /proc/meminfo
}

# Judged and dropped frames so far, as the filter under test counts them.
counts() {  # filter
  case $1 in
    none) rx_stats ;;
    iocgate) /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rx"], d["dropped"])' "$W/$VR.counters" ;;
    xdp-filter) NR xdp-filter status 2>/dev/null | awk '/XDP_DROP/ {d=$2} /XDP_PASS/ {p=$2} /XDP_ABORTED/ {a=$2} END {print d+p+a, d}' ;;
    nft) ip netns exec "$R" nft -j list chain netdev iocbench in | /usr/bin/python3 -c '
import json, sys
rules = [r["rule"] for r in json.load(sys.stdin)["nftables"] if "rule" in r]
cnt = lambda r: next((e["counter"]["packets"] for e in r["expr"] if "counter" in e), 0)
print(cnt(rules[0]), sum(cnt(r) for r in rules[1:]))' ;;
  esac
}

measure() {  # filter set mix round
  local filter=$1 set=$2 mix=$3 round=$4
  local before after sent
  before=$(counts "$filter")
  sent=$(ip netns exec "$S" "$B" gen --iface "$VS" --set "$set" --mix "$mix" --dst-mac "$MAC" --seconds "$SECS" --cpu 1)
  sleep 0.5
  after=$(counts "$filter")
  emit "$(/usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); b = list(map(int, sys.argv[2].split())); a = list(map(int, sys.argv[3].split()))
judged, dropped = a[0] - b[0], a[1] - b[1]
print(json.dumps({"label": "xdp_pps", "filter": sys.argv[4], "set": sys.argv[5], "mix": sys.argv[6],
                  "sent_mpps": s["mpps"], "sent": s["sent"], "seconds": s["seconds"], "judged": judged,
                  "dropped": dropped, "judged_mpps": judged / s["seconds"] / 1e6,
                  "dropped_fraction": dropped / judged if judged else 0, "round": int(sys.argv[7])}))' "$sent" "$before" "$after" "$filter" "$set" "$mix" "$round")"
}

for set in $SETS; do
  log "set $set: files"
  emit "$("$B" sets --set "$set" --dir "$W")"
  for filter in none iocgate xdp-filter nft; do
    if [ "$filter" = none ] || [ "$filter" = nft ]; then
      ip netns exec "$R" "$B" sink --iface "$VR" > "$W/sink.json" &
      SINK_PID=$!
      for _ in $(seq 1 100); do [ -s "$W/sink.json" ] && break; sleep 0.1; done
    fi
    case $filter in
      none) ;;
      iocgate)
        rm -f "$W/$VR.counters"
        (cd "$W" && exec nsenter --net=/var/run/netns/"$R" "$B" attach --iface "$VR" --set "$set" --mode native > "$W/attach.json" 2> "$W/attach.err") &
        ATTACH_PID=$!
        for _ in $(seq 1 600); do [ -s "$W/attach.json" ] && break; sleep 0.5; done
        [ -s "$W/attach.json" ] || { log "attach failed: $(cat "$W/attach.err")"; exit 1; }
        emit "$(head -1 "$W/attach.json" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); d["label"]="xdp_attach"; print(json.dumps(d))')"
        ip netns exec "$S" "$B" gen --iface "$VS" --set "$set" --mix pass --dst-mac "$MAC" --seconds 0.2 >/dev/null
        for _ in $(seq 1 20); do [ -s "$W/$VR.counters" ] && break; sleep 0.2; done
        sleep 0.5  # the counters file is rewritten every 200 ms: let it settle before the first reading
        ;;
      xdp-filter)
        [ "$set" = 10k ] || { emit "{\"label\": \"xdp_pps\", \"filter\": \"xdp-filter\", \"set\": \"$set\", \"skipped\": \"holds at most 10000 addresses per family, no prefixes\"}"; continue; }
        NR xdp-filter load "$VR" --mode native >/dev/null
        bpftool batch file "$W/$set.xdp-filter.batch" >/dev/null
        mem=$(bpftool -j map show pinned /sys/fs/bpf/xdp-filter/filter_ipv4 | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("bytes_memlock", 0), d["max_entries"])')
        n=$(wc -l < "$W/$set.xdp-filter.batch")
        emit "{\"label\": \"xdp_memory\", \"filter\": \"xdp-filter\", \"set\": \"$set\", \"loaded\": $n, \"map_bytes\": ${mem% *}, \"max_entries\": ${mem#* }, \"bytes_per_entry\": $(( ${mem% *} / ${mem#* } )), \"bytes_per_loaded\": $(( ${mem% *} / n ))}"
        ;;
      nft)
        k0=$(kmem)
        t0=$(date +%s.%N)
        ip netns exec "$R" nft -f "$W/$set.nft"
        t1=$(date +%s.%N)
        ip netns exec "$R" nft add chain netdev iocbench in "{ type filter hook ingress device \"$VR\" priority 0; }"
        ip netns exec "$R" nft add rule netdev iocbench in counter
        for r in "ip saddr @v4" "ip daddr @v4" "ip6 saddr @v6" "ip6 daddr @v6"; do
          ip netns exec "$R" nft add rule netdev iocbench in $r counter drop
        done
        sleep 1
        k1=$(kmem)
        iocs=$(grep -c -E '^ +[0-9a-f:.]+/' "$W/$set.nft" || true)
        emit "{\"label\": \"xdp_memory\", \"filter\": \"nft\", \"set\": \"$set\", \"elements\": $iocs, \"load_s\": $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'), \"kernel_kb_delta\": $((k1 - k0)), \"bytes_per_element\": $(( (k1 - k0) * 1024 / (iocs > 0 ? iocs : 1) ))}"
        ;;
    esac
    # Three rounds of both mixes: the machine is shared, the median of three is what counts.
    for round in 1 2 3; do
      for mix in drop pass; do
        log "set $set, $filter, $mix, round $round"
        measure "$filter" "$set" "$mix" "$round"
      done
    done
    case $filter in
      iocgate) kill "$ATTACH_PID"; wait "$ATTACH_PID" 2>/dev/null || true; ATTACH_PID="" ;;
      xdp-filter)
        NR "$B" prog --set "$set" --other-iface "$VR" --repeat 1000000 | while IFS= read -r l; do emit "$l"; done
        # Filled up to its capacity and one beyond: where its 10,000 per family end.
        /usr/bin/python3 -c '
import sys
n, have = 10001, int(sys.argv[1])
for i in range(n - have):
    print(f"map update pinned /sys/fs/bpf/xdp-filter/filter_ipv4 key 10 {200 + i // 65536 % 50} {i // 256 % 256} {i % 256} value 3 0 0 0 0 0 0 0")
' "$(wc -l < "$W/$set.xdp-filter.batch")" > "$W/fill.batch"
        fill=$(bpftool batch file "$W/fill.batch" 2>&1 | tail -2 | tr -d '"\n' | cut -c1-160 || true)
        entries=$(bpftool -j map dump pinned /sys/fs/bpf/xdp-filter/filter_ipv4 | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
        emit "{\"label\": \"xdp_capacity\", \"filter\": \"xdp-filter\", \"entries_held\": $entries, \"attempted\": 10001, \"bpftool\": \"$fill\"}"
        NR xdp-filter unload "$VR" >/dev/null 2>&1 || ip -n "$R" link set "$VR" xdp off ;;
      nft) ip netns exec "$R" nft delete table netdev iocbench ;;
    esac
    if [ -n "$SINK_PID" ]; then
      kill "$SINK_PID"
      wait "$SINK_PID" 2>/dev/null || true
      SINK_PID=""
    fi
  done
  [ "$set" = 10k ] || "$B" prog --set "$set" --repeat 1000000 | while IFS= read -r l; do emit "$l"; done
  log "set $set: push-to-enforced on the XDP side"
  emit "$("$B" install --set "$set" --dir "$W")"
done

# End to end: iocctl feed push of the 1M-entry IPv4 feed, to iocgate control and iocgate-xdp
# on the receiver's veth.
if echo "$SETS" | grep -qw 1m; then
  log "1M push end to end"
  /usr/bin/python3 "$HERE/xdp_push_bench.py" "$BUILD" "$R" "$VR" "$W/1m.feed.txt" | while IFS= read -r l; do emit "$l"; done
fi
