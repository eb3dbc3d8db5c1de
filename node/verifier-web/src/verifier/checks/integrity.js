// Check 1, integrity (WIRE-FORMATS.md #1): version 2; the leaves (disclosed: encoding + salt; hidden: the hash as
// given) hash to the document root by RFC 9162; leaves 0 and 1 are `$canon` and `$profile`, whose value is the stated
// profile.
import { VALID, INVALID } from '../report.js';
import { saltedLeafHash } from '../formats.js';
import { computeRoot } from '../merkle.js';
import { equal } from '../bytes.js';

export const BUNDLE_VERSION = 2;

/** The leaf hashes, or null when an entry is malformed (salt or hash not 32 bytes). Throws on invalid UTF-16. */
export function leafHashes(leaves) {
  const hashes = [];
  for (const l of leaves) {
    if (l.disclosed) {
      if (l.disclosed.salt.length !== 32) return null;
      hashes.push(saltedLeafHash(l.disclosed, l.disclosed.salt));
    } else {
      if (l.hidden.length !== 32) return null;
      hashes.push(l.hidden);
    }
  }
  return hashes;
}

export function integrity(b) {
  if (b.version !== BUNDLE_VERSION) {
    return [INVALID, `version ${b.version} is not a bundle version this verifier reads (version ${BUNDLE_VERSION}; version 1 bundles bind neither the document id nor the status: ask the issuer for a new bundle)`];
  }
  if (b.documentRoot.length !== 32) return [INVALID, 'document root is not 32 bytes'];
  const hashes = b.leaves.length === 0 ? null : leafHashes(b.leaves);
  if (hashes === null) return [INVALID, 'a leaf entry is malformed (salt or hash not 32 bytes)'];
  const root = computeRoot(hashes);
  const header = b.leaves.length >= 2 && b.leaves[0].disclosed?.path === '$canon' && b.leaves[1].disclosed?.path === '$profile' && b.leaves[1].disclosed.value === b.profile;
  if (!equal(root, b.documentRoot) || !header) {
    return [INVALID, 'the leaves do not hash to the document root: a value, salt, path, type, order or hidden hash was changed'];
  }
  const shown = b.leaves.filter((l) => l.disclosed).length - 2;
  const total = b.leaves.length - 2;
  return [VALID, `${total} leaves hash to the document root (${shown} disclosed, ${total - shown} hidden)`];
}
