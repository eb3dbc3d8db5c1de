#!/usr/bin/env node
// Verification speed of the JavaScript verifier, in one process on one core (docs/PERFORMANCE.md):
//   node tools/bench.mjs --trust CA.pem DIR [--rounds N]
// Reads every *.json bundle of DIR into memory, parses the trust once, verifies all bundles once to warm up, then N
// rounds (default 3), and prints the mean time per bundle. Nothing is shared between bundles (no batch memo): each is
// verified as a page verifies one dropped file.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundle } from '../src/verifier/index.js';
import { loadTrust } from './trust-files.mjs';

const args = process.argv.slice(2);
const trustFiles = [];
let dir = null;
let rounds = 3;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--trust') trustFiles.push(args[++i]);
  else if (args[i] === '--rounds') rounds = Number(args[++i]);
  else dir = args[i];
}
if (!dir || trustFiles.length === 0 || !(rounds > 0)) {
  process.stderr.write('usage: bench.mjs --trust CA.pem [--trust F…] DIR [--rounds N]\n');
  process.exit(2);
}

const bundles = readdirSync(dir).filter((n) => n.endsWith('.json')).sort().map((n) => readFileSync(join(dir, n), 'utf8'));
const trust = loadTrust(trustFiles);
const verdicts = {};
for (const text of bundles) {
  const { verdict } = await verifyBundle(text, { trust });
  verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
}
const started = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) {
  for (const text of bundles) await verifyBundle(text, { trust });
}
const perBundleUs = Number(process.hrtime.bigint() - started) / 1000 / (rounds * bundles.length);
process.stdout.write(`${bundles.length} bundles × ${rounds} rounds: ${perBundleUs.toFixed(0)} µs per bundle (${Math.round(1e6 / perBundleUs)} bundles/s, one core); verdicts ${JSON.stringify(verdicts)}\n`);
