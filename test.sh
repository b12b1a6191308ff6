#!/usr/bin/env bash
# test.sh — installs what is missing, builds, and runs every test: unit, integration and
# network-namespace tests (gcc build in build/), the appliance test again under ASan and
# UBSan (build-asan/), then each fuzz target briefly under libFuzzer with ASan and UBSan
# (clang build in build-fuzz/), then the Debian package: built, checked by lintian, installed
# and run in a fresh Debian 12 chroot (build-deb/). Ends with one "N passed, M failed" line.
set -uo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh || exit 1
scripts/ensure-user.sh || exit 1
scripts/build.sh || { echo "0 passed, 1 failed (build)"; exit 1; }

scripts/setup-hugepages.sh || exit 1
meson test -C build --print-errorlogs --num-processes 2
main_rc=$?

# The appliance again, built with AddressSanitizer and UBSan: a worker must never read a
# torn or freed table while generations switch under traffic.
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
ninja -C build-asan control/iocgate control/iocctl dataplane/iocgate-dataplane >/dev/null || exit 1
mkdir -p build-asan/meson-logs
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  /usr/bin/python3 tests/integration/appliance_test.py build-asan/control/iocgate build-asan/control/iocctl build-asan/dataplane/iocgate-dataplane \
  --pushes 60 | tee build-asan/meson-logs/appliance-asan.txt
asan_rc=${PIPESTATUS[0]}

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true -Db_lundef=false \
    -Dcpp_args='-fsanitize=fuzzer-no-link,address,undefined' \
    -Dcpp_link_args='-fsanitize=address,undefined' >/dev/null || exit 1
fi
fuzz_targets=$(meson introspect build-fuzz --targets | /usr/bin/python3 -c '
import json, sys
print(" ".join(t["filename"][0] for t in json.load(sys.stdin) if t["name"].startswith("fuzz_") and t["type"] == "executable"))')
# shellcheck disable=SC2086
ninja -C build-fuzz $(for f in $fuzz_targets; do realpath --relative-to=build-fuzz "$f"; done) >/dev/null || exit 1
meson test -C build-fuzz --suite fuzz --no-rebuild --print-errorlogs --num-processes 2
fuzz_rc=$?

# The Debian package as an operator gets it: dpkg-buildpackage, lintian, apt install in a
# fresh bookworm chroot (debootstrapped once, cached in ~/.cache/iocgate), the appliance
# started there from its units' command lines, a push, the status.
mkdir -p build-deb
tests/package/package_test.sh | tee build-deb/package-test.txt
pkg_rc=${PIPESTATUS[0]}

/usr/bin/python3 - <<'PY'
import json
passed = failed = 0
import re
# The ASan appliance run and the package stage count as one test each: each passes when
# its own checks all pass (its last "N passed, M failed" line says 0 failed).
for log in ("build-asan/meson-logs/appliance-asan.txt", "build-deb/package-test.txt"):
    try:
        totals = [l.strip() for l in open(log) if re.match(r"^\d+ passed, \d+ failed$", l.strip())]
    except FileNotFoundError:
        totals = []
    if totals and totals[-1].endswith(" 0 failed"): passed += 1
    else: failed += 1
for d in ("build", "build-fuzz"):
    try:
        for line in open(f"{d}/meson-logs/testlog.json"):
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"): passed += 1
            elif r != "SKIP": failed += 1
    except FileNotFoundError:
        failed += 1
print(f"{passed} passed, {failed} failed")
PY
[ $main_rc -eq 0 ] && [ $fuzz_rc -eq 0 ] && [ $asan_rc -eq 0 ] && [ $pkg_rc -eq 0 ]
