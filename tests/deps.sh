#!/bin/bash
# Installs what the build and the tests need on Debian 12, once. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t pkgs < <(cat tests/packages.txt tests/lab/packages.txt | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=()
for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
        echo "deps: missing packages: ${missing[*]}; run this as root (or: apt-get install ${missing[*]})" >&2
        exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
