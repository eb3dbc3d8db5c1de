# Sourced by build.sh and test.sh: the environment in which Go builds tlog-check fully offline, from Debian's
# packages only (golang-go, golang-golang-x-mod-dev; see scripts/install-go.sh).
#   GOPATH mode (GO111MODULE=off) with GOPATH=/usr/share/gocode, where Debian puts Go library sources: the imports
#   golang.org/x/mod/sumdb/{note,tlog} resolve to /usr/share/gocode/src/golang.org/x/mod/…, so there is no go.mod,
#   no go.sum, no module download. GOPROXY=off and GOSUMDB=off refuse the network should anything ask for it;
#   GOTOOLCHAIN=local keeps a newer go command from fetching another toolchain; GOENV=off and GOFLAGS= keep a user's
#   go env settings out; CGO_ENABLED=0 needs no C compiler. GOCACHE: the caller's if set, else the usual
#   ~/.cache/go-build when it can be created, else a temporary folder removed on exit.
tlog_check_go=${GO:-$(command -v go || echo /usr/bin/go)}
if [ ! -x "$tlog_check_go" ]; then
  echo "tlog-check: no go command: run scripts/install-go.sh" >&2
  exit 1
fi
for tlog_check_pkg in note tlog; do
  if [ ! -d "/usr/share/gocode/src/golang.org/x/mod/sumdb/$tlog_check_pkg" ]; then
    echo "tlog-check: /usr/share/gocode/src/golang.org/x/mod/sumdb/$tlog_check_pkg missing: run scripts/install-go.sh" >&2
    exit 1
  fi
done
export GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOENV=off GOFLAGS= CGO_ENABLED=0
unset GOWORK GOBIN
if [ -z "${GOCACHE:-}" ]; then
  tlog_check_cache=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/go-build
  if mkdir -p "$tlog_check_cache" 2>/dev/null && [ -w "$tlog_check_cache" ]; then
    export GOCACHE=$tlog_check_cache
  else
    tlog_check_tmp=$(mktemp -d)
    trap 'rm -rf "$tlog_check_tmp"' EXIT
    export GOCACHE=$tlog_check_tmp
  fi
fi
