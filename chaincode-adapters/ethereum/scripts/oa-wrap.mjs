#!/usr/bin/env node
// Wraps raw OpenAttestation v2 documents with @govtechsg/open-attestation and prints the wrapped JSON to stdout.
//
//   node scripts/oa-wrap.mjs <raw-document.json>              one document: wrapDocument (targetHash = merkleRoot, proof [])
//   node scripts/oa-wrap.mjs <raw-1.json> <raw-2.json> ...    a batch: wrapDocuments, prints a JSON array (shared merkleRoot,
//                                                             one proof per document)
//
// Salts are random UUIDv4s (OA's own salting), so two runs never give the same hashes: compare with oa-digest.mjs.
// Exit codes: 0 wrapped; 1 the library refused the document (schema errors on stderr); 2 bad usage / unreadable file.
import fs from "node:fs";
import oa from "@govtechsg/open-attestation";

const files = process.argv.slice(2);
if (files.length === 0 || files.some((f) => f.startsWith("-"))) {
  console.error("usage: node scripts/oa-wrap.mjs <raw-document.json> [more-raw-documents.json ...]");
  process.exit(2);
}

let raws;
try {
  raws = files.map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
} catch (e) {
  console.error(`cannot read input: ${e.message}`);
  process.exit(2);
}

try {
  const wrapped = raws.length === 1 ? oa.wrapDocument(raws[0]) : oa.wrapDocuments(raws);
  process.stdout.write(JSON.stringify(wrapped, null, 2) + "\n");
} catch (e) {
  console.error(`wrap failed: ${e.message}`);
  if (e.validationErrors) console.error(JSON.stringify(e.validationErrors, null, 2));
  process.exit(1);
}
