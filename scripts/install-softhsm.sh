#!/usr/bin/env bash
# Installs, from Debian, what the HSM tests and an HSM-backed node need, when missing:
#   softhsm2                   a PKCS#11 token in software (the tests' HSM);
#   libengine-pkcs11-openssl   OpenSSL's pkcs11 engine, through which TLS reaches a key held in a token (with p11-kit).
# Needs root (or password-less sudo). Idempotent; prints nothing when all is there.
set -euo pipefail
exec "$(dirname "$0")/apt-install.sh" install-softhsm softhsm2 libengine-pkcs11-openssl
