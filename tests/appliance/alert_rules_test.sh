#!/usr/bin/env bash
# tests/appliance/alert_rules_test.sh — appliance/alert-rules.yml is valid Prometheus rules
# (promtool check rules) and each rule fires and stays quiet as alert_rules_test.yml says
# (promtool test rules). promtool comes with Debian's prometheus package.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v promtool >/dev/null; then
  echo "FAIL: promtool is not installed (scripts/ensure-deps.sh installs prometheus)"
  exit 1
fi
promtool check rules "$here/../../appliance/alert-rules.yml" || exit 1
promtool test rules "$here/alert_rules_test.yml"
