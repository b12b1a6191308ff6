#!/usr/bin/env bash
# tests/package/package_test.sh — a stage of ./test.sh: builds the Debian package from the
# tree (scripts/build-deb.sh, dpkg-buildpackage), checks it with lintian (no error, no
# warning), then installs and runs it in a fresh Debian 12 chroot (chroot_test.sh). Prints
# each phase's time and ends with "N passed, M failed".
#   package_test.sh [--deb DEB]   (--deb: skip the build, test this package)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
deb=""
[ "${1:-}" = "--deb" ] && deb=$(realpath "$2")
pass=0 fail=0
check() {  # name, status (0 = true), detail
  if [ "$2" -eq 0 ]; then echo "PASS: $1${3:+: $3}"; pass=$((pass + 1)); else echo "FAIL: $1${3:+: $3}"; fail=$((fail + 1)); fi
}
out=$repo/build-deb
if [ -z "$deb" ]; then
  start=$SECONDS
  mkdir -p "$out"
  deb=$("$repo/scripts/build-deb.sh" --out "$out" 2>"$out/build-deb.stderr" | tail -1)
  rc=$?
  check "dpkg-buildpackage builds the package" "$([ $rc -eq 0 ] && [ -f "$deb" ]; echo $?)" \
    "$(basename "$deb") in $((SECONDS - start)) s$( [ $rc -ne 0 ] && tail -5 "$out/build-deb.stderr")"
  [ -f "$deb" ] || { echo "$pass passed, $fail failed"; exit 1; }
  changes=$(ls "$out"/iocgate_*.changes | head -1)
  lintian --info "$changes" >"$out/lintian.txt" 2>&1
  errors=$(grep -c '^E: ' "$out/lintian.txt")
  warnings=$(grep -c '^W: ' "$out/lintian.txt")
  check "lintian: no errors" "$([ "$errors" -eq 0 ]; echo $?)" "$(grep '^E: ' "$out/lintian.txt" | head -5 | tr '\n' ' ')"
  check "lintian: no warnings" "$([ "$warnings" -eq 0 ]; echo $?)" "$(grep '^W: ' "$out/lintian.txt" | head -5 | tr '\n' ' ')"
  grep -E '^[IPX]: ' "$out/lintian.txt" | sed 's/^/  lintian /'
fi
"$here/chroot_test.sh" "$deb" | tee "$out/chroot.txt"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/chroot.txt" | tail -1)
line=${line:-0 passed, 1 failed}
pass=$((pass + ${line%% passed*}))
fail=$((fail + $(sed 's/.* passed, \([0-9]*\) failed/\1/' <<<"$line")))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
