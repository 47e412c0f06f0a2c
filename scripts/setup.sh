#!/usr/bin/env bash
# Installs the Debian packages bareformer builds with, only those missing. Idempotent; run as root
# (or with sudo available) on Debian 12.
set -euo pipefail
packages=(build-essential cmake ninja-build libeigen3-dev libopenblas-dev libopenblas-openmp-dev libdnnl-dev
          doctest-dev nlohmann-json3-dev libcli11-dev python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all build packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
