// The published canonical-form vectors (tests/data/vectors/canonical-merkle-v1.json): leaf encodings, salted leaf
// hashes, document roots, a selective disclosure and a batch tree with RFC 9162 inclusion proofs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeLeaf, saltedLeafHash } from '../src/verifier/formats.js';
import { computeRoot, leafHash, verifyInclusion, inclusionProof } from '../src/verifier/merkle.js';
import { fromHex, toHex } from '../src/verifier/bytes.js';
import { LEAF_TYPES } from '../src/verifier/dotnet-enum.js';

const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('../../../tests/data/vectors/canonical-merkle-v1.json', import.meta.url)), 'utf8'));
const leafOf = (l) => ({ type: LEAF_TYPES.indexOf(l.type), path: l.path, value: l.value, qualifier: l.qualifier ?? null });

test('type tags are the ones the verifier uses', () => {
  for (const [name, tag] of Object.entries(vectors.typeTags)) assert.equal(LEAF_TYPES.indexOf(name), tag);
});

for (const doc of vectors.documents) {
  test(`${doc.name}: leaf encodings, leaf hashes and the document root`, () => {
    const hashes = doc.leaves.map((l) => {
      assert.equal(toHex(encodeLeaf(leafOf(l))), l.encoding, l.path);
      const h = saltedLeafHash(leafOf(l), fromHex(l.salt));
      assert.equal(toHex(h), l.hash, l.path);
      return h;
    });
    assert.equal(toHex(computeRoot(hashes)), doc.root);
    assert.equal(doc.leaves[0].path, '$canon');
    assert.equal(doc.leaves[1].path, '$profile');
    assert.equal(doc.leaves[1].value, doc.profile);
  });

  test(`${doc.name}: the disclosure recomputes the same root`, () => {
    const hashes = doc.disclosure.entries.map((e) => (e.hash ? fromHex(e.hash) : saltedLeafHash(leafOf(e), fromHex(e.salt))));
    assert.ok(doc.disclosure.entries.some((e) => e.hash), 'some leaves are hidden');
    assert.equal(toHex(computeRoot(hashes)), doc.root);
    // Changing one disclosed value changes the root.
    const i = doc.disclosure.entries.findIndex((e, k) => k > 1 && !e.hash);
    const edited = hashes.slice();
    edited[i] = saltedLeafHash({ ...leafOf(doc.disclosure.entries[i]), value: doc.disclosure.entries[i].value + 'x' }, fromHex(doc.disclosure.entries[i].salt));
    assert.notEqual(toHex(computeRoot(edited)), doc.root);
  });
}

test('batch tree (format 1 leaves over document roots): root and every inclusion proof', () => {
  const leaves = vectors.batch.proofs.map((p) => leafHash(fromHex(p.documentRoot)));
  assert.equal(toHex(computeRoot(leaves)), vectors.batch.root);
  for (const p of vectors.batch.proofs) {
    const path = p.path.map(fromHex);
    assert.ok(verifyInclusion(leafHash(fromHex(p.documentRoot)), p.index, p.size, path, fromHex(vectors.batch.root)), `proof ${p.index}`);
    assert.deepEqual(inclusionProof(leaves, p.index).map(toHex), p.path);
    // Wrong index, a smaller size, a truncated or extended path: refused.
    assert.equal(verifyInclusion(leafHash(fromHex(p.documentRoot)), (p.index + 1) % p.size, p.size, path, fromHex(vectors.batch.root)), false);
    // (A larger size can share the audit path's shape — RFC 9162 binds size only through the path — so test a smaller one.)
    assert.equal(verifyInclusion(leafHash(fromHex(p.documentRoot)), p.index, p.size - 1, path, fromHex(vectors.batch.root)), false);
    assert.equal(verifyInclusion(leafHash(fromHex(p.documentRoot)), p.index, p.size, path.slice(1), fromHex(vectors.batch.root)), false);
    assert.equal(verifyInclusion(leafHash(fromHex(p.documentRoot)), p.index, p.size, [...path, path[0]], fromHex(vectors.batch.root)), false);
  }
});

test('RFC 9162 trees of every size up to 33: every proof verifies, odd nodes promoted', () => {
  for (let n = 1; n <= 33; n++) {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(i)));
    const root = computeRoot(leaves);
    for (let i = 0; i < n; i++) assert.ok(verifyInclusion(leaves[i], i, n, inclusionProof(leaves, i), root), `${i}/${n}`);
  }
});
