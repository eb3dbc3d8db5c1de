#!/usr/bin/env bash
# Puts the same generated WCO declarations through this node's pipeline and through OpenAttestation v2
# (@govtechsg/open-attestation wrapDocuments / verifySignature), in one run, and prints both rates and their ratio.
#
#   scripts/side-by-side.sh [documents=10000] [goods-items-per-declaration=2]
#
# Ours: map XML -> WCO leaves, salt, hash, document root, ledger record, batch tree, one signature, one embedded-ledger
# anchor (SQLite, fsync); verification = every BundleVerifier check on full proof bundles. Theirs: wrapDocuments on the
# same leaves as OA raw documents (one batch, as OA wraps), verifySignature on each wrapped document.
# OpenAttestation runs on one thread (Node.js); ours is shown on 1 core and on all cores.
set -euo pipefail
documents="${1:-10000}"
items="${2:-2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -d "$root/chaincode-adapters/ethereum/node_modules/@govtechsg/open-attestation" ]; then
  (cd "$root/chaincode-adapters/ethereum" && npm ci --no-audit --no-fund >&2)
fi
dotnet build -c Release "$root/tests/Customs.Ledger.LoadGen" -v quiet -nologo >&2

dotnet "$root/tests/Customs.Ledger.LoadGen/bin/Release/net10.0/customs-ledger-loadgen.dll" side-by-side \
  --documents "$documents" --items "$items" --oa-input "$work/oa.ndjson" --json "$work/ours.json" >/dev/null
node "$root/chaincode-adapters/ethereum/scripts/oa-throughput.mjs" "$work/oa.ndjson" --out "$work/oa.json" >/dev/null

node - "$work/ours.json" "$work/oa.json" <<'JS'
const fs = require("fs");
const [ours, oa] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const n = (x) => Math.round(x).toLocaleString("en-US");
const ratio = (a, b) => (a / b).toFixed(1) + "x";
const cores = ours.cores;
console.log(`${ours.documents.toLocaleString("en-US")} declarations, ${ours.bytesPerDocument} bytes and ${ours.leavesPerDocument} leaves each`);
console.log(`open-attestation ${oa.version} on Node.js ${process.version} (one thread); customs-ledger on ${cores} cores`);
console.log("");
console.log("                         OpenAttestation   customs-ledger 1 core    ratio   customs-ledger " + cores + " cores   ratio");
console.log(`issue / wrap   docs/s   ${n(oa.wrapPerSecond).padStart(15)}   ${n(ours.issuePerSecond1Core).padStart(21)}   ${ratio(ours.issuePerSecond1Core, oa.wrapPerSecond).padStart(6)}   ${n(ours["issuePerSecond" + cores + "Core"]).padStart(21)}   ${ratio(ours["issuePerSecond" + cores + "Core"], oa.wrapPerSecond).padStart(6)}`);
console.log(`verify         docs/s   ${n(oa.verifyPerSecond).padStart(15)}   ${n(ours.verifyPerSecond1Core).padStart(21)}   ${ratio(ours.verifyPerSecond1Core, oa.verifyPerSecond).padStart(6)}   ${n(ours["verifyPerSecond" + cores + "Core"]).padStart(21)}   ${ratio(ours["verifyPerSecond" + cores + "Core"], oa.verifyPerSecond).padStart(6)}`);
console.log(`verify, each bundle alone (no shared batch checks), ${cores} cores: ${n(ours.verifyOneByOnePerSecond)} docs/s (${ratio(ours.verifyOneByOnePerSecond, oa.verifyPerSecond)})`);
JS
