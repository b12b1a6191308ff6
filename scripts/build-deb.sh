#!/usr/bin/env bash
# scripts/build-deb.sh — builds the Debian package from the tree as it is (committed or not,
# less what .gitignore ignores) with dpkg-buildpackage, in a copy under build-deb/, so the
# work tree gets no debian/ build litter. Prints the path of the .deb on its last line.
#   scripts/build-deb.sh [--out DIR] [--lintian]
#   --out DIR   where the copy and the results go (default build-deb/)
#   --lintian   also run lintian on the result; exit 1 on any error it reports
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/build-deb lintian=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --lintian) lintian=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
src=$out/src
rm -rf "$src"
mkdir -p "$src"
# The tree's files: git's view when there is one (tracked and new files, not ignored ones
# such as build dirs), else everything but the build dirs.
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
     tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$src"
else
  (cd "$repo" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -xf - -C "$src"
fi
rm -f "$out"/iocgate_*
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" nice -n 10 dpkg-buildpackage -b -us -uc \
   >"$out/dpkg-buildpackage.log" 2>&1) || { tail -40 "$out/dpkg-buildpackage.log" >&2; exit 1; }
deb=$out/iocgate_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "build-deb.sh: $deb was not built (see $out/dpkg-buildpackage.log)" >&2; exit 1; }
if [ $lintian -eq 1 ]; then
  lintian --info --display-info "$out"/iocgate_"${version}"_*.changes | tee "$out/lintian.txt" >&2 || true
  if grep -q '^E: ' "$out/lintian.txt"; then
    echo "build-deb.sh: lintian reports errors" >&2
    exit 1
  fi
fi
echo "$deb"
