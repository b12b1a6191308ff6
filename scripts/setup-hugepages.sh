#!/usr/bin/env bash
# scripts/setup-hugepages.sh — reserves 2 MiB hugepages (default 1024 = 2 GiB) and mounts
# hugetlbfs, for the dataplane and the benchmarks. Idempotent; needs root.
set -euo pipefail
want=${1:-1024}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
  echo "$want" > /proc/sys/vm/nr_hugepages
fi
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
  mkdir -p /dev/hugepages
  mount -t hugetlbfs none /dev/hugepages
fi
got=$(cat /proc/sys/vm/nr_hugepages)
[ "$got" -ge 64 ] || { echo "setup-hugepages: only $got hugepages could be reserved" >&2; exit 1; }
