#!/usr/bin/env bash
# tests/integration/pcaps_test.sh — `iocgate replay` over real captures (shared/pcaps, from zeek and
# suricata-verify) with hand-derived truths in tests/fixtures/pcaps/<case>/: feed.txt names what the
# capture carries (truth.tsv, derivation in its header), lookalike.feed.txt names look-alikes only
# (lookalike.truth.tsv: everything passes). Usage: pcaps_test.sh PATH/TO/iocgate
# A missing shared capture is a failure, never a skip. Closing line: "N passed, M failed".
set -euo pipefail

IOCGATE=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$ROOT/../shared
FIX=$ROOT/tests/fixtures/pcaps
PY=/usr/bin/python3

TMP=$(mktemp -d "${TMPDIR:-/tmp}/iocgate-pcaps.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

npass=0
nfail=0
ok() { echo "PASS: $*"; npass=$((npass + 1)); }
ko() { echo "FAIL: $*"; nfail=$((nfail + 1)); }
finish() {
  echo "$npass passed, $nfail failed"
  [[ $nfail -eq 0 ]]
  exit $?
}

if [[ -z $IOCGATE || ! -x $IOCGATE ]]; then
  ko "iocgate binary '${IOCGATE}' not found or not executable (usage: $0 PATH/TO/iocgate)"
  finish
fi

run_case() {
  local name=$1 in=$2 feed=$3 truth=$4
  local out="$TMP/$name" rc=0
  mkdir -p "$out"
  timeout 240 "$IOCGATE" replay --feed "$feed" --in "$in" --out "$out/passed.pcap" \
    --dropped "$out/dropped.pcap" >"$out/log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    ko "$name: iocgate replay exited $rc"
    sed 's/^/    /' "$out/log" | tail -20
    return 0
  fi
  if "$PY" "$HERE/check_verdicts.py" --label "$name" "$in" "$out/passed.pcap" "$out/dropped.pcap" \
      "$truth" >"$out/check" 2>&1; then
    ok "$name ($(head -1 "$out/check" | sed 's/^\[[^]]*\] //'))"
  else
    ko "$name"
    sed 's/^/    /' "$out/check"
    echo "    iocgate output:"
    sed 's/^/    /' "$out/log" | tail -15
  fi
}

ncases=0
for dir in "$FIX"/*/; do
  case=$(basename "$dir")
  [[ -f $dir/capture ]] || continue
  ncases=$((ncases + 1))
  cap="$SHARED/pcaps/$(head -1 "$dir/capture")"
  if [[ ! -f $cap ]]; then
    ko "$case: capture $cap missing"
    continue
  fi
  # iocgate judges Ethernet frames (what a DPDK port delivers). A capture of another link type
  # (http-ipv6 is BSD loopback, DLT_NULL) is rewritten to Ethernet first — same packets, same order —
  # and the rewritten file is the IN that the outputs are compared with.
  rc=0
  msg=$("$PY" "$HERE/check_verdicts.py" --to-ethernet "$cap" "$TMP/$case.eth.pcap") || rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "note: $case: $msg"
    cap="$TMP/$case.eth.pcap"
  elif [[ $rc -ne 3 ]]; then
    ko "$case: $msg"
    continue
  fi
  run_case "$case" "$cap" "$dir/feed.txt" "$dir/truth.tsv"
  run_case "$case-lookalike" "$cap" "$dir/lookalike.feed.txt" "$dir/lookalike.truth.tsv"
done
if [[ $ncases -lt 7 ]]; then
  ko "expected 7 fixture cases under $FIX, found $ncases"
fi
finish
