#!/usr/bin/env bash
# bench/run.sh — runs the whole benchmark suite of issue 7 in one go and writes
# bench-results/ (results.jsonl, commands.txt, machine.txt, callgrind files, summary.md).
#   bench/run.sh            full suite (~12 min on a 2-core VM)
#   bench/run.sh --quick    small capture, short runs, no 5M set (~3 min)
#   bench/run.sh [--quick] --only forward,callgrind,push   those sections only, of:
#     forward swap lookup build callgrind push workers xdp (the summary leaves out what did not run)
# Needs root (hugepages, ipset/nft in a scratch network namespace). Every throughput is
# measured in this run beside testpmd on the same vdevs, lcores and mbuf pool geometry.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
ONLY=all
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=${2:?--only needs a list of sections}; shift ;;
    *) echo "bench/run.sh: unknown argument '$1' (--quick, --only LIST)" >&2; exit 2 ;;
  esac
  shift
done
want() { [ "$ONLY" = all ] || [[ ",$ONLY," == *",$1,"* ]]; }
for section in ${ONLY//,/ }; do
  case $section in all|forward|swap|lookup|build|callgrind|push|workers|xdp) ;;
    *) echo "bench/run.sh: unknown section '$section' (forward swap lookup build callgrind push workers xdp)" >&2; exit 2 ;;
  esac
done
OUT=${BENCH_OUT:-bench-results}
BUILD=${BENCH_BUILD:-build-bench}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
: > "$OUT/results.jsonl"
: > "$OUT/commands.txt"

# --- dependencies, hugepages, build ----------------------------------------------------------
need=()
for p in ipset nftables valgrind libbenchmark-dev dpdk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 1536 ]; then echo 1536 > /proc/sys/vm/nr_hugepages; fi
mount | grep -q "type hugetlbfs" || { mkdir -p /dev/hugepages; mount -t hugetlbfs none /dev/hugepages; }
if [ ! -f "$BUILD/build.ninja" ]; then meson setup "$BUILD" -Dbench=true >/dev/null; fi
ninja -C "$BUILD" bench/forward_bench bench/lookup_bench bench/build_bench bench/classify_callgrind \
  bench/reasm_flood_callgrind >/dev/null
B=$BUILD/bench

{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || cat COMMIT)"
  lscpu | grep -E "^(Model name|CPU\(s\)|Thread|Core|Socket|L1d|L2|L3|Hypervisor)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
  echo "kernel: $(uname -r)"
  echo "dpdk: $(pkg-config --modversion libdpdk)  gcc: $(gcc -dumpversion)  buildtype: $(meson introspect "$BUILD" --buildoptions | /usr/bin/python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"][0])')"
  echo "hugepages: $(cat /proc/sys/vm/nr_hugepages) x 2 MiB"
  echo "load at start: $(cut -d" " -f1-3 /proc/loadavg) (other processes share these cores: see docs/BENCHMARKS.md)"
  echo "sections: $ONLY"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

run() {  # run LABEL CMD... : logs the exact command, appends its JSON lines labelled
  local label=$1; shift
  echo "[$label] $*" | tee -a "$OUT/commands.txt"
  "$@" 2> "$OUT/$label.stderr" | while IFS= read -r line; do
    case $line in
      \{*) echo "$line" | /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["label"]=sys.argv[1]; print(json.dumps(d))' "$label" >> "$OUT/results.jsonl" ;;
    esac
  done
}

# --- traffic ---------------------------------------------------------------------------------
if [ $QUICK = 1 ]; then PKTS=65536; SECS=3; WARM=1; else PKTS=524288; SECS=5; WARM=2; fi
run gen /usr/bin/python3 bench/gen_bench_traffic.py --packets $PKTS --out "$OUT/traffic"
PCAP=$OUT/traffic/traffic.pcap
HITS=$OUT/traffic/hits.txt
MBUFS=$((PKTS + 32768))
EAL="-l 0,1 --no-pci --no-telemetry --log-level lib.eal:error"

# --- 1. forwarding: testpmd baselines, then iocgate cases -------------------------------------
testpmd() {  # testpmd LABEL MODE: measured SECS seconds after WARM seconds, Rx-pps averaged
  local label=$1 mode=$2
  # With --stats-period testpmd ignores stdin ("Press enter to exit" is not read): SIGINT
  # after the run ends it cleanly.
  local cmd="timeout -s INT $((SECS + WARM + 6)) dpdk-testpmd $EAL --file-prefix bench-$label-$$ \
--vdev net_pcap0,rx_pcap=$PCAP,infinite_rx=1 --vdev net_null0,no-rx=1 -- --forward-mode=$mode \
--auto-start --stats-period 1 --nb-cores=1 --total-num-mbufs=$MBUFS --mbuf-size=2176"
  echo "[$label] $cmd" >> "$OUT/commands.txt"
  echo "[$label] testpmd --forward-mode=$mode"
  bash -c "$cmd" 2>&1 | tr '\033' '\n' > "$OUT/$label.log" || true
  /usr/bin/python3 - "$OUT/$label.log" "$label" "$mode" "$WARM" <<'PY' >> "$OUT/results.jsonl"
import json, re, sys
log, label, mode, warm = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
pps = [int(x) for x in re.findall(r'Rx-pps:\s+(\d+)', open(log, errors='replace').read())]
pps = [p for p in pps if p > 0][warm:]  # net_null's own (empty) rx lines are 0
print(json.dumps({"tool": "testpmd", "label": label, "mode": mode, "samples": len(pps),
                  "mpps": sum(pps) / len(pps) / 1e6 if pps else 0}))
PY
}
forward() {  # forward LABEL ARGS...
  local label=$1; shift
  run "$label" "$B/forward_bench" --pcap "$PCAP" --hits "$HITS" --seconds $SECS --warmup $WARM \
    --mbufs $MBUFS --mbuf-size 2176 "$@" -- $EAL --file-prefix "bench-$label-$$"
}

if want forward; then
testpmd testpmd_io io
testpmd testpmd_5tswap 5tswap
forward fwd_empty --set empty
forward fwd_10k --set 10k
forward fwd_1m --set 1m
[ $QUICK = 1 ] || forward fwd_5m --set 5m
# every packet a new flow: the capture's flows cycle through a flow table far smaller than them
forward fwd_1m_newflow --set 1m --flows 4096
# the same two 1M cases without the IPv4 direct index: what it buys per packet
forward fwd_1m_hashed --set 1m --no-v4-direct
forward fwd_1m_newflow_hashed --set 1m --flows 4096 --no-v4-direct
forward fwd_empty_newflow --set empty --flows 4096
testpmd testpmd_5tswap_end 5tswap   # drift check: the same baseline again at the end
fi

# --- 2. table swap under load ----------------------------------------------------------------
SWAP_SECS=$((QUICK == 1 ? 6 : 12))
if want swap; then
run swap_off "$B/forward_bench" --pcap "$PCAP" --hits "$HITS" --set swap1m --seconds $SWAP_SECS \
  --warmup $WARM --mbufs $MBUFS --mbuf-size 2176 -- $EAL --file-prefix "bench-swapoff-$$"
run swap_on "$B/forward_bench" --pcap "$PCAP" --hits "$HITS" --set swap1m --seconds $SWAP_SECS \
  --warmup $WARM --mbufs $MBUFS --mbuf-size 2176 --swap --swap-period 1 -- $EAL --file-prefix "bench-swapon-$$"
fi

# --- 3. lookup micro-benchmarks ----------------------------------------------------------------
if [ $QUICK = 1 ]; then LSETS=10k; MINT=0.2; else LSETS=10k,1m,5m; MINT=1; fi
if want lookup; then
run lookup "$B/lookup_bench" --sets=$LSETS --fib-sets=tiny,10k,1m \
  "--eal=--no-pci --no-telemetry -l 1 --file-prefix bench-lookup-$$ --log-level lib.eal:error" \
  --benchmark_min_time=$MINT --benchmark_out="$OUT/lookup.json" --benchmark_out_format=json
/usr/bin/python3 - "$OUT/lookup.json" >> "$OUT/results.jsonl" <<'PY'
import json, sys
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    print(json.dumps({"tool": "lookup_bench", "label": "lookup", "name": b["name"],
                      "cycles_per_lookup": b.get("cyc/lookup"), "mib": b.get("MiB")}))
PY
fi

# --- 4. compile/publish, rte_fib adds, ipset restore, nft -f; 5. memory per kind --------------
if [ $QUICK = 1 ]; then BSETS=10k,1m; FIB=; else BSETS=1m,5m; FIB=--fib; fi
if want build; then
mkdir -p "$OUT/kernel_sets"
run build "$B/build_bench" --sets $BSETS $FIB --kernel-sets "$OUT/kernel_sets" \
  --eal "--no-pci --no-telemetry -l 0 --file-prefix bench-build-$$ --log-level lib.eal:error"
NS=iocbench-$$
ip netns add $NS
trap 'ip netns del $NS 2>/dev/null || true' EXIT
for s in ${BSETS//,/ }; do
  for tool in ipset nft; do
    if [ $tool = ipset ]; then cmd="ip netns exec $NS ipset -exist restore -f $OUT/kernel_sets/$s.ipset"
    else cmd="ip netns exec $NS nft -f $OUT/kernel_sets/$s.nft"; fi
    [ $QUICK = 1 ] && [ $tool = nft ] && [ $s != 10k ] && continue   # nft: ~25 s per 1M
    echo "[kernel_${tool}_$s] $cmd" | tee -a "$OUT/commands.txt"
    t0=$(date +%s.%N)
    if timeout 600 bash -c "$cmd" 2> "$OUT/kernel_${tool}_$s.stderr"; then rc=0; else rc=$?; fi
    t1=$(date +%s.%N)
    # nft runs have no ipset to measure: under pipefail the failed lookup must not end the suite.
    mem=$(ip netns exec $NS ipset list -t iocbench 2>/dev/null | awk -F': ' '/Size in memory/ {print $2}' || true)
    # bc prints .5 for 0.5, which JSON does not take.
    echo "{\"tool\": \"$tool\", \"label\": \"kernel\", \"set\": \"$s\", \"rc\": $rc, \"seconds\": $(echo "$t1 - $t0" | bc | sed 's/^\./0./'), \"bytes\": ${mem:-null}}" >> "$OUT/results.jsonl"
    ip netns exec $NS ipset destroy iocbench 2>/dev/null || true
    ip netns exec $NS nft delete table ip iocbench 2>/dev/null || true
  done
done
fi

# --- 5. instructions per packet (callgrind), allocation count --------------------------------
if want callgrind; then
/usr/bin/python3 bench/gen_bench_traffic.py --packets 65536 --out "$OUT/traffic_cg" >/dev/null
if [ $QUICK = 1 ]; then CSETS="empty 10k 1m"; else CSETS="empty 10k 1m 5m"; fi
for s in $CSETS newflow; do
  set_name=$s flows=2097152
  [ $s = newflow ] && { set_name=1m; flows=4096; }
  tbl=$OUT/traffic_cg/$set_name.tbl
  [ -f "$tbl" ] || "$B/classify_callgrind" --pcap "$OUT/traffic_cg/traffic.pcap" --hits "$OUT/traffic_cg/hits.txt" --set $set_name --table-out "$tbl"
  run "cg_$s" valgrind --tool=callgrind --toggle-collect=iocgate_bench_measured_burst \
    --callgrind-out-file="$OUT/callgrind.$s.out" "$B/classify_callgrind" \
    --pcap "$OUT/traffic_cg/traffic.pcap" --table-in "$tbl" --set $s --flows $flows
  ir=$(callgrind_annotate "$OUT/callgrind.$s.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  # head closes the pipe early: the SIGPIPE it gives callgrind_annotate is not a failure.
  { callgrind_annotate --inclusive=yes "$OUT/callgrind.$s.out" 2>/dev/null | sed -n '/file:function/,$p' | head -40 || true; } > "$OUT/callgrind.$s.inclusive.txt"
  { callgrind_annotate "$OUT/callgrind.$s.out" 2>/dev/null | sed -n '/file:function/,$p' | head -40 || true; } > "$OUT/callgrind.$s.self.txt"
  # No allocation, lock or syscall in the measured pass: none of these may appear in it.
  # --auto=no: annotated source lines (a comment saying "Frees") are not functions.
  forbidden=$(callgrind_annotate --auto=no --threshold=100 "$OUT/callgrind.$s.out" 2>/dev/null | sed -n '/file:function/,$p' |
    grep -ciE 'malloc|calloc|realloc|operator new|[^_]free|mutex|futex|syscall|clock_gettime|sys_|__write|__read' || true)
  echo "{\"tool\": \"callgrind\", \"label\": \"cg_$s\", \"case\": \"$s\", \"ir\": $ir, \"packets\": 65536, \"ir_per_packet\": $(echo "scale=1; $ir / 65536" | bc), \"forbidden_functions\": $forbidden}" >> "$OUT/results.jsonl"
  rm -f "$OUT/traffic_cg/newflow.tbl"
done

# --- 5c. a new flow under a partial-ClientHello flood, per reassembly pool size (callgrind) ---
# Every buffer is held by a stalled hello; each measured new flow takes one back. The cost
# per new flow must not grow with the pool.
for nbuf in 256 4096 65535; do
  run "cg_flood_$nbuf" valgrind --tool=callgrind --toggle-collect=iocgate_flood_measured_pass \
    --callgrind-out-file="$OUT/callgrind.flood.$nbuf.out" "$B/reasm_flood_callgrind" --buffers $nbuf --measure 4096
  ir=$(callgrind_annotate "$OUT/callgrind.flood.$nbuf.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "{\"tool\": \"callgrind_flood\", \"label\": \"cg_flood_$nbuf\", \"case\": \"flood\", \"buffers\": $nbuf, \"ir\": $ir, \"new_flows\": 4096, \"ir_per_new_flow\": $(echo "scale=1; $ir / 4096" | bc)}" >> "$OUT/results.jsonl"
done

fi

# --- 6. the operator's commands at 1M IoCs: push until enforced, explain latency ------------
# The real control and dataplane processes (net_null ports), driven by iocctl.
ninja -C "$BUILD" control/iocgate control/iocctl dataplane/iocgate-dataplane >/dev/null
if [ $QUICK = 1 ]; then NPUSH=100000; else NPUSH=1000000; fi
if want push; then
ip netns add iocpush-$$
run push /usr/bin/python3 bench/push_bench.py "$BUILD/control/iocgate" "$BUILD/control/iocctl" \
  "$BUILD/dataplane/iocgate-dataplane" --hosts $NPUSH --domains $NPUSH --explains 200 --ipset-netns iocpush-$$
ip netns del iocpush-$$
fi

# --- 6b. 2 workers against 1: a correctness row, not a rate (4 CPUs' worth of lcores on 2) ----
# tests/integration/workers_test.py on both kinds of port (RSS queues, the distributor): its
# check count goes into the results, so the run shows the row with the others.
if want workers; then
echo "[workers] /usr/bin/python3 tests/integration/workers_test.py $BUILD/control/iocgate $BUILD/control/iocctl $BUILD/dataplane/iocgate-dataplane" | tee -a "$OUT/commands.txt"
/usr/bin/python3 tests/integration/workers_test.py "$BUILD/control/iocgate" "$BUILD/control/iocctl" \
  "$BUILD/dataplane/iocgate-dataplane" > "$OUT/workers.txt" 2>&1 || true
summary=$(tail -n 5 "$OUT/workers.txt" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1 || true)
passed=$(echo "$summary" | awk '{print $1}'); failed=$(echo "$summary" | awk '{print $3}')
echo "{\"figure\": \"workers_2_vs_1\", \"label\": \"workers\", \"passed\": ${passed:-0}, \"failed\": ${failed:-1}, \"log\": \"workers.txt\"}" >> "$OUT/results.jsonl"
fi

# --- 7. the XDP path beside xdp-filter and an nftables set on one veth pair ----------------
# Its own JSON lines (labels name the figure: xdp_pps, xdp_memory, xdp_install, ...), kept apart.
if want xdp; then
ninja -C "$BUILD" bench/xdp_bench control/iocgate control/iocctl xdp/iocgate-xdp >/dev/null
if [ $QUICK = 1 ]; then XSECS=2; XSETS=10k; else XSECS=5; XSETS="10k 1m"; fi
echo "[xdp] bench/xdp_bench.sh $BUILD $XSECS \"$XSETS\"" | tee -a "$OUT/commands.txt"
bench/xdp_bench.sh "$BUILD" "$XSECS" "$XSETS" > "$OUT/xdp_bench.jsonl" 2> "$OUT/xdp.stderr"
fi

/usr/bin/python3 bench/summarize.py "$OUT" > "$OUT/summary.md"
cat "$OUT/summary.md"
