#!/usr/bin/env bash
# Install Debian's Chromium and its WebDriver for the listening-page tests (tests/test_listen_browser.py):
# apt packages only, no browser downloads. Idempotent and non-interactive; safe to re-run.
set -euo pipefail

PACKAGES=(chromium chromium-driver)

exec bash "$(dirname "$0")/apt_install.sh" install_browser "${PACKAGES[@]}"
