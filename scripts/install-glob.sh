#!/bin/sh
# scripts/install-glob.sh — a meson install script: installs every file of SRC_DIR matching
# one of the PATTERNs into $DESTDIR/DEST_DIR with MODE. Patterns are matched at install
# time, so a file added to appliance/ (a unit, alert rules) needs no change to meson.build.
#   install-glob.sh SRC_DIR DEST_DIR MODE PATTERN...
set -eu
src=$1 dest=$2 mode=$3
shift 3
for pattern in "$@"; do
  for f in "$src"/$pattern; do
    [ -f "$f" ] || continue
    install -D -m "$mode" "$f" "${DESTDIR:-}$dest/$(basename "$f")"
    [ -n "${MESON_INSTALL_QUIET:-}" ] || echo "Installing $f to ${DESTDIR:-}$dest"
  done
done
