#!/usr/bin/env node
// Command-line front end of the JavaScript verifier, for the differential test against the C# CLI.
//   node tools/verify-cli.mjs --trust F1 [F2…] [--now ISO] [--max-status-age-ms N] [--require-ledger ID…] [--rpc URL] BUNDLE_OR_DIR…
// (--rpc: an Ethereum JSON-RPC endpoint; eip155 anchors and revocations are then checked on the chain, as the C# CLI's --rpc)
//   node tools/verify-cli.mjs --manifest DIR/manifest.json [--now ISO] [--max-status-age-ms N]
// Prints one JSON line per bundle: { "file", "verdict", "checks": [{ "name", "verdict", "reason" }] }.
// Trust files are read as the C# CLI reads them: PEM or trust-list files, plus every *.crl.pem and *.crl beside them.
// Exit code: 0 all VALID, 1 otherwise, 2 bad usage or unreadable trust.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { verifyBundle, jsonRpcOverHttp } from '../src/verifier/index.js';
import { loadTrust } from './trust-files.mjs';

function usage(message) {
  process.stderr.write(`${message}\nusage: verify-cli.mjs --trust F… [--now ISO] [--max-status-age-ms N] BUNDLE_OR_DIR…\n       verify-cli.mjs --manifest DIR/manifest.json [--now ISO]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const trustFiles = [];
const inputs = [];
const required = [];
let now = null;
let maxStatusAgeMs = null;
let manifest = null;
let rpc = null;
let listMode = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--trust') listMode = trustFiles;
  else if (a === '--require-ledger') listMode = required;
  else if (a === '--now') {
    now = new Date(args[++i]);
    if (Number.isNaN(now.getTime())) usage(`--now: '${args[i]}' is not a date`);
    listMode = null;
  } else if (a === '--max-status-age-ms') {
    maxStatusAgeMs = Number(args[++i]);
    if (!(maxStatusAgeMs > 0)) usage('--max-status-age-ms takes a positive number');
    listMode = null;
  } else if (a === '--rpc') {
    rpc = args[++i];
    if (!/^https?:\/\//.test(rpc ?? '')) usage('--rpc takes an http(s) URL');
    listMode = null;
  } else if (a === '--manifest') {
    manifest = args[++i];
    listMode = null;
  } else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else if (listMode) listMode.push(a);
  else inputs.push(a);
}
// `--trust` takes several values, so `--trust ca.pem bundle.json dir/` is ambiguous: a .json file that is not a DSSE
// trust list, and a folder, are bundle inputs.
if (listMode === trustFiles && inputs.length === 0) {
  while (trustFiles.length > 1 && /\.json$/i.test(trustFiles[trustFiles.length - 1]) && !isTrustList(trustFiles[trustFiles.length - 1])) {
    inputs.unshift(trustFiles.pop());
  }
}
if (listMode === trustFiles && inputs.length === 0) {
  // `--trust A B C`: every path that is a directory or a non-trust-list .json is a bundle input.
  for (let i = trustFiles.length - 1; i >= 0; i--) {
    const f = trustFiles[i];
    if (existsSync(f) && statSync(f).isDirectory()) inputs.unshift(...trustFiles.splice(i, 1));
  }
}

function isTrustList(path) {
  try {
    return readFileSync(path, 'utf8').includes('application/vnd.customs-ledger.trust-list+json');
  } catch {
    return false;
  }
}

function expand(paths) {
  const out = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).filter((n) => n.endsWith('.json')).sort()) out.push(join(p, name));
    } else out.push(p);
  }
  return out;
}

let files;
if (manifest) {
  const m = JSON.parse(readFileSync(manifest, 'utf8'));
  const base = dirname(resolve(manifest));
  trustFiles.push(...(m.trust ?? []).map((t) => join(base, t)));
  // A case may name its own policy: "trust" (its own trust files; [] = none) and "maxStatusAgeMs".
  files = (m.cases ?? []).map((c) => ({
    path: join(base, c.file),
    name: c.file,
    trust: Array.isArray(c.trust) ? c.trust.map((t) => join(base, t)) : undefined,
    maxStatusAgeMs: typeof c.maxStatusAgeMs === 'number' ? c.maxStatusAgeMs : undefined,
  }));
  if (!now && m.now) now = new Date(m.now); // fixture manifests pin the instant their certificates and CRLs are current
} else {
  if (inputs.length === 0) usage('no bundle given');
  files = expand(inputs).map((p) => ({ path: p, name: p }));
}

now ??= new Date();
let trust;
try {
  trust = loadTrust(trustFiles);
} catch (e) {
  process.stderr.write(`cannot use the trust anchors: ${e.message}\n`);
  process.exit(2);
}

// Per-case trust files of a manifest, each set loaded once.
const trustSets = new Map();
function trustOf(paths) {
  const key = JSON.stringify(paths);
  if (!trustSets.has(key)) trustSets.set(key, loadTrust(paths));
  return trustSets.get(key);
}

let allValid = files.length > 0;
for (const f of files) {
  let text;
  try {
    text = readFileSync(f.path, 'utf8');
  } catch (e) {
    process.stdout.write(JSON.stringify({ file: f.name, verdict: 'UNREADABLE', error: e.message }) + '\n');
    allValid = false;
    continue;
  }
  const report = await verifyBundle(text, {
    trust: f.trust === undefined ? trust : trustOf(f.trust),
    now,
    maxStatusAgeMs: f.maxStatusAgeMs ?? maxStatusAgeMs,
    requiredLedgers: required,
    ethereumRpc: rpc ? jsonRpcOverHttp(rpc) : undefined,
  });
  if (report.verdict !== 'VALID') allValid = false;
  process.stdout.write(JSON.stringify({ file: f.name, verdict: report.verdict, checks: report.checks }) + '\n');
}
// exitCode, not exit(): exit() would cut off stdout still queued for a pipe (64 KiB), i.e. most reports of a corpus.
process.exitCode = allValid ? 0 : 1;
