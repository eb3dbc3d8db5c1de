#!/usr/bin/env bash
# The whole test suite: every .NET test project in the solution, then the independent JavaScript check of the
# published Merkle test vectors. Needs only the .NET SDK and Node.js. Exit code 0 means everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
dotnet test Customs.Ledger.sln --nologo 2>&1 | tee "$log" || status=$?

node tests/data/vectors/verify-vectors.mjs | tee -a "$log" || status=$?

# One closing line over all runners: "N passed, N failed".
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
vectors=$(grep -Eo 'vectors: [0-9]+ passed, [0-9]+ failed' "$log" | awk '{p+=$2; f+=$4} END {print p+0, f+0}')
passed=$((passed + ${vectors% *}))
failed=$((failed + ${vectors#* }))
echo "tests: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
