#!/usr/bin/env bash
# appliance/install.sh — installs iocgate on this machine the Debian way: builds the package
# from the tree (scripts/build-deb.sh) and installs it with apt, which brings its
# dependencies, the iocgate user and group, /var/lib/iocgate, both units (the control
# process started, the dataplane not), the config as a conffile, man pages and completion.
# Idempotent: a reinstall keeps an edited /etc/iocgate/iocgate.toml. Removes the copies
# ./demo.sh put in /usr/local/bin, which would shadow the package's commands.
#
#   appliance/install.sh [--deb FILE] [--enable]
#
#   --deb FILE   install this package instead of building one
#   --enable     also `systemctl enable --now iocgate-dataplane` (once the config names its
#                ports: the shipped config names none, and the dataplane refuses to start)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
deb="" enable=0
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --enable) enable=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
if [ -z "$deb" ]; then
  "$repo/scripts/ensure-deps.sh"
  deb=$("$repo/scripts/build-deb.sh" | tail -1)
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "$deb"
# ./demo.sh's copies in /usr/local/bin would shadow the package's commands on the PATH.
for exe in iocgate iocctl iocgate-dataplane iocgate-replay; do
  if [ -f "/usr/local/bin/$exe" ]; then
    rm -f "/usr/local/bin/$exe"
    echo "install.sh: removed /usr/local/bin/$exe (left by demo.sh): /usr/bin/$exe is the package's"
  fi
done
if [ $enable -eq 1 ]; then
  systemctl enable --now iocgate-dataplane.service
  systemctl --no-pager status iocgate-dataplane.service iocgate-control.service || true
else
  echo "next: name the data ports in /etc/iocgate/iocgate.toml, then: systemctl enable --now iocgate-dataplane"
fi
