#!/usr/bin/env bash
# Builds the transparency-log interop checker tlog-check (main.go beside this file) into OUTPUT_BINARY:
#   build.sh OUTPUT_BINARY
# Fully offline, from Debian's golang-go and golang-golang-x-mod-dev only (install them with scripts/install-go.sh):
# GOPATH mode against /usr/share/gocode, no module proxy, no toolchain download (see env.sh). Writes nothing into
# the repository but OUTPUT_BINARY, if that is there. Quiet on success; errors go to stderr.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: build.sh OUTPUT_BINARY" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
case $1 in
  /*) out=$1 ;;
  *) out=$PWD/$1 ;;
esac
mkdir -p "$(dirname "$out")"
. "$here/env.sh"
cd "$here"
"$tlog_check_go" build -trimpath -o "$out" .
