#!/usr/bin/env bash
# tests/package/chroot_test.sh — installs the Debian package in a fresh Debian 12 chroot with
# apt, as an operator would, and runs the appliance there: the control process as the
# iocgate user and the dataplane as root, each with its unit's own command line (systemd is
# not PID 1 here), on net_null ports without hugepages; then an operator in group iocgate
# pushes a feed with iocctl, reads the status, lists feeds by bash completion and reads the
# man pages. Also: the units pass `systemd-analyze verify`, the postinst never starts the
# dataplane, every installed program has a man page and completion, reinstall and purge work.
#   chroot_test.sh DEB
# The debootstrapped base system is cached as a tarball in $IOCGATE_CACHE (default
# ~/.cache/iocgate), and the packages apt downloads in it, so reruns take seconds; a clean
# machine debootstraps once (about a minute). Ends with "N passed, M failed".
set -uo pipefail
deb=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cache=${IOCGATE_CACHE:-$HOME/.cache/iocgate}
base=$cache/bookworm-minbase.tar.gz
pass=0 fail=0
check() {  # name, status (0 = true), detail
  if [ "$2" -eq 0 ]; then echo "PASS: $1${3:+: $3}"; pass=$((pass + 1)); else echo "FAIL: $1${3:+: $3}"; fail=$((fail + 1)); fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
[ "$(id -u)" -eq 0 ] || { echo "chroot_test.sh: needs root (debootstrap, chroot, mounts)"; echo "0 passed, 1 failed"; exit 1; }
[ -f "$deb" ] || { echo "chroot_test.sh: no package $deb"; echo "0 passed, 1 failed"; exit 1; }

# The archive this machine installs from (deb822 or one-line sources), for debootstrap and
# for apt inside the chroot.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache/apt-archives/partial"
t0=$(now)
if [ ! -f "$base" ]; then
  staging=$(mktemp -d "$cache/debootstrap.XXXXXX")
  if ! debootstrap --variant=minbase bookworm "$staging" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -20 "$cache/debootstrap.log"
    rm -rf "$staging"
    echo "0 passed, 1 failed"
    exit 1
  fi
  chmod 0755 "$staging"
  tar -C "$staging" -czf "$base.tmp" . && mv "$base.tmp" "$base"
  rm -rf "$staging"
  echo "debootstrap of bookworm (minbase) from $mirror: $(since "$t0"), cached in $base"
fi
root=$(mktemp -d "$cache/chroot.XXXXXX")
cleanup() {
  for pid in ${dp_pid:-} ${ctl_pid:-}; do kill -TERM "$pid" 2>/dev/null; done
  sleep 0.5
  for pid in ${dp_pid:-} ${ctl_pid:-}; do kill -KILL "$pid" 2>/dev/null; done
  for m in var/cache/apt/archives dev/shm dev/pts dev run sys proc; do
    mountpoint -q "$root/$m" && umount -l "$root/$m"
  done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
t1=$(now)
tar -C "$root" -xzf "$base"
chmod 0755 "$root"  # mktemp's 0700 (also the tarball's '.') would lock users out of its /
mount -t proc proc "$root/proc"
mount -t sysfs -o ro sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
# Its own /dev/shm and /run: nothing of the host's DPDK or iocgate instances is seen or touched.
mount -t tmpfs -o mode=1777,size=2g tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=0755,size=256m tmpfs "$root/run"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The same suites as this machine (bookworm, -updates, -security), so the package's
# dependencies resolve to the versions it was built against.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  rm -f "$root/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
fi
echo "chroot unpacked in $(since "$t1")"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }

# --- Install with apt, as an operator would. net_null (for this test's ports), man and
# bash-completion are what an operator's box has besides.
t2=$(now)
cp "$deb" "$root/tmp/"
debname=$(basename "$deb")
in_root apt-get update -qq >"$cache/apt-update.log" 2>&1
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -q "/tmp/$debname" librte-net-null23 man-db bash-completion \
  systemd >"$cache/apt-install.log" 2>&1
rc=$?
check "apt-get install ./$debname in a fresh bookworm chroot" $rc "$(since "$t2")$( [ $rc -ne 0 ] && tail -5 "$cache/apt-install.log")"
[ $rc -eq 0 ] || { echo "$pass passed, $fail failed"; exit 1; }
grep -E '^iocgate: ' "$cache/apt-install.log" | sed 's/^/  postinst says: /'

in_root getent passwd iocgate | grep -q ':/nonexistent:/usr/sbin/nologin$'
check "the system user iocgate exists (no home, no shell)" $? "$(in_root getent passwd iocgate)"
in_root getent group iocgate >/dev/null
check "the group iocgate exists" $? ""
st=$(in_root stat -c '%U:%G %a' /var/lib/iocgate)
check "state_dir /var/lib/iocgate is iocgate:iocgate 0750" "$([ "$st" = "iocgate:iocgate 750" ]; echo $?)" "$st"
in_root dpkg-query -W -f='${Conffiles}\n' iocgate | grep -q ' /etc/iocgate/iocgate.toml '
check "/etc/iocgate/iocgate.toml is a conffile" $? ""
# deb-systemd-helper enables units with symlinks whether or not systemd runs: the control
# unit is enabled, the dataplane is not; and no maintainer script starts the dataplane.
wants=$root/etc/systemd/system/multi-user.target.wants
[ -L "$wants/iocgate-control.service" ] && [ ! -e "$wants/iocgate-dataplane.service" ]
check "installed: iocgate-control.service enabled, iocgate-dataplane.service not" $? "$(ls "$wants" 2>/dev/null | grep iocgate | tr '\n' ' ')"
starts=$(grep -h 'deb-systemd-invoke' "$root"/var/lib/dpkg/info/iocgate.{postinst,preinst} 2>/dev/null | grep -v '^ *#')
! grep -q 'dataplane\|\$unit' <<<"$starts" && grep -q "iocgate-control.service" <<<"$starts"
check "the postinst starts only the control unit (when systemd runs)" $? "$(tr -s ' \t\n' ' ' <<<"$starts")"
# An unconfigured box: the dataplane and its pre-start refuse (exit 2) instead of taking a NIC.
in_root iocgate-setup-nics --config /etc/iocgate/iocgate.toml >/dev/null 2>&1
r1=$?
in_root iocgate-dataplane --config /etc/iocgate/iocgate.toml >/dev/null 2>&1
r2=$?
check "unconfigured (the shipped config): setup-nics and the dataplane refuse with exit 2" \
  "$([ $r1 -eq 2 ] && [ $r2 -eq 2 ]; echo $?)" "setup-nics $r1, dataplane $r2"

# --- What the package holds.
files=$(in_root dpkg -L iocgate)
missing=""
for exe in $(grep '^/usr/bin/' <<<"$files"); do
  name=$(basename "$exe")
  grep -q "^/usr/share/man/man[158]/$name\.[158]\.gz$" <<<"$files" || missing+=" man:$name"
  grep -q "^/usr/share/bash-completion/completions/$name$" <<<"$files" || missing+=" completion:$name"
  in_root "$exe" --version >/dev/null 2>&1 || missing+=" --version:$name"
done
check "every installed program has a man page, a completion and --version" "$([ -z "$missing" ]; echo $?)" \
  "$(grep -c '^/usr/bin/' <<<"$files") programs${missing:+; missing:$missing}"
for unit in $(grep '^/lib/systemd/system/.*\.service$' <<<"$files"); do
  bad=""
  for b in $(sed -n 's/^Exec[A-Za-z]*=[-+!@:]*\([^ ]*\).*/\1/p' "$root$unit"); do
    [ -x "$root$b" ] || bad+=" $b"
  done
  check "$(basename "$unit"): every Exec binary is installed" "$([ -z "$bad" ]; echo $?)" "${bad:+missing:$bad}"
done
verify=$(in_root systemd-analyze verify $(grep '^/lib/systemd/system/.*\.service$' <<<"$files") 2>&1)
check "systemd-analyze verify accepts the installed units" "$([ -z "$verify" ]; echo $?)" "$verify"
for f in "$here"/../../appliance/*.json "$here"/../../appliance/*.yml "$here"/../../appliance/*.yaml; do
  [ -f "$f" ] || continue
  grep -q "^/usr/share/iocgate/$(basename "$f")$" <<<"$files"
  check "/usr/share/iocgate/$(basename "$f") installed" $? ""
done
man_out=$(in_root sh -c 'MANWIDTH=80 man -P cat iocctl 2>&1')
grep -q '^EXIT STATUS' <<<"$man_out" && grep -q 'feed push' <<<"$man_out"
check "man iocctl works (EXIT STATUS, feed push)" $? "$(wc -l <<<"$man_out") lines"
man_out=$(in_root sh -c 'MANWIDTH=80 man -P cat 5 iocgate.toml 2>&1')
grep -q 'max_shrink_percent' <<<"$man_out"
check "man 5 iocgate.toml works (lists max_shrink_percent)" $? ""

# --- Configure it as an operator would (ports, no hugepages here), and start it.
cfg=$root/etc/iocgate/iocgate.toml
metrics_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i -e 's|^inside = .*|inside = "net_null0,no-rx=1"|' -e 's|^outside = .*|outside = "net_null1,no-rx=1"|' \
       -e 's|^hugepages = .*|hugepages = false|' -e "s|^listen = .*|listen = \"127.0.0.1:$metrics_port\"|" "$cfg"
unit_value() {  # unit file, key: the last value the unit gives it
  sed -n "s/^$2=//p" "$1" | tail -1
}
unit_cmd() {  # unit file, key: its command line with \${IOCGATE_CONFIG} from Environment=
  local env
  env=$(sed -n 's/^Environment=IOCGATE_CONFIG=//p' "$1" | tail -1)
  sed -n "s/^$2=[-+!@:]*//p" "$1" | tail -1 | sed "s|\${IOCGATE_CONFIG}|$env|g"
}
cu=$root/lib/systemd/system/iocgate-control.service
du=$root/lib/systemd/system/iocgate-dataplane.service
user=$(unit_value "$cu" User) group=$(unit_value "$cu" Group)
# What systemd does for the control unit: RuntimeDirectory= and StateDirectory= owned by
# its user, UMask=, then ExecStart= as User=/Group= with the group list of the user.
in_root install -d -m "$(unit_value "$cu" RuntimeDirectoryMode)" -o "$user" -g "$group" "/run/$(unit_value "$cu" RuntimeDirectory)"
t3=$(now)
: >"$root/control.log"
: >"$root/dataplane.log"
# shellcheck disable=SC2046
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 sh -c "umask $(unit_value "$cu" UMask); \
  exec setpriv --reuid=$user --regid=$group --init-groups --inh-caps=-all --no-new-privs $(unit_cmd "$cu" ExecStart)" \
  >"$root/control.log" 2>&1 &
ctl_pid=$!
pre=$(unit_cmd "$du" ExecStartPre)
in_root sh -c "$pre" >"$root/setup-nics.log" 2>&1
check "the dataplane's ExecStartPre (iocgate-setup-nics) passes on the configured box" $? "$(tail -1 "$root/setup-nics.log")"
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 sh -c "umask $(unit_value "$du" UMask); exec $(unit_cmd "$du" ExecStart)" \
  >"$root/dataplane.log" 2>&1 &
dp_pid=$!
up=1
for _ in $(seq 1 150); do
  grep -q 'forwarding' "$root/dataplane.log" && [ -S "$root/run/iocgate/iocgate.sock" ] && { up=0; break; }
  kill -0 $dp_pid 2>/dev/null && kill -0 $ctl_pid 2>/dev/null || break
  sleep 0.2
done
check "both processes start from the units' command lines" $up "$(since "$t3")$( [ $up -ne 0 ] && tail -n 3 "$root/control.log" "$root/dataplane.log")"
# chroot, env, sh and setpriv each exec the next: the pid is the control process's.
# (uids compared: the host may name the chroot's uid otherwise.)
cuid=$(ps -o uid= -p $ctl_pid | tr -d ' ') iuid=$(in_root id -u iocgate)
check "the control process runs as the iocgate user" "$([ -n "$cuid" ] && [ "$cuid" = "$iuid" ]; echo $?)" "uid $cuid"

# --- An operator (group iocgate, not root) pushes a feed and reads the status.
in_root useradd -m -s /bin/bash -G iocgate alice
# The demo's advisory (README "Quick start": the push after ./demo.sh), 77 IoCs.
/usr/bin/python3 "$here/../integration/gen_traffic.py" --seed 20240624 --out "$root/tmp/sample" >/dev/null
cp "$root/tmp/sample/feed.txt" "$root/tmp/advisory.txt"
chmod 0644 "$root/tmp/advisory.txt"
as_alice() { chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/home/alice TERM=dumb \
  setpriv --reuid=alice --regid=alice --init-groups "$@"; }
t4=$(now)
push=$(as_alice iocctl feed push /tmp/advisory.txt --name pkgtest-941 --action drop --advisory 941/TEST 2>&1)
rc=$?
check "iocctl feed push (as a member of group iocgate) exits 0: enforced" $rc "$(since "$t4"); $(head -1 <<<"$push"); $(tail -2 <<<"$push" | tr '\n' ' ')"
grep -q '^feed pkgtest-941 (plain, drop): 77 IoCs' <<<"$push"
check "the push took the demo advisory's 77 IoCs" $? ""
status=$(as_alice iocctl status 2>&1)
rc=$?
check "iocctl status exits 0 (enforcing, every worker on the published generation)" $rc "$(sed -n 's/^state: *//p' <<<"$status")"
grep -q 'generation [1-9][0-9]* published, [1-9][0-9]* enforced' <<<"$status"
check "iocctl status reports the pushed generation enforced" $? "$(grep '^table:' <<<"$status" | cut -c1-100)"
as_alice iocctl --json feed list | grep -q '"name": "pkgtest-941"'
check "iocctl --json feed list lists the feed" $? ""
metrics_ok=1
for try in 1 2 3; do  # a loaded build machine may answer late; three tries of 10 s
  curl -s --max-time 10 "http://127.0.0.1:$metrics_port/metrics" | grep -q '^iocgate_table_generation' && { metrics_ok=0; break; }
  sleep 1
done
check "/metrics of the packaged control process answers" $metrics_ok "port $metrics_port"
bad=$(as_alice iocctl frobnicate 2>&1)
rc=$?
check "iocctl frobnicate: unknown command, exit 2" "$([ $rc -eq 2 ] && grep -q "unknown command 'frobnicate'" <<<"$bad"; echo $?)" "$(head -1 <<<"$bad")"

# --- Completion, in the operator's interactive shell (bash -i loads bash-completion from
# ~/.bashrc, as at a login).
cat >"$root/tmp/complete.sh" <<'EOF'
complete_line() {
  local line=$1
  read -ra COMP_WORDS <<<"$line"
  [[ $line == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
  COMPREPLY=()
  _completion_loader "${COMP_WORDS[0]}" 2>/dev/null
  local f
  f=$(complete -p "${COMP_WORDS[0]}" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
  "$f" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  echo "[$line] ${COMPREPLY[*]}"
}
echo "commands: $(compgen -c ioc | sort -u | tr '\n' ' ')"
complete_line "iocctl "
complete_line "iocctl feed show "
complete_line "iocctl feed push x --action "
complete_line "iocgate feed check --format mi"
complete_line "iocctl --socket /nonexistent feed show "
EOF
chmod 0644 "$root/tmp/complete.sh"
comp=$(as_alice bash -i -c '. /tmp/complete.sh' 2>/dev/null)
echo "$comp" | sed 's/^/  /'
grep -q '^commands: .*iocctl .*iocgate ' <<<"$comp"
check "compgen -c: iocgate and iocctl are on the operator's PATH" $? ""
# What completion must offer comes from the installed iocctl's own command tree, so the check
# follows the CLI as it grows rather than a list copied here.
schema=$(as_alice iocctl --cli-schema)
want_commands=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(c["name"] for c in json.load(sys.stdin)["commands"]))' <<<"$schema")
want_actions=$(/usr/bin/python3 -c '
import json, sys
feed = next(c for c in json.load(sys.stdin)["commands"] if c["name"] == "feed")
push = next(c for c in feed["commands"] if c["name"] == "push")
print(" ".join(next(o["choices"] for o in push["options"] if "--action" in o["names"])))' <<<"$schema")
grep -qxF "[iocctl ] $want_commands" <<<"$comp"
check "completion: iocctl commands" $? "want: $want_commands"
grep -q '^\[iocctl feed show \] pkgtest-941$' <<<"$comp"
check "completion: feed names from the running control process" $? ""
grep -qxF "[iocctl feed push x --action ] $want_actions" <<<"$comp"
check "completion: --action values" $? "want: $want_actions"
grep -q '^\[iocgate feed check --format mi\] misp-csv misp-json$' <<<"$comp"
check "completion: feed format names" $? ""
grep -q '^\[iocctl --socket /nonexistent feed show \] *$' <<<"$comp"
check "completion: no control process on --socket: nothing offered, nothing printed" $? ""

# --- Both stop cleanly, as on systemctl stop.
kill -TERM $dp_pid $ctl_pid
wait $dp_pid
dp_rc=$?
wait $ctl_pid
ctl_rc=$?
dp_pid="" ctl_pid=""
check "SIGTERM: both exit 0" "$([ $dp_rc -eq 0 ] && [ $ctl_rc -eq 0 ]; echo $?)" "dataplane $dp_rc, control $ctl_rc"

# --- Reinstall (postinst as on an upgrade) keeps the edited conffile; remove and purge.
sum=$(md5sum <"$cfg")
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -q --reinstall "/tmp/$debname" >>"$cache/apt-install.log" 2>&1
rc=$?
check "apt-get install --reinstall keeps the edited config" "$([ $rc -eq 0 ] && [ "$(md5sum <"$cfg")" = "$sum" ]; echo $?)" ""
DEBIAN_FRONTEND=noninteractive in_root apt-get purge -y -q iocgate >>"$cache/apt-install.log" 2>&1
rc=$?
check "apt-get purge iocgate" "$([ $rc -eq 0 ] && [ ! -e "$cfg" ] && [ ! -e "$root/usr/bin/iocctl" ]; echo $?)" ""

echo "chroot test: $(since "$t0") in all"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
