#!/usr/bin/env node
// Recomputes, with @govtechsg/open-attestation's own functions, the hashes of a WRAPPED OpenAttestation v2 document,
// so another implementation (the C# node) can compare its own computation with the library's on the same document.
//
//   node scripts/oa-digest.mjs <wrapped-document.json>
//
// Prints { targetHash, merkleRootFromProof, documentTargetHash, documentMerkleRoot, signatureValid } (hex, no 0x):
//   targetHash           digestDocument(document)  (salted data + privacy.obfuscatedData)
//   merkleRootFromProof  signature.proof folded onto the computed targetHash with utils.combineHashString
//   documentTargetHash   signature.targetHash as written in the document
//   documentMerkleRoot   signature.merkleRoot as written in the document
//   signatureValid       verifySignature(document): targetHash and merkle proof both match
// Exit codes: 0 printed; 2 bad usage, unreadable file or not a wrapped v2 document.
import fs from "node:fs";
import oa from "@govtechsg/open-attestation";

const args = process.argv.slice(2);
if (args.length !== 1 || args[0].startsWith("-")) {
  console.error("usage: node scripts/oa-digest.mjs <wrapped-document.json>");
  process.exit(2);
}

let doc;
try {
  doc = JSON.parse(fs.readFileSync(args[0], "utf8"));
} catch (e) {
  console.error(`cannot read input: ${e.message}`);
  process.exit(2);
}
if (!doc || typeof doc !== "object" || !doc.signature || typeof doc.data !== "object" || doc.data === null) {
  console.error("not a wrapped OpenAttestation v2 document (needs data and signature)");
  process.exit(2);
}

const targetHash = oa.digestDocument(doc);
const proof = Array.isArray(doc.signature.proof) ? doc.signature.proof : [];
const merkleRootFromProof = proof.reduce((acc, sibling) => oa.utils.combineHashString(acc, sibling), targetHash);

const result = {
  targetHash,
  merkleRootFromProof,
  documentTargetHash: doc.signature.targetHash ?? null,
  documentMerkleRoot: doc.signature.merkleRoot ?? null,
  signatureValid: oa.verifySignature(doc),
};
process.stdout.write(JSON.stringify(result, null, 2) + "\n");
