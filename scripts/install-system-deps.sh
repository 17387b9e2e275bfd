#!/usr/bin/env bash
# Debian packages the tests need: headless Chromium (browser test), redis-server and postgresql
# (scale-out tests start their own), libmagic (AugLy), bubblewrap + Debian python3 (sandboxed repository
# tests). Idempotent.
set -euo pipefail
# `install-system-deps.sh runtime` (make demo): only what the pipelines need, not the test tools.
need=()
if [ "${1:-}" != runtime ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)  # scale-out tests start their own
  # Postgres on loopback for the Dagster-instance and DuckLake-catalog tests (pipelines/services.py)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi
ldconfig -p 2>/dev/null | grep -q "libmagic.so.1 " || need+=(libmagic1)  # python-magic for AugLy (images #6)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)  # the sandbox repository tests run in
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)  # setpriv/prlimit: unprivileged uid and limits in it
# a world-readable interpreter for test environments (the sandbox's uid cannot reach one under /root)
[ -x /usr/bin/python3 ] || need+=(python3)
command -v git >/dev/null 2>&1 || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
