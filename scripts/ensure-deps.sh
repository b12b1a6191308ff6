#!/usr/bin/env bash
# scripts/ensure-deps.sh — installs the Debian 12 packages iocgate builds, tests and runs
# with, only those missing (idempotent), and prepares hugepages when it may. Sourced or run
# by demo.sh and test.sh as root.
set -euo pipefail

IOCGATE_PACKAGES=(
  # build
  g++ clang libclang-rt-14-dev meson ninja-build pkg-config
  # libraries
  dpdk dpdk-dev libdpdk-dev libpcap-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libtomlplusplus-dev
  libpsl-dev publicsuffix  # feeds: public-suffix guard and free-text domains
  libpoppler-cpp-dev libzip-dev libpugixml-dev  # feeds: PDF, XLSX and DOCX appendices
  libbpf-dev linux-libc-dev  # xdp/: the XDP program (clang -target bpf) and its loader
  libzstd-dev  # the flow history's compressed blocks
  # tests: traffic generation and dissection
  python3 python3-scapy tshark
  prometheus chromium  # tests: scraping /metrics and the alert rules (promtool), report rendering
  nfdump  # tests: a real IPFIX collector (nfcapd) and reader (nfdump)
  poppler-utils  # tests: the PDF report's text and word boxes (pdftotext, pdfinfo)
  # tests/netns: real servers and clients through the appliance
  dnsmasq-base nginx bind9-dnsutils curl openssl tcpdump iproute2 iputils-ping ethtool
  # tests/netns_xdp and bench/xdp_bench.sh: xdp-filter beside the XDP path, nftables sets, bpftool
  xdp-tools bpftool nftables
  # tests/package: the Debian package, lintian, the chroot it is installed in, man pages and
  # bash completion as an operator reads and uses them
  dpkg-dev debhelper lintian debootstrap man-db bash-completion
)

missing=()
for p in "${IOCGATE_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "iocgate: missing Debian packages: ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "iocgate: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; the default answer (no) is fine.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
