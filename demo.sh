#!/usr/bin/env bash
# demo.sh — installs what is missing, builds iocgate, installs its commands into /usr/local/bin
# (unless the iocgate package is installed: then the demo runs the build's own), then
# runs the main job: judges traffic against IoC feeds with the real dataplane and prints
# what was blocked, per IoC and per internal host.
#
#   ./demo.sh                                 bundled sample traffic and feeds
#   ./demo.sh --pcap CAPTURE --feed FILE...   your own capture and feeds
set -euo pipefail
cd "$(dirname "$0")"

pcap="" feeds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --pcap) pcap=$2; shift 2 ;;
    --feed) feeds+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

scripts/ensure-deps.sh
scripts/build.sh
if dpkg-query -W -f='${Status}' iocgate 2>/dev/null | grep -q "install ok installed"; then
  # Copies in /usr/local/bin would shadow the package's commands on the PATH.
  export PATH=$PWD/build/control:$PATH
  echo "the iocgate package is installed ($(dpkg-query -W -f='${Version}' iocgate)): the demo runs build/'s $(iocgate --version)"
else
  install -m 0755 build/control/iocgate build/control/iocctl build/dataplane/iocgate-dataplane \
    build/replay/iocgate-replay /usr/local/bin/
  echo "installed iocgate, iocctl, iocgate-dataplane and iocgate-replay in /usr/local/bin ($(iocgate --version))"
fi

out=build/demo
mkdir -p "$out"
if [ -z "$pcap" ]; then
  # The bundled sample: mixed traffic (VLAN, QinQ, IPv4/IPv6, DNS, TLS, HTTP, fragments)
  # and an advisory's IoCs in three formats, generated deterministically by the same
  # generator the integration tests use.
  /usr/bin/python3 tests/integration/gen_traffic.py --seed 20240624 --out "$out/sample" >/dev/null
  pcap=$out/sample/traffic.pcap
  feeds=("$out/sample/feed.txt" "$out/sample/feed.csv" "$out/sample/feed.stix.json")
  echo
  echo "== Checking the sample feeds before use"
  iocgate feed check "${feeds[@]}"
fi
[ ${#feeds[@]} -gt 0 ] || { echo "demo.sh: --pcap needs at least one --feed" >&2; exit 2; }

feed_args=()
for f in "${feeds[@]}"; do feed_args+=(--feed "$f"); done
echo
echo "== Replaying $pcap through the dataplane"
iocgate replay "${feed_args[@]}" --in "$pcap" --out "$out/passed.pcap" --dropped "$out/dropped.pcap"
