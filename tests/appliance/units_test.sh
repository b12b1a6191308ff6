#!/usr/bin/env bash
# tests/appliance/units_test.sh — the systemd units are valid and sandboxed: systemd-analyze
# verify accepts them, and `systemd-analyze security --offline=true` scores the control
# process at most 2.5 (it parses third-party files as an unprivileged user), the dataplane
# at most 6.0 (DPDK needs root, vfio and raw sockets) and the XDP path at most 6.0 (BPF and
# netlink as root). Prints the scores.
set -u
here=$(cd "$(dirname "$0")/../../appliance" && pwd)
pass=0 fail=0
check() {  # name, condition (0 = true), detail
  if [ "$2" -eq 0 ]; then echo "PASS: $1 $3"; pass=$((pass + 1)); else echo "FAIL: $1 $3"; fail=$((fail + 1)); fi
}
for unit in control:2.5 dataplane:6.0 xdp:6.0; do
  name=${unit%%:*} limit=${unit##*:}
  file=$here/iocgate-$name.service
  out=$(systemd-analyze security --offline=true "$file" 2>&1)
  score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  ok=1
  [ -n "$score" ] && awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s <= l) }' && ok=0
  check "iocgate-$name.service exposure <= $limit" $ok "(systemd-analyze security --offline=true: ${score:-none})"
  # verify complains about binaries and man pages (Documentation=man:) not installed here;
  # anything else is a unit error. tests/package/chroot_test.sh verifies them installed.
  errors=$(systemd-analyze verify "$file" 2>&1 | grep -v -e 'is not executable' -e 'No such file' -e 'Command .* is not' \
             -e "Command 'man .*' failed" || true)
  check "iocgate-$name.service passes systemd-analyze verify" "$([ -z "$errors" ]; echo $?)" "$errors"
done
grep -q '^User=iocgate$' "$here/iocgate-control.service"
check "the control unit runs as the iocgate user" $? ""
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
