#!/usr/bin/env node
// Compiles contracts/*.sol with the pinned solc-js (no download, no Hardhat) and writes artifacts/<Name>.json.
//
//   node scripts/compile.js           write artifacts/
//   node scripts/compile.js --check   compile in memory; exit 1 when artifacts/ differs (missing, stale or extra files)
//
// Output is deterministic: sources are keyed by their path relative to this folder ("contracts/X.sol"), so the
// metadata hash inside the bytecode does not depend on where the repository is checked out; JSON keys are written in
// a fixed order, 2-space indent, trailing newline.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const ROOT = path.resolve(__dirname, "..");
const CONTRACTS_DIR = path.join(ROOT, "contracts");
const ARTIFACTS_DIR = path.join(ROOT, "artifacts");

const SETTINGS = {
  evmVersion: "paris", // no PUSH0 (shanghai) or MCOPY/TSTORE (cancun): runs on Besu/Quorum/geth chains of any recent fork
  optimizer: { enabled: true, runs: 200 },
  metadata: { bytecodeHash: "ipfs" },
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

/** Recursively sorts object keys (arrays keep their order) so JSON.stringify is stable. */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

function readSources() {
  const files = fs
    .readdirSync(CONTRACTS_DIR)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  const sources = {};
  for (const f of files) {
    sources[`contracts/${f}`] = { content: fs.readFileSync(path.join(CONTRACTS_DIR, f), "utf8") };
  }
  return sources;
}

function findImport(importPath) {
  // Imports are resolved relative to this folder only; nothing is fetched.
  const full = path.resolve(ROOT, importPath);
  if (!full.startsWith(ROOT + path.sep) || !fs.existsSync(full)) return { error: `File not found: ${importPath}` };
  return { contents: fs.readFileSync(full, "utf8") };
}

/** Returns a Map of "<Name>.json" -> file text for every contract defined in contracts/*.sol. */
function compile() {
  const sources = readSources();
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));

  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write((e.formattedMessage || e.message) + "\n");
  if (errors.length > 0) throw new Error(`solc reported ${errors.length} error(s)`);

  const version = solc.version();
  const files = new Map();
  for (const sourceName of Object.keys(sources)) {
    const contracts = output.contracts[sourceName] || {};
    for (const contractName of Object.keys(contracts).sort()) {
      const c = contracts[contractName];
      const bytecode = c.evm.bytecode.object;
      if (!bytecode) continue; // interfaces and abstract contracts have no bytecode: no artifact
      if (files.has(`${contractName}.json`)) throw new Error(`Two contracts named ${contractName}`);
      // Fixed key order: contractName, sourceName, abi, bytecode, deployedBytecode, compiler.
      const artifact = {
        contractName,
        sourceName,
        abi: sortKeys(c.abi),
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
        compiler: {
          name: "solc-js",
          version,
          settings: sortKeys({
            evmVersion: SETTINGS.evmVersion,
            optimizer: SETTINGS.optimizer,
            metadata: SETTINGS.metadata,
          }),
        },
      };
      files.set(`${contractName}.json`, JSON.stringify(artifact, null, 2) + "\n");
    }
  }
  return files;
}

function main() {
  const check = process.argv.includes("--check");
  const files = compile();

  if (!check) {
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    for (const f of fs.readdirSync(ARTIFACTS_DIR)) {
      if (f.endsWith(".json") && !files.has(f)) fs.unlinkSync(path.join(ARTIFACTS_DIR, f));
    }
    for (const [name, text] of files) fs.writeFileSync(path.join(ARTIFACTS_DIR, name), text);
    console.log(`compiled with solc ${solc.version()}: ${[...files.keys()].join(", ")}`);
    return;
  }

  const problems = [];
  const existing = fs.existsSync(ARTIFACTS_DIR) ? fs.readdirSync(ARTIFACTS_DIR).filter((f) => f.endsWith(".json")) : [];
  for (const [name, text] of files) {
    const p = path.join(ARTIFACTS_DIR, name);
    if (!fs.existsSync(p)) problems.push(`missing: artifacts/${name}`);
    else if (fs.readFileSync(p, "utf8") !== text) problems.push(`differs: artifacts/${name}`);
  }
  for (const f of existing) if (!files.has(f)) problems.push(`extra: artifacts/${f}`);

  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error("artifacts are out of date: run `npm run compile` and commit artifacts/");
    process.exit(1);
  }
  console.log(`artifacts up to date (solc ${solc.version()}): ${[...files.keys()].join(", ")}`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e.message || e);
    process.exit(2);
  }
}

module.exports = { compile };
