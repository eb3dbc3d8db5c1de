// RFC 9162 Merkle trees (WIRE-FORMATS.md #1, #3, #7): leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ l ‖ r); an odd
// last node is promoted unchanged, which equals RFC 9162's split at the largest power of two.
import { sha256 } from './hash.js';
import { concat, equal } from './bytes.js';

export const HASH_SIZE = 32;

export function leafHash(data) {
  return sha256(concat(Uint8Array.of(0), data));
}

export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** Root of a non-empty list of 32-byte leaf hashes. */
export function computeRoot(hashes) {
  if (hashes.length === 0) throw new Error('a tree has at least one leaf');
  let level = hashes;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/** Audit path of leaf `index` (sibling hashes, leaf to root): for tests and tools. */
export function inclusionProof(hashes, index) {
  const path = [];
  let level = hashes;
  let i = index;
  while (level.length > 1) {
    const sibling = i ^ 1;
    if (sibling < level.length) path.push(level[sibling]);
    const next = [];
    for (let k = 0; k + 1 < level.length; k += 2) next.push(nodeHash(level[k], level[k + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
    i >>= 1;
  }
  return path;
}

/**
 * RFC 9162 §2.1.3.2: is `leaf` (a 32-byte leaf hash) leaf `index` of a tree of `size` leaves with root `root`?
 * index/size are BigInt or number; every path entry must be 32 bytes and the path fully consumed. Never throws.
 */
export function verifyInclusion(leaf, index, size, path, root) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn < 0n || sn < 0n || fn > sn || !leaf || leaf.length !== HASH_SIZE || !root || root.length !== HASH_SIZE || !Array.isArray(path)) {
    return false;
  }
  let r = leaf;
  for (const p of path) {
    if (sn === 0n || !p || p.length !== HASH_SIZE) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}
