#!/usr/bin/env bash
# The whole test suite. Needs only the .NET SDK, Node.js/npm and Debian's apt: npm packages (Hardhat, Ganache, solc-js,
# OpenAttestation; fabric-contract-api for the chaincode; @hyperledger/fabric-gateway and fabric-protos for the Fabric
# conformance tests) are installed from the package-lock.json files on first use,
# SoftHSM2 and OpenSSL's pkcs11 engine (the HSM tests) from Debian by scripts/install-softhsm.sh, PostgreSQL 15 (the
# PostgreSQL store, active/standby and outage tests, which start their own servers on 127.0.0.1 in temporary data
# directories) from Debian by scripts/install-postgres.sh.
#   1. the Solidity artifacts are recompiled with the pinned solc and compared with the committed ones;
#   2. every .NET test project (unit, functional, crash-recovery, Hardhat integration);
#   3. the Ethereum end-to-end script (contracts, OpenAttestation verification, Ganache restart);
#   4. the independent JavaScript check of the published Merkle vectors;
#   5. the Fabric chaincode's unit tests, and the Fabric conformance server's tests with Fabric's official Node client;
#   6. the browser verifier's own tests (node/verifier-web: published vectors, fixtures, QR payloads, WCO names). Its
#      page in Debian's Chromium (installed by scripts/install-chromium.sh) and its differential test against the C#
#      verifier run in step 2 (tests/Customs.Ledger.WebVerifier.Tests);
#   7. the witnessed-log checker's own Go tests (tests/tlog-check: Go's sumdb/note and sumdb/tlog from Debian's
#      golang-golang-x-mod-dev, built with golang-go; both installed by scripts/install-go.sh). Step 2 runs the checker on
#      the node's checkpoints and proofs (GoInteropTests).
# Prints "tests: N passed, N failed" last; exit code 0 means everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

eth=chaincode-adapters/ethereum
fabric=chaincode-adapters/fabric/chaincode
conformance=chaincode-adapters/fabric/conformance-server
web=node/verifier-web
for dir in "$eth" "$fabric" "$conformance" "$web"; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

./scripts/install-softhsm.sh
./scripts/install-postgres.sh
./scripts/install-chromium.sh >/dev/null
./scripts/install-go.sh >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

(cd "$eth" && npm run --silent check-artifacts) 2>&1 | tee -a "$log" || status=1
dotnet test Customs.Ledger.sln --nologo 2>&1 | tee -a "$log" || status=1
(cd "$eth" && npm run --silent e2e) 2>&1 | tee -a "$log" || status=1
node tests/data/vectors/verify-vectors.mjs 2>&1 | tee -a "$log" || status=1
(cd "$fabric" && npm test --silent) 2>&1 | tee -a "$log" || status=1
# node --test reports "# pass N" / "# fail N"; restated in the closing line's form.
(cd "$conformance" && npm test --silent) 2>&1 | tee "$log.node" || status=1
echo "fabric conformance server: $(awk '/^# pass /{p=$3} /^# fail /{f=$3} END {print p+0 " passed, " f+0 " failed"}' "$log.node")" | tee -a "$log"
rm -f "$log.node"
(cd "$web" && npm test --silent) 2>&1 | tee "$log.node" || status=1
echo "browser verifier: $(awk '/^# pass /{p=$3} /^# fail /{f=$3} END {print p+0 " passed, " f+0 " failed"}' "$log.node")" | tee -a "$log"
rm -f "$log.node"
tests/tlog-check/test.sh -v > "$log.go" 2>&1 || status=1
echo "tlog checker (Go): $(grep -c -- '--- PASS' "$log.go") passed, $(grep -c -- '--- FAIL' "$log.go") failed" | tee -a "$log"
grep -- '--- FAIL' "$log.go" || true
rm -f "$log.go"

# One closing line over all runners.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
others=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log" | awk '{p+=$1; f+=$3} END {print p+0, f+0}')
passed=$((passed + ${others% *}))
failed=$((failed + ${others#* }))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "tests: $passed passed, $failed failed (a runner did not build or run: see above)"
else
  echo "tests: $passed passed, $failed failed"
fi
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
