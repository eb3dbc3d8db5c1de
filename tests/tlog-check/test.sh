#!/usr/bin/env bash
# Runs tlog-check's own Go tests (gen_test.go: keys from note.GenerateKey, a 13-entry tree from tlog.StoredHashes,
# a cosignature/v1 line from crypto/ed25519, accepted and refused cases; and tlog's proof order against a plain
# RFC 9162 implementation), offline, in the same environment as build.sh (env.sh). Extra arguments go to `go test`
# (e.g. -v, -run NAME). With TLOG_CHECK_CASES=DIR set, the cases are also written as DIR/*.json.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
cd "$here"
"$tlog_check_go" test -count=1 "$@" .
