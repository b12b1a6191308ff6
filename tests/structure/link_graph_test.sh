#!/usr/bin/env bash
# tests/structure/link_graph_test.sh — what each executable links is the architecture
# (docs/ARCHITECTURE.md "Components"): the forwarding process carries no feed parser, table
# compiler, JSON library, HTTP server or public-suffix list; the operator's command and the
# control process link no DPDK. Reads the built binaries (dynamic NEEDED entries and symbols).
#   link_graph_test.sh IOCGATE-DATAPLANE IOCGATE IOCCTL
set -u
dataplane=$1 iocgate=$2 iocctl=$3
pass=0 fail=0
check() {  # name, status (0 = true), detail
  if [ "$2" -eq 0 ]; then echo "PASS: $1"; pass=$((pass + 1)); else echo "FAIL: $1: $3"; fail=$((fail + 1)); fi
}
needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
symbols() { nm -C "$1" 2>/dev/null; }

# The forwarding process: none of these libraries, none of these symbols.
bad_libs=$(needed "$dataplane" | grep -E '^(libpsl|libssl|libcrypto|libfmt|libpcap|libz|libbrotli)' || true)
check "iocgate-dataplane links no feed, HTTP, TLS or formatting library" "$([ -z "$bad_libs" ]; echo $?)" "$bad_libs"
for pattern in 'nlohmann::' 'httplib::' 'iocgate::parse_feed' 'iocgate::table::IocTableBuilder' \
               'iocgate::apply_guards' 'iocgate::FeedStore' 'iocgate::TablePublisher' 'psl_'; do
  hits=$(symbols "$dataplane" | grep -c -F "$pattern")
  check "iocgate-dataplane holds no '$pattern'" "$([ "$hits" -eq 0 ]; echo $?)" "$hits symbols"
done
# What it must hold: the classifier, the view, the shm protocol.
for pattern in 'iocgate::Classifier::classify_burst' 'iocgate::table::IocTableView::attach' \
               'iocgate::open_control_block'; do
  hits=$(symbols "$dataplane" | grep -c -F "$pattern")
  check "iocgate-dataplane holds '$pattern'" "$([ "$hits" -gt 0 ]; echo $?)" "missing"
done
# The control side and the operator's tools: no DPDK.
for exe in "$iocgate" "$iocctl"; do
  rte=$(needed "$exe" | grep -E '^librte_' || true)
  check "$(basename "$exe") links no DPDK library" "$([ -z "$rte" ]; echo $?)" "$rte"
done
hits=$(symbols "$iocctl" | grep -c -F 'iocgate::parse_feed')
check "iocctl holds no feed parser (the control process parses)" "$([ "$hits" -eq 0 ]; echo $?)" "$hits symbols"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
