#!/usr/bin/env bash
# Install the Debian packages Portfolio needs, when they are missing.
#   runtime: WeasyPrint's libraries (Pango, HarfBuzz subset) and a font
#   test:    runtime + Chromium for the browser tests (Playwright cannot download a browser here)
#            + redis-server, which the queue outage tests start and stop on a port of their own
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "${1:-runtime}" = "test" ]; then
  packages+=(chromium redis-server)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Cannot install ${missing[*]}: run this as root, or install them yourself with apt-get." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
