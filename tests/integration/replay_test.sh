#!/usr/bin/env bash
# tests/integration/replay_test.sh — end-to-end test of `iocgate replay` (the real binary and dataplane):
# generated traffic (fixed seed) against each feed format and all three together, the shared sample
# case, and bad feeds / bad captures. Usage: replay_test.sh PATH/TO/iocgate   (meson passes iocgate_exe)
# Prints a closing "N passed, M failed" and exits non-zero on any failure; never skips.
set -euo pipefail

IOCGATE=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$ROOT/../shared
PY=/usr/bin/python3
SEED=${IOCGATE_TEST_SEED:-20240624}
CHECK=("$PY" "$HERE/check_verdicts.py")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/iocgate-replay.XXXXXX")
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

# replay NAME OUTDIR IN FEED... : runs the binary; leaves passed.pcap, dropped.pcap, log in OUTDIR.
replay() {
  local name=$1 out=$2 in=$3
  shift 3
  local args=()
  for f in "$@"; do args+=(--feed "$f"); done
  mkdir -p "$out"
  local rc=0
  timeout 240 "$IOCGATE" replay "${args[@]}" --in "$in" --out "$out/passed.pcap" \
    --dropped "$out/dropped.pcap" >"$out/log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    ko "$name: iocgate replay exited $rc"
    sed 's/^/    /' "$out/log" | tail -20
    return 1
  fi
  return 0
}

# case NAME IN TRUTH FEED... : replay + check_verdicts.
run_case() {
  local name=$1 in=$2 truth=$3
  shift 3
  local out="$TMP/out/$name"
  replay "$name" "$out" "$in" "$@" || return 0
  if "${CHECK[@]}" --label "$name" "$in" "$out/passed.pcap" "$out/dropped.pcap" "$truth" >"$out/check" 2>&1; then
    ok "$name ($(head -1 "$out/check" | sed 's/^\[[^]]*\] //'))"
  else
    ko "$name"
    sed 's/^/    /' "$out/check"
    echo "    iocgate output:"
    sed 's/^/    /' "$out/log" | tail -15
  fi
}

# expect_error NAME WANT IN FEED... : replay must exit non-zero and print WANT (fixed string).
expect_error() {
  local name=$1 want=$2 in=$3
  shift 3
  local out="$TMP/out/$name" args=() rc=0
  mkdir -p "$out"
  for f in "$@"; do args+=(--feed "$f"); done
  timeout 120 "$IOCGATE" replay "${args[@]}" --in "$in" --out "$out/passed.pcap" \
    --dropped "$out/dropped.pcap" >"$out/log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    ko "$name: exit status 0, expected an error"
    sed 's/^/    /' "$out/log" | tail -5
  elif [[ $rc -ge 124 ]]; then
    ko "$name: exit status $rc (timeout or crash), expected a clean error"
    sed 's/^/    /' "$out/log" | tail -5
  elif ! grep -qF -- "$want" "$out/log"; then
    ko "$name: exit $rc but the message does not name '$want':"
    sed 's/^/    /' "$out/log" | tail -5
  else
    ok "$name (exit $rc: $(grep -F -- "$want" "$out/log" | head -1 | cut -c1-150))"
  fi
}

if [[ -z $IOCGATE || ! -x $IOCGATE ]]; then
  ko "iocgate binary '${IOCGATE}' not found or not executable (usage: $0 PATH/TO/iocgate)"
  finish
fi

# ---- the generator and the checker check themselves first
G="$TMP/gen"
if "$PY" "$HERE/gen_traffic.py" --seed "$SEED" --out "$G" >"$TMP/gen.log" 2>&1; then
  ok "gen_traffic.py --seed $SEED ($(head -1 "$TMP/gen.log"))"
else
  ko "gen_traffic.py failed"
  sed 's/^/    /' "$TMP/gen.log"
  finish
fi
"$PY" "$HERE/gen_traffic.py" --seed "$SEED" --out "$TMP/gen2" >/dev/null 2>&1 || true
if cmp -s "$G/traffic.pcap" "$TMP/gen2/traffic.pcap" && cmp -s "$G/truth.tsv" "$TMP/gen2/truth.tsv" \
   && cmp -s "$G/feed.stix.json" "$TMP/gen2/feed.stix.json"; then
  ok "generator is deterministic for a fixed seed"
else
  ko "generator output differs between two runs with seed $SEED"
fi
if command -v tshark >/dev/null; then
  if "$PY" "$HERE/gen_traffic.py" --seed "$SEED" --out "$TMP/gen2" --verify >"$TMP/verify.log" 2>&1; then
    ok "tshark sees every DNS name, SNI and Host where the truth expects it ($(grep '^tshark:' "$TMP/verify.log"))"
  else
    ko "tshark disagrees with the generated capture"
    sed 's/^/    /' "$TMP/verify.log" | tail -20
  fi
fi
"${CHECK[@]}" --write-expected "$G/traffic.pcap" "$TMP/ep.pcap" "$TMP/ed.pcap" "$G/truth.tsv"
if "${CHECK[@]}" "$G/traffic.pcap" "$TMP/ep.pcap" "$TMP/ed.pcap" "$G/truth.tsv" >/dev/null \
   && ! "${CHECK[@]}" "$G/traffic.pcap" "$TMP/ed.pcap" "$TMP/ep.pcap" "$G/truth.tsv" >/dev/null; then
  ok "check_verdicts.py accepts the exact split and rejects a wrong one"
else
  ko "check_verdicts.py self-test"
fi

# the capture holds the splitting cases (IP fragments, 1-byte segments, many TLS records,
# conflicting retransmissions): listed names among them must be dropped, unlisted ones pass
if [[ $(cut -f3 "$G/truth.tsv" | grep -c '^split$') -gt 0 && $(cut -f3 "$G/truth.tsv" | grep -c '^unreadable$') -gt 0 ]] \
   && grep -q "tls-split=" "$TMP/gen.log" && grep -q "http-split=" "$TMP/gen.log" && grep -q "tls-conflict=" "$TMP/gen.log"; then
  ok "generated capture holds split ClientHellos/requests (passing and dropped) and conflicting retransmissions"
else
  ko "generated capture lacks the splitting cases"
fi

# ---- generated traffic, each feed format, then all three at once
run_case gen-plain "$G/traffic.pcap" "$G/truth.tsv" "$G/feed.txt"
run_case gen-misp-csv "$G/traffic.pcap" "$G/truth.tsv" "$G/feed.csv"
run_case gen-stix21 "$G/traffic.pcap" "$G/truth.tsv" "$G/feed.stix.json"
run_case gen-all-three "$G/traffic.pcap" "$G/truth.tsv" "$G/feed.txt" "$G/feed.csv" "$G/feed.stix.json"

# --dropped is optional: the passed file alone must still be exact
out="$TMP/out/gen-no-dropped"
mkdir -p "$out"
rc=0
timeout 240 "$IOCGATE" replay --feed "$G/feed.txt" --in "$G/traffic.pcap" --out "$out/passed.pcap" \
  >"$out/log" 2>&1 || rc=$?
if [[ $rc -ne 0 ]]; then
  ko "gen-no-dropped: exit $rc"
  sed 's/^/    /' "$out/log" | tail -10
elif "${CHECK[@]}" --label gen-no-dropped "$G/traffic.pcap" "$out/passed.pcap" - "$G/truth.tsv" >"$out/check"; then
  ok "gen-no-dropped (passed file exact without --dropped)"
else
  ko "gen-no-dropped"
  sed 's/^/    /' "$out/check" | tail -25
fi

# an empty capture (header only) is valid: nothing passes, nothing is dropped
"$PY" - "$TMP/empty.pcap" <<'EOF'
import struct, sys
open(sys.argv[1], 'wb').write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
EOF
: >"$TMP/empty.truth.tsv"
run_case empty-capture "$TMP/empty.pcap" "$TMP/empty.truth.tsv" "$G/feed.txt"

# ---- the shared sample case (written by an independent generator)
S="$SHARED/cases/sample"
if [[ -f $S/traffic.pcap && -f $S/truth.tsv && -f $S/feed.txt && -f $S/feed.csv && -f $S/feed.stix.json ]]; then
  run_case sample-plain "$S/traffic.pcap" "$S/truth.tsv" "$S/feed.txt"
  run_case sample-misp-csv "$S/traffic.pcap" "$S/truth.tsv" "$S/feed.csv"
  run_case sample-stix21 "$S/traffic.pcap" "$S/truth.tsv" "$S/feed.stix.json"
  run_case sample-all-three "$S/traffic.pcap" "$S/truth.tsv" "$S/feed.txt" "$S/feed.csv" "$S/feed.stix.json"
else
  ko "shared sample case missing: $S (expected traffic.pcap, truth.tsv, feed.txt, feed.csv, feed.stix.json)"
fi

# ---- bad feeds: non-zero exit and FILE:LINE in the message
B="$TMP/bad"
mkdir -p "$B"
head -n 6 "$G/feed.txt" >"$B/bad-plain.txt"
echo "300.1.2.3" >>"$B/bad-plain.txt"
tail -n +7 "$G/feed.txt" >>"$B/bad-plain.txt"
expect_error bad-feed-plain "bad-plain.txt:7" "$G/traffic.pcap" "$B/bad-plain.txt"
# the same bad line when the bad feed is the second of two
expect_error bad-feed-second "bad-plain.txt:7" "$G/traffic.pcap" "$G/feed.csv" "$B/bad-plain.txt"
head -n 4 "$G/feed.csv" >"$B/bad.csv"
echo "0a1b2c3d-0000-4000-8000-000000000001,1,Network activity,ip-dst,300.1.2.3,,1,1719187200" >>"$B/bad.csv"
tail -n +5 "$G/feed.csv" >>"$B/bad.csv"
expect_error bad-feed-misp-csv "bad.csv:5" "$G/traffic.pcap" "$B/bad.csv"
printf '10.0.0.0/33\n' >"$B/bad-prefix.txt"
expect_error bad-feed-prefix "bad-prefix.txt:1" "$G/traffic.pcap" "$B/bad-prefix.txt"
printf '{"type": "bundle", "id": "bundle--1", "objects": [\n' >"$B/bad.stix.json"
expect_error bad-feed-stix-truncated "bad.stix.json" "$G/traffic.pcap" "$B/bad.stix.json"
expect_error missing-feed "$B/no-such-feed.txt" "$G/traffic.pcap" "$B/no-such-feed.txt"

# ---- bad captures: non-zero exit and the file named
expect_error missing-capture "$B/no-such.pcap" "$B/no-such.pcap" "$G/feed.txt"
printf 'this is not a capture\n%.0s' {1..20} >"$B/garbage.pcap"
expect_error garbage-capture "garbage.pcap" "$B/garbage.pcap" "$G/feed.txt"
: >"$B/zero-bytes.pcap"
expect_error zero-byte-capture "zero-bytes.pcap" "$B/zero-bytes.pcap" "$G/feed.txt"
head -c 5000 "$G/traffic.pcap" >"$B/truncated.pcap"
expect_error truncated-capture "truncated.pcap" "$B/truncated.pcap" "$G/feed.txt"

finish
