#!/usr/bin/env bash
# Installs the Debian packages named after LABEL that are not installed yet: apt-install.sh LABEL PACKAGE…
# (used by install-softhsm.sh and install-chromium.sh). Needs root or password-less sudo. Idempotent; prints nothing
# when all is there; progress goes to stderr, so callers' stdout stays theirs. Tries without `apt-get update` first
# (fast, offline-friendly), updates the package lists only when that fails.
set -euo pipefail

label=$1
shift
missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "$label: ${missing[*]} missing and neither root nor password-less sudo: install them with apt-get" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  "${run[@]}" apt-get update -qq >/dev/null
  "${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "$label: installed ${missing[*]}" >&2
