#!/usr/bin/env bash
# appliance/install.sh — installs a built iocgate as a supervised appliance. Idempotent.
#
#   appliance/install.sh [--build DIR] [--destdir DIR] [--enable]
#
#   --build DIR    where iocgate and iocctl were built (default: build/, see scripts/build.sh)
#   --destdir DIR  install under DIR instead of / (packaging, or a dry look at the result)
#   --enable       also `systemctl enable --now` both units (needs systemd running)
#
# What goes where:
#   /usr/local/bin/iocgate, iocgate-dataplane, iocgate-replay, iocctl, iocgate-setup-nics
#   /etc/iocgate/iocgate.toml           (an existing one is kept; the new example lands
#                                        beside it as iocgate.toml.dist)
#   /etc/systemd/system/iocgate-dataplane.service, iocgate-control.service
#   /usr/local/share/doc/iocgate/APPLIANCE.md
#   user and group iocgate (the control process runs as it; the group may use iocctl),
#   /var/lib/iocgate (state_dir, iocgate:iocgate 0750)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=$repo/build destdir="" enable=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(realpath "$2"); shift 2 ;;
    --destdir) destdir=$(realpath -m "$2"); shift 2 ;;
    --enable) enable=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || [ -n "$destdir" ] || { echo "install.sh: run as root" >&2; exit 1; }
bins=("$build/control/iocgate" "$build/control/iocctl" "$build/dataplane/iocgate-dataplane" "$build/replay/iocgate-replay")
for b in "${bins[@]}"; do
  [ -x "$b" ] || { echo "install.sh: $b not built (scripts/build.sh)" >&2; exit 1; }
done

install -d "$destdir/usr/local/bin" "$destdir/etc/iocgate" "$destdir/etc/systemd/system" \
           "$destdir/usr/local/share/doc/iocgate"
install -m 0755 "${bins[@]}" "$here/iocgate-setup-nics" "$destdir/usr/local/bin/"
if [ -e "$destdir/etc/iocgate/iocgate.toml" ]; then
  install -m 0644 "$here/iocgate.toml" "$destdir/etc/iocgate/iocgate.toml.dist"
  echo "install.sh: kept /etc/iocgate/iocgate.toml; the example is iocgate.toml.dist"
else
  install -m 0644 "$here/iocgate.toml" "$destdir/etc/iocgate/iocgate.toml"
fi
install -m 0644 "$here/iocgate-dataplane.service" "$here/iocgate-control.service" "$destdir/etc/systemd/system/"
[ -f "$repo/docs/APPLIANCE.md" ] && install -m 0644 "$repo/docs/APPLIANCE.md" "$destdir/usr/local/share/doc/iocgate/"

if [ -z "$destdir" ]; then
  "$repo/scripts/ensure-user.sh"
  install -d -m 0750 -o iocgate -g iocgate /var/lib/iocgate
  "$destdir/usr/local/bin/iocgate" --version >/dev/null
else
  install -d -m 0750 "$destdir/var/lib/iocgate"
fi
echo "install.sh: installed into ${destdir:-/}"

if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ $enable -eq 1 ]; then
    systemctl enable --now iocgate-dataplane.service iocgate-control.service
    systemctl --no-pager status iocgate-dataplane.service iocgate-control.service || true
  else
    echo "next: edit /etc/iocgate/iocgate.toml, then: systemctl enable --now iocgate-dataplane iocgate-control"
  fi
elif [ $enable -eq 1 ]; then
  echo "install.sh: systemd is not running here: units installed but not started" >&2
fi
