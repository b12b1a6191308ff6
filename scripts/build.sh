#!/usr/bin/env bash
# scripts/build.sh — configures (once) and builds iocgate into build/ with meson.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized >/dev/null
fi
ninja -C build >/dev/null
