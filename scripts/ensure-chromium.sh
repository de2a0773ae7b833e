#!/usr/bin/env bash
# Installs Debian's chromium for the report's browser test when it is missing (idempotent, quiet).
# CI runs as root on Debian; elsewhere, without root or apt-get, it says what to do and carries on
# (the browser test then fails with the same hint, it is never skipped).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: /usr/bin/chromium is missing; install Debian's 'chromium' package (as root: apt-get install -y chromium)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
