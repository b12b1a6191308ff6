#!/usr/bin/env bash
# scripts/ensure-user.sh — the system user and group `iocgate`: the control process runs as
# the user; members of the group may use iocctl. Idempotent; needs root.
set -euo pipefail
getent group iocgate >/dev/null || groupadd --system iocgate
getent passwd iocgate >/dev/null ||
  useradd --system --gid iocgate --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin iocgate
