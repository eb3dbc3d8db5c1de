#!/usr/bin/env bash
# Installs, from Debian, the headless browser the verifier page's browser tests drive (node/verifier-web/test-browser),
# when missing:
#   chromium   Debian's Chromium (Playwright is given its path: it never downloads a browser of its own).
# Needs root (or password-less sudo). Idempotent; quiet when present. Prints the browser's path on its last stdout line.
set -euo pipefail

browser=/usr/bin/chromium
"$(dirname "$0")/apt-install.sh" install-chromium chromium
if [ ! -x "$browser" ]; then
  echo "install-chromium: $browser is missing although the chromium package is installed" >&2
  exit 1
fi
echo "$browser"
