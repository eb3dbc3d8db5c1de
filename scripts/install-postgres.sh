#!/usr/bin/env bash
# Installs, from Debian, the PostgreSQL server the PostgreSQL store's tests run (postgresql-15: initdb, postgres,
# pg_ctl in /usr/lib/postgresql/15/bin), when missing. The tests start their own server on 127.0.0.1 in a temporary
# data directory (tests/Customs.Ledger.Testing/PostgresServer.cs); the package's own cluster is not used.
# Needs root (or password-less sudo). Idempotent; prints nothing when all is there.
set -euo pipefail
exec "$(dirname "$0")/apt-install.sh" install-postgres postgresql-15
