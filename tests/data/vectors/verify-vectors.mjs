// Independent check of canonical-merkle-v1.json, written from the format description alone (Node.js, no packages):
// re-encodes every leaf, re-hashes it with its salt, rebuilds each document root (RFC 9162), re-verifies the
// disclosure and every batch inclusion proof. Run: node tests/data/vectors/verify-vectors.mjs
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'canonical-merkle-v1.json');
const vectors = JSON.parse(readFileSync(file, 'utf8'));
const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const hex = (b) => Buffer.from(b).toString('hex');
const str = (s) => { const b = Buffer.from(s, 'utf8'); const len = Buffer.alloc(4); len.writeUInt32BE(b.length); return Buffer.concat([len, b]); };
const qualified = new Set(['Amount', 'Measure', 'DateTime']);

function encode(leaf) {
  const parts = [Buffer.from([vectors.typeTags[leaf.type]]), str(leaf.path), str(leaf.value)];
  if (qualified.has(leaf.type)) parts.push(str(leaf.qualifier ?? ''));
  return Buffer.concat(parts);
}
const leafHash = (leaf, salt) => sha256(Buffer.from([0]), Buffer.from(salt, 'hex'), encode(leaf));

// RFC 9162 section 2.1.1: MTH(D[n]) splits at the largest power of two smaller than n.
function mth(hashes) {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return sha256(Buffer.from([1]), mth(hashes.slice(0, k)), mth(hashes.slice(k)));
}

// RFC 9162 section 2.1.3.2.
function verifyInclusion(leaf, index, size, path, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path.map((h) => Buffer.from(h, 'hex'))) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
    } else {
      r = sha256(Buffer.from([1]), r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && hex(r) === hex(root);
}

let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.error(`FAIL ${what}`); } };

for (const doc of vectors.documents) {
  const hashes = doc.leaves.map((leaf, i) => {
    check(hex(encode(leaf)) === leaf.encoding, `${doc.name} leaf ${i} encoding`);
    const h = leafHash(leaf, leaf.salt);
    check(hex(h) === leaf.hash, `${doc.name} leaf ${i} hash`);
    return h;
  });
  check(hex(mth(hashes)) === doc.root, `${doc.name} root`);
  const disclosed = doc.disclosure.entries.map((e) => (e.hash ? Buffer.from(e.hash, 'hex') : leafHash(e, e.salt)));
  check(hex(mth(disclosed)) === doc.root, `${doc.name} disclosure root`);
  check(doc.disclosure.entries.every((e) => e.hash || e.type === 'Code'), `${doc.name} disclosure reveals only codes`);
}

const batchLeaves = vectors.batch.proofs.map((p) => sha256(Buffer.from([0]), Buffer.from(p.documentRoot, 'hex')));
check(hex(mth(batchLeaves)) === vectors.batch.root, 'batch root');
vectors.batch.proofs.forEach((p, i) => {
  check(p.documentRoot === vectors.documents[i].root, `batch document ${i} root`);
  check(verifyInclusion(batchLeaves[i], p.index, p.size, p.path, Buffer.from(vectors.batch.root, 'hex')), `batch proof ${i}`);
  const tampered = Buffer.from(batchLeaves[i]); tampered[0] ^= 1;
  check(!verifyInclusion(tampered, p.index, p.size, p.path, Buffer.from(vectors.batch.root, 'hex')), `batch proof ${i} rejects tampering`);
});

console.log(`vectors: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
