#!/usr/bin/env node
// Measures OpenAttestation v2's own wrapDocuments and verifySignature rates on raw documents written by another program
// (the C# side), so both can be compared on the same input in one run.
//
//   node scripts/oa-throughput.mjs <input.ndjson> [--out result.json]
//
// Each non-blank line of the input is one raw (unwrapped) OA v2 document. Prints one JSON line to stdout (and to --out):
//   {"tool","version","documents","fieldsPerDocument","wrapSeconds","wrapPerSecond","verifySeconds","verifyPerSecond","peakRssMB"}
// fieldsPerDocument counts primitive values (strings, numbers, booleans, nulls): the units OA salts and hashes one by one.
// Progress goes to stderr. Exit codes: 0 measured; 1 unreadable file, malformed line, wrap refused or a document that
// does not verify; 2 bad usage.
import fs from "node:fs";
import readline from "node:readline";
import { createRequire } from "node:module";
import oa from "@govtechsg/open-attestation";

function usage(message) {
  if (message) console.error(message);
  console.error("usage: node scripts/oa-throughput.mjs <input.ndjson> [--out result.json]");
  process.exit(2);
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

let out;
const positional = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--out") out = i + 1 < argv.length ? argv[++i] : "";
  else if (a.startsWith("--out=")) out = a.slice("--out=".length);
  else if (a.startsWith("-")) usage(`unknown option ${a}`);
  else positional.push(a);
}
if (out !== undefined && (out === "" || out.startsWith("-"))) usage("--out needs a file name");
if (positional.length !== 1) usage("exactly one input file is required");
const input = positional[0];

// The version actually loaded, not the one package.json asks for.
const require = createRequire(import.meta.url);
const { version } = require("@govtechsg/open-attestation/package.json");

const countFields = (v) =>
  v !== null && typeof v === "object" ? Object.values(v).reduce((n, x) => n + countFields(x), 0) : 1;

// Read everything first: wrapDocuments builds one merkle tree over the whole batch, so it needs all documents at once.
const docs = [];
const lineOf = []; // input line number of each document (blank lines are skipped), for error messages
let fields = 0;
try {
  const rl = readline.createInterface({ input: fs.createReadStream(input), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === "") continue;
    let doc;
    try {
      doc = JSON.parse(line);
    } catch (e) {
      fail(`${input}:${lineNo}: malformed JSON: ${e.message}`);
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) fail(`${input}:${lineNo}: not a JSON object`);
    docs.push(doc);
    lineOf.push(lineNo);
    fields += countFields(doc);
  }
} catch (e) {
  fail(`cannot read ${input}: ${e.message}`);
}
if (docs.length === 0) fail(`${input}: no documents`);
console.error(`read ${docs.length} documents (${(fields / docs.length).toFixed(1)} fields each) from ${input}`);

// wrapDocuments validates every document against the v2 schema (there is no switch to turn that off in v2) and only
// says "Invalid document": on failure, wrap one by one to name the first offending line and its schema errors.
function wrapOrExplain(batch) {
  try {
    return oa.wrapDocuments(batch);
  } catch (e) {
    for (let i = 0; i < batch.length; i++) {
      try {
        oa.wrapDocument(batch[i]);
      } catch (inner) {
        console.error(`${input}:${lineOf[i]}: wrap refused: ${inner.message}`);
        if (inner.validationErrors) console.error(JSON.stringify(inner.validationErrors, null, 2));
        process.exit(1);
      }
    }
    fail(`wrap failed: ${e.message}`);
  }
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

// Warm-up on a small batch so JIT compilation and the lazily loaded schema are not timed.
wrapOrExplain(docs.slice(0, 100));
console.error(`wrapping ${docs.length} documents in one batch ...`);
let t0 = process.hrtime.bigint();
const wrapped = wrapOrExplain(docs);
const wrapSeconds = seconds(t0);
console.error(`wrapped in ${wrapSeconds.toFixed(3)} s`);

for (const w of wrapped.slice(0, 10)) oa.verifySignature(w); // warm-up
console.error(`verifying ${wrapped.length} documents ...`);
const failed = [];
t0 = process.hrtime.bigint();
for (let i = 0; i < wrapped.length; i++) if (!oa.verifySignature(wrapped[i])) failed.push(i);
const verifySeconds = seconds(t0);
console.error(`verified in ${verifySeconds.toFixed(3)} s`);
if (failed.length > 0) {
  const lines = failed.slice(0, 10).map((i) => lineOf[i]).join(", ");
  fail(`${failed.length} of ${wrapped.length} wrapped documents did not verify (input lines ${lines}${failed.length > 10 ? ", ..." : ""})`);
}

const round = (x, d) => Number(x.toFixed(d));
const result = {
  tool: "open-attestation",
  version,
  documents: docs.length,
  fieldsPerDocument: round(fields / docs.length, 1),
  wrapSeconds: round(wrapSeconds, 4),
  wrapPerSecond: round(docs.length / wrapSeconds, 1),
  verifySeconds: round(verifySeconds, 4),
  verifyPerSecond: round(docs.length / verifySeconds, 1),
  peakRssMB: round(process.resourceUsage().maxRSS / 1024, 1), // maxRSS is in kilobytes
};
const json = JSON.stringify(result);
process.stdout.write(json + "\n");
if (out !== undefined) {
  try {
    fs.writeFileSync(out, json + "\n");
  } catch (e) {
    fail(`cannot write ${out}: ${e.message}`);
  }
}
