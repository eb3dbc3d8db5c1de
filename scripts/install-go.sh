#!/usr/bin/env bash
# Installs, from Debian, what the transparency-log interop checker (tests/tlog-check) is built with, when missing:
#   golang-go                 Debian's Go toolchain (the checker is built offline: no module proxy, no toolchain download);
#   golang-golang-x-mod-dev   the sources of golang.org/x/mod (sumdb/note, sumdb/tlog) under /usr/share/gocode/src,
#                             Go's own, independent implementation of signed notes and tlog proofs.
# Needs root (or password-less sudo). Idempotent; quiet when present; progress goes to stderr.
# Prints the path of the go binary on its last stdout line.
set -euo pipefail

go=/usr/bin/go
"$(dirname "$0")/apt-install.sh" install-go golang-go golang-golang-x-mod-dev
if [ ! -x "$go" ]; then
  echo "install-go: $go is missing although the golang-go package is installed" >&2
  exit 1
fi
for dir in note tlog; do
  if [ ! -d "/usr/share/gocode/src/golang.org/x/mod/sumdb/$dir" ]; then
    echo "install-go: /usr/share/gocode/src/golang.org/x/mod/sumdb/$dir is missing although golang-golang-x-mod-dev is installed" >&2
    exit 1
  fi
done
echo "$go"
