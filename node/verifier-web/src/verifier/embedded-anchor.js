// Embedded-ledger anchors, verified offline from the anchor's proof JSON alone (WIRE-FORMATS.md #5): the proof is
// parsed strictly, the block hash recomputed from its header, the block signature checked under a trusted ledger key,
// the payload parsed against the block's kind and subject (and the issuer signature it records, when the issuer is not
// the ledger key), and the anchor receipt's ledger id, reference, height and timestamp must be the block's.
// It does not show that the block is still part of the ledger's chain: that takes the ledger itself.
import { parseJson, int64Of, JsonError } from './json.js';
import { fromHex, fromBase64, toHex, utf8, utf8Decode, concat, frame, i64be, equal, asciiLower } from './bytes.js';
import { sha256 } from './hash.js';
import { parsePublicKey, parseSignature, verify as verifySecp, compressed } from './secp256k1.js';
import { revocationDigest } from './formats.js';

export const LEDGER_ID_PREFIX = 'embedded:';
export const BLOCK_DOMAIN = 'customs-ledger/embedded-block/1';
/** Largest proof accepted (a 16 MiB payload in base64 plus the header fields). */
export const MAX_PROOF_BYTES = 24 * 1024 * 1024;
const MAX_TIMESTAMP_MS = 253402300799999n;

/** Thrown where the C# verifier throws (a revocation payload's reason code that is not a reason code). */
export class CheckAborted extends Error {}

export const canVerifyEmbedded = (ledgerId) => typeof ledgerId === 'string' && ledgerId.startsWith(LEDGER_ID_PREFIX);

/** Block hash: SHA-256 of the header built from the proof's fields. */
export function blockHash({ ledgerId, height, prevHash, timestampMs, kind, subject, payloadDigest }) {
  return sha256(concat(frame(utf8(BLOCK_DOMAIN)), frame(utf8(ledgerId)), i64be(height), prevHash, i64be(timestampMs), frame(utf8(kind)), frame(subject), payloadDigest));
}

const getString = (obj, name) => (obj.has(name) && typeof obj.get(name) === 'string' ? obj.get(name) : null);

function getHex(obj, name, length) {
  const s = getString(obj, name);
  if (s === null || s.length !== length * 2) return null;
  return fromHex(s);
}

const getInt64 = (obj, name) => (obj.has(name) ? int64Of(obj.get(name)) : null);

/** EmbeddedBlock.TryParseProof: { block } or { error }. */
export function parseProof(bytes) {
  const text = utf8Decode(bytes);
  let root;
  try {
    if (text === null) throw new JsonError('invalid UTF-8');
    root = parseJson(text, { maxDepth: 4, duplicates: 'refuse' });
  } catch {
    return { error: 'the proof is not valid JSON' };
  }
  if (!(root instanceof Map)) return { error: 'the proof is not a JSON object' };
  if (getString(root, 'format') !== BLOCK_DOMAIN) return { error: `the proof format is not '${BLOCK_DOMAIN}'` };
  const ledgerId = getString(root, 'ledgerId');
  if (ledgerId === null) return { error: 'the proof has no ledger id' };
  const ledgerKey = getHex(root, 'ledgerKey', 33);
  if (!ledgerKey) return { error: "the proof's ledger key is not 33 bytes of hex" };
  const height = getInt64(root, 'height');
  if (height === null || height < 0n) return { error: "the proof's height is not a non-negative integer" };
  const prevHash = getHex(root, 'prevHash', 32);
  if (!prevHash) return { error: "the proof's previous hash is not 32 bytes of hex" };
  const timestampMs = getInt64(root, 'timestampMs');
  if (timestampMs === null || timestampMs < 0n || timestampMs > MAX_TIMESTAMP_MS) return { error: "the proof's timestamp is not a valid Unix time in milliseconds" };
  const kind = getString(root, 'kind');
  if (kind === null) return { error: 'the proof has no block kind' };
  const subjectHex = getString(root, 'subject');
  const subject = subjectHex !== null && subjectHex.length >= 1 && subjectHex.length <= 256 ? fromHex(subjectHex) : null;
  if (!subject) return { error: "the proof's subject is not hex" };
  let payload = null;
  let payloadDigest = null;
  if (root.has('payloadSha256')) {
    payloadDigest = root.has('payload') || kind !== 'anchor' ? null : getHex(root, 'payloadSha256', 32);
    if (!payloadDigest) return { error: "the proof's payloadSha256 is not 32 bytes of hex, or is given with a payload or for a block that is not an anchor" };
  } else {
    // System.Text.Json's TryGetBytesFromBase64: strict standard base64, no whitespace.
    const p = getString(root, 'payload');
    payload = p !== null && !/\s/.test(p) ? fromBase64(p) : null;
    if (!payload) return { error: "the proof's payload is not base64" };
  }
  const hash = getHex(root, 'hash', 32);
  if (!hash) return { error: "the proof's block hash is not 32 bytes of hex" };
  const signature = getHex(root, 'signature', 65);
  if (!signature) return { error: "the proof's signature is not 65 bytes of hex" };
  return {
    block: { ledgerId, ledgerKey, height, prevHash, timestampMs, kind, subject, payload, payloadDigest, hash, signature, digestOnly: payloadDigest !== null },
  };
}

/** BlockCodec.TryParsePayload for the kinds an anchor can cite (anchor, revoke): { payload } or { error }. */
export function parsePayload(kind, subject, bytes) {
  const text = utf8Decode(bytes);
  let root;
  try {
    if (text === null) throw new JsonError('invalid UTF-8');
    root = parseJson(text, { maxDepth: 64, duplicates: 'refuse' });
  } catch {
    return { error: 'the payload is not valid JSON' };
  }
  if (!(root instanceof Map)) return { error: 'the payload is not a JSON object' };
  if (getString(root, 'type') !== kind) return { error: `the payload type does not match the block kind '${kind}'` };
  if (kind === 'anchor') {
    const batchRoot = getHex(root, 'batchRoot', 32);
    const ok = batchRoot && getInt64(root, 'documentCount') !== null;
    const issuerKey = ok ? getHex(root, 'issuerKey', 33) : null;
    const issuerSignature = issuerKey ? getHex(root, 'issuerSignature', 65) : null;
    if (!issuerSignature || !Array.isArray(root.get('records'))) return { error: 'the anchor payload is malformed' };
    if (!equal(subject, batchRoot)) return { error: "the anchor payload's batch root is not the block subject" };
    return { payload: { kind, key: issuerKey, issuerSignature, batchRoot, records: root.get('records') } };
  }
  if (kind === 'revoke') {
    const documentRoot = getHex(root, 'documentRoot', 32);
    const batchRoot = documentRoot ? getHex(root, 'batchRoot', 32) : null;
    const reasonCode = batchRoot ? getString(root, 'reasonCode') : null;
    const issuerKey = reasonCode !== null ? getHex(root, 'issuerKey', 33) : null;
    const issuerSignature = issuerKey ? getHex(root, 'issuerSignature', 65) : null;
    if (!issuerSignature) return { error: 'the revocation payload is malformed' };
    if (!equal(subject, documentRoot)) return { error: "the revocation payload's document root is not the block subject" };
    return { payload: { kind, key: issuerKey, issuerSignature, batchRoot, documentRoot, reasonCode } };
  }
  return { error: `unknown block kind '${kind}'` };
}

/** The issuer signature a payload records; null when it verifies, else why not. */
function checkIssuerSignature(payload) {
  const issuer = parsePublicKey(payload.key);
  if (!issuer) return 'the issuer key in the payload is not a valid secp256k1 key';
  const sig = parseSignature(payload.issuerSignature);
  if (!sig) return 'the issuer signature in the payload is malformed';
  let digest = payload.batchRoot;
  if (payload.kind === 'revoke') {
    digest = revocationDigest(payload.documentRoot, payload.reasonCode ?? '');
    if (digest === null) throw new CheckAborted('ArgumentException (the revocation payload\'s reason code is not a reason code)');
  }
  return verifySecp(issuer, digest, sig) ? null : 'the issuer signature in the payload does not verify';
}

function isTrusted(ledgerKeyPoint, ledgerKeyBytes, trustedKeys) {
  for (const candidate of trustedKeys) {
    if (!candidate) continue;
    if (candidate.length === ledgerKeyBytes.length) {
      if (equal(candidate, ledgerKeyBytes)) return true;
    } else {
      const p = parsePublicKey(candidate);
      if (p && p.equals(ledgerKeyPoint)) return true;
    }
  }
  return false;
}

/**
 * Verifies an anchor receipt { ledgerId, reference, height, timestampMs, proof } of `anchoredRoot`, written by one of
 * `trustedKeys` (byte arrays). Returns { valid, reason, timestampMs? }. Throws CheckAborted where the C# throws.
 */
export function verifyEmbeddedAnchor(receipt, anchoredRoot, trustedKeys) {
  const fail = (reason) => ({ valid: false, reason });
  if (!canVerifyEmbedded(receipt.ledgerId)) return fail(`not an embedded-ledger receipt (ledger ids start with '${LEDGER_ID_PREFIX}')`);
  if (!anchoredRoot || anchoredRoot.length !== 32) return fail(`the anchored root must be 32 bytes (got ${anchoredRoot ? anchoredRoot.length : 0})`);
  if (!receipt.proof || receipt.proof.length === 0) return fail('the receipt has no proof');
  if (receipt.proof.length > MAX_PROOF_BYTES) return fail(`the proof exceeds ${MAX_PROOF_BYTES} bytes`);
  const parsed = parseProof(receipt.proof);
  if (parsed.error) return fail(`malformed proof: ${parsed.error}`);
  const block = parsed.block;
  if (block.kind !== 'anchor' && block.kind !== 'revoke') return fail(`a '${block.kind}' block anchors nothing`);
  if (block.height < 1n) return fail('an anchor or revocation block cannot be at height 0');
  let computed;
  try {
    computed = blockHash({ ...block, payloadDigest: block.digestOnly ? block.payloadDigest : sha256(block.payload) });
  } catch {
    throw new CheckAborted('EncoderFallbackException');
  }
  if (!equal(computed, block.hash)) return fail("the block hash does not match the block's contents");
  const keyPoint = parsePublicKey(block.ledgerKey);
  if (!keyPoint || block.ledgerKey.length !== 33) return fail("the proof's ledger key is not a valid secp256k1 key");
  const keyHex = toHex(compressed(keyPoint));
  if (!isTrusted(keyPoint, block.ledgerKey, trustedKeys)) return fail(`the ledger key ${keyHex} is not a trusted ledger key`);
  const sig = parseSignature(block.signature);
  if (!sig || !verifySecp(keyPoint, block.hash, sig)) return fail("the block signature does not verify under the block's ledger key");
  if (!block.digestOnly) {
    const p = parsePayload(block.kind, block.subject, block.payload);
    if (p.error) return fail(p.error);
    if (!equal(p.payload.key, block.ledgerKey)) {
      const bad = checkIssuerSignature(p.payload);
      if (bad) return fail(bad);
    }
  }
  if (!equal(anchoredRoot, block.subject)) return fail("the block's subject is not the anchored root");
  if (receipt.ledgerId !== block.ledgerId) return fail("the receipt's ledger id is not the block's");
  if (asciiLower(receipt.reference ?? '') !== toHex(block.hash)) return fail("the receipt's reference is not the block hash");
  if (BigInt(receipt.height) !== block.height) return fail("the receipt's height is not the block's");
  if (BigInt(receipt.timestampMs) !== block.timestampMs) return fail("the receipt's timestamp is not the block's");
  const what = block.kind === 'anchor' ? 'batch anchored' : 'document revoked';
  return { valid: true, reason: `${what} at height ${block.height} of ${block.ledgerId}, signed by trusted ledger key ${keyHex}` };
}
