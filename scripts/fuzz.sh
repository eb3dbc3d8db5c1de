#!/usr/bin/env bash
# A fuzz run of one target with AFL++ through SharpFuzz (see tests/Customs.Ledger.Fuzzing/README.md).
#   scripts/fuzz.sh xml 600       # the XML readers and mapper, 10 minutes
#   scripts/fuzz.sh bundle 600    # the bundle parser and verifier
# Installs what it needs: Debian's afl++ (apt-get) and the SharpFuzz.CommandLine tool (into .fuzz/tools). Builds the
# harness in Release, instruments the target assemblies in its output, and runs afl-fuzz from the regression corpus
# (tests/data/fuzz/<target>). Findings land in .fuzz/<target>/default/crashes (and hangs): fix the cause, then copy the
# input into tests/data/fuzz/<target>/ so the test suite replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh xml|bundle [seconds]}
seconds=${2:-300}
case "$target" in xml|bundle) ;; *) echo "target is xml or bundle" >&2; exit 2 ;; esac

if ! command -v afl-fuzz >/dev/null; then
  apt-get install -y -q afl++ >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q afl++ >/dev/null; }
fi
tools=.fuzz/tools
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

out=.fuzz/build-$target
rm -rf "$out"
dotnet build -c Release tests/Customs.Ledger.Fuzzing -o "$out" -v q -nologo >/dev/null
# Instrument what the target exercises (SharpFuzz rewrites the assemblies in place with AFL's edge coverage).
for dll in Customs.Ledger.Core.dll $( [ "$target" = bundle ] && echo Customs.Ledger.Node.dll Customs.Ledger.Crypto.dll Customs.Ledger.Adapters.Embedded.dll ); do
  "$tools/sharpfuzz" "$out/$dll" >/dev/null
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_AUTORESUME=1
mkdir -p ".fuzz/$target"
afl-fuzz -i "tests/data/fuzz/$target" -o ".fuzz/$target" -t 10000 -m none -V "$seconds" -- dotnet "$out/customs-ledger-fuzz.dll" "$target" || true
stats=".fuzz/$target/default/fuzzer_stats"
if [ -f "$stats" ]; then
  grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg) ' "$stats"
fi
crashes=$(find ".fuzz/$target/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "crashes: $crashes (in .fuzz/$target/default/crashes)"
[ "$crashes" -eq 0 ]
