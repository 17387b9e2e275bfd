#!/usr/bin/env bash
# Debian packages the tests need: headless Chromium (browser test), redis-server (scale-out
# tests start their own), libmagic (AugLy). Idempotent.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)  # scale-out tests (#8) start their own
ldconfig -p 2>/dev/null | grep -q "libmagic.so.1 " || need+=(libmagic1)  # python-magic for AugLy (images #6)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
