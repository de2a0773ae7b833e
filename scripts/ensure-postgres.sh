#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the shared-study fault tests when initdb is missing
# (idempotent, quiet). The tests start their own throw-away cluster on 127.0.0.1 (as the
# 'postgres' user under root); the package's own cluster is not needed and is left stopped.
# CI runs as root on Debian; elsewhere, without root or apt-get, it says what to do and carries on
# (the PostgreSQL tests then fail with the same hint, they are never skipped).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: PostgreSQL's initdb is missing; install Debian's 'postgresql' package (as root: apt-get install -y postgresql)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d: keep the package from starting its own cluster (no init system in CI containers)
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
