// secp256k1 recoverable signatures as the project uses them (WIRE-FORMATS.md Conventions): 65 bytes r ‖ s ‖ v, v in
// {0, 1, 27, 28}; the 32-byte digest is signed as is; r, s in [1, n−1], s ≤ n/2 (low-S) and the recovery id must
// match, so each (key, digest) has exactly one accepted signature (modulo the 0/27, 1/28 spelling of v).
import { secp256k1 } from '@noble/curves/secp256k1.js';

const N = secp256k1.Point.Fn.ORDER;
const HALF_N = N >> 1n;

function bigintOf(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Parses r ‖ s ‖ v; null unless 65 bytes with v in {0, 1, 27, 28}. */
export function parseSignature(bytes) {
  if (!bytes || bytes.length !== 65) return null;
  const v = bytes[64];
  const recovery = v === 0 || v === 27 ? 0 : v === 1 || v === 28 ? 1 : -1;
  if (recovery < 0) return null;
  return { r: bigintOf(bytes.subarray(0, 32)), s: bigintOf(bytes.subarray(32, 64)), recovery };
}

/** Parses a SEC1 public key (33-byte compressed or 65-byte uncompressed); null when not a point on the curve. */
export function parsePublicKey(bytes) {
  if (!bytes || !((bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3)) || (bytes.length === 65 && bytes[0] === 4))) return null;
  try {
    const p = secp256k1.Point.fromBytes(bytes);
    p.assertValidity();
    return p;
  } catch {
    return null;
  }
}

/** The public key (a Point) that produced `sig` over the 32-byte `digest`, under the strict rules; null otherwise. */
export function recover(digest, sig) {
  if (!sig || !digest || digest.length !== 32) return null;
  if (sig.r < 1n || sig.r >= N || sig.s < 1n || sig.s >= N || sig.s > HALF_N) return null;
  try {
    return new secp256k1.Signature(sig.r, sig.s, sig.recovery).recoverPublicKey(digest);
  } catch {
    return null;
  }
}

/** True when `sig` (parsed) is `key`'s (a Point) signature over `digest`, strictly. */
export function verify(key, digest, sig) {
  const q = recover(digest, sig);
  return q !== null && key !== null && q.equals(key);
}

/** 33-byte compressed encoding of a Point. */
export function compressed(point) {
  return point.toBytes(true);
}

/** 65-byte uncompressed encoding of a Point. */
export function uncompressed(point) {
  return point.toBytes(false);
}
