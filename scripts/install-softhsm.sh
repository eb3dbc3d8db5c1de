#!/usr/bin/env bash
# Installs, from Debian, what the HSM tests and an HSM-backed node need, when missing:
#   softhsm2                   a PKCS#11 token in software (the tests' HSM);
#   libengine-pkcs11-openssl   OpenSSL's pkcs11 engine, through which TLS reaches a key held in a token (with p11-kit).
# Needs root (or password-less sudo). Idempotent; prints nothing when all is there.
set -euo pipefail

missing=()
for package in softhsm2 libengine-pkcs11-openssl; do
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
  echo "install-softhsm: ${missing[*]} missing and neither root nor password-less sudo: install them with apt-get" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  "${run[@]}" apt-get update -qq >/dev/null
  "${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-softhsm: installed ${missing[*]}"
