#!/usr/bin/env bash
# Install Debian's Chromium and its WebDriver for the listening-page tests (tests/test_listen_browser.py):
# apt packages only, no browser downloads. Idempotent and non-interactive; safe to re-run.
set -euo pipefail

PACKAGES=(chromium chromium-driver)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install_browser: chromium and chromium-driver already installed"
  exit 0
fi
echo "install_browser: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_browser: done"
