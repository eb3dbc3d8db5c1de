#!/usr/bin/env node
// Compares the JavaScript verifier's output (verify-cli.mjs --manifest, JSON lines) with the C# reports a corpus
// manifest carries ("csharp" per case): verdicts per check must agree; reasons are counted as identical or not.
//   node tools/verify-cli.mjs --manifest M > out.jsonl; node tools/compare-corpus.mjs M out.jsonl
import { readFileSync } from 'node:fs';

const [manifestPath, outPath] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const js = new Map(readFileSync(outPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r.file, r]));
let verdictMismatch = 0;
let reasonDiff = 0;
let checks = 0;
for (const c of manifest.cases) {
  const mine = js.get(c.file);
  if (!mine) {
    console.log(`${c.file}: missing from the JS output`);
    verdictMismatch++;
    continue;
  }
  const theirs = c.csharp;
  if (!theirs?.checks) continue;
  for (const t of theirs.checks) {
    checks++;
    const m = mine.checks?.find((x) => x.name === t.name);
    if (!m || m.verdict !== t.verdict) {
      verdictMismatch++;
      console.log(`${c.file} [${c.mutation}] ${t.name}: C# ${t.verdict} "${t.reason}"\n    JS ${m?.verdict} "${m?.reason}"`);
    } else if (m.reason !== t.reason) {
      reasonDiff++;
      if (process.env.SHOW_REASONS) console.log(`${c.file} [${c.mutation}] ${t.name} reason differs:\n    C# ${t.reason}\n    JS ${m.reason}`);
    }
  }
}
console.log(`${manifest.cases.length} cases, ${checks} checks: ${verdictMismatch} verdict mismatches, ${reasonDiff} reasons worded differently`);
process.exit(verdictMismatch === 0 ? 0 : 1);
