#!/usr/bin/env bash
# Install the named Debian packages that are missing: `apt_install.sh LABEL PKG...`.
# Idempotent and non-interactive; the one place the .ci scripts call apt-get.
set -euo pipefail
label=$1; shift

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "$label: all $# packages already installed"
  exit 0
fi
echo "$label: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "$label: done"
