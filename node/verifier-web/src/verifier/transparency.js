// Embedded ledgers as witnessed transparency logs (docs/WIRE-FORMATS.md #19, docs/WITNESSING.md): an embedded anchor may
// carry its block's place in its ledger's log — a C2SP signed note holding a C2SP tlog-checkpoint, signed by the log's
// Ed25519 key and cosigned (cosignature/v1) by witnesses, the RFC 9162 audit path of the block hash (entry = block
// height), and the ledger key's secp256k1 signature binding the log key. The consortium trust list may carry a witness
// policy (witness keys, required cosignatures, optionally the log keys).
//
// The rules and reasons are those of the C# Customs.Ledger.Transparency (Checkpoint, SignedNote, NoteKey,
// NoteKeyBinding, WitnessPolicy, LogInclusionCheck), so that reports compare word for word.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from './hash.js';
import { fromHex, fromBase64, toBase64, concat, frame, utf8, readU32be } from './bytes.js';
import { parseSignature, recover, compressed } from './secp256k1.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { VALID, INVALID, UNVERIFIED } from './report.js';

/** Signature algorithm bytes of a signed-note verifier key. */
export const ALG_ED25519 = 0x01;
export const ALG_COSIGNATURE = 0x04;
/** Longest origin / key name. */
export const MAX_ORIGIN_LENGTH = 256;
/** Largest signed note (UTF-8 bytes) and most signature lines. */
export const MAX_NOTE_BYTES = 64 * 1024;
export const MAX_SIGNATURES = 64;
/** Most witness or log keys a policy names. */
export const MAX_POLICY_KEYS = 64;
/** Most hashes an anchor's log path may hold (BundleMapping refuses the bundle beyond). */
export const MAX_LOG_PATH = 128;
export const NOTE_KEY_DOMAIN = 'customs-ledger/note-key/1';
const DASH = '\u2014';
const EMBEDDED_PREFIX = 'embedded:';
const INT64_MAX = 2n ** 63n - 1n;

// Encoding.UTF8 (not throwing: a lone surrogate becomes U+FFFD, as TextEncoder does).
const lenientUtf8 = new TextEncoder();

/** The origin of an embedded ledger's log (`embedded:<name>` → `customs-ledger/embedded/<name>`), or null. */
export function logOrigin(ledgerId) {
  return typeof ledgerId === 'string' && ledgerId.startsWith(EMBEDDED_PREFIX) && ledgerId.length > EMBEDDED_PREFIX.length
    ? 'customs-ledger/embedded/' + ledgerId.slice(EMBEDDED_PREFIX.length)
    : null;
}

/** 1 to 256 printable ASCII characters without space or '+' (an origin, a key name). */
export function isValidOrigin(s) {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_ORIGIN_LENGTH) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x2b) return false;
  }
  return true;
}

const isAsciiDigits = (s) => /^[0-9]+$/.test(s);

/**
 * Parses a checkpoint note text strictly: `<origin>\n<size>\n<base64 root>\n` and non-empty extension lines.
 * Returns { checkpoint: { origin, size (BigInt), root, extensions } } or { error }.
 */
export function parseCheckpoint(text) {
  if (typeof text !== 'string' || text.length === 0 || text[text.length - 1] !== '\n') return { error: 'a checkpoint is lines ending in a newline' };
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return { error: 'a checkpoint has an origin, a size and a root line' };
  if (!isValidOrigin(lines[0])) return { error: "the checkpoint origin is empty, too long or holds a space or '+'" };
  const sizeText = lines[1];
  if (sizeText.length === 0 || sizeText.length > 19 || !isAsciiDigits(sizeText) || (sizeText.length > 1 && sizeText[0] === '0') || BigInt(sizeText) > INT64_MAX) {
    return { error: 'the checkpoint size is not a decimal number without leading zeros' };
  }
  const root = lines[2].length === 44 ? fromBase64(lines[2]) : null;
  if (!root || root.length !== 32 || toBase64(root) !== lines[2]) return { error: 'the checkpoint root is not 32 bytes of canonical base64' };
  const extensions = lines.slice(3);
  if (extensions.some((l) => l.length === 0)) return { error: 'a checkpoint extension line is empty' };
  return { checkpoint: { origin: lines[0], size: BigInt(sizeText), root, extensions } };
}

/**
 * Parses a C2SP signed note (signatures not verified): split at the last blank line into the text (ending in a
 * newline) and `— <name> <base64(key hash ‖ signature)>` lines. Returns { note: { text, signatures: [{ name, keyHash,
 * signature }] } } or { error }.
 */
export function parseSignedNote(note) {
  if (typeof note !== 'string' || note.length === 0 || lenientUtf8.encode(note).length > MAX_NOTE_BYTES) {
    return { error: `a signed note is 1 to ${MAX_NOTE_BYTES} bytes` };
  }
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || note[note.length - 1] !== '\n') return { error: 'a signed note is a text, a blank line and signature lines' };
  if (split + 2 >= note.length) return { error: 'a signed note carries at least one signature line' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return { error: `a signed note carries at most ${MAX_SIGNATURES} signatures` };
  const signatures = [];
  for (const line of lines) {
    const parts = line.split(' ');
    if (parts.length !== 3 || parts[0] !== DASH || !isValidOrigin(parts[1])) return { error: "a signature line is not '— <key name> <base64>'" };
    const bytes = fromBase64(parts[2]);
    if (!bytes || bytes.length < 5 || bytes.length > 260) return { error: 'a signature line does not hold a key hash and a signature in base64' };
    signatures.push({ name: parts[1], keyHash: readU32be(bytes, 0), signature: bytes.slice(4) });
  }
  return { note: { text, signatures } };
}

/** Whether 32 bytes are an Ed25519 public key under full validation (canonical, on the curve, prime order, not small order). */
function isValidEd25519Key(bytes) {
  try {
    const p = ed25519.Point.fromBytes(bytes, false);
    return !p.isSmallOrder() && p.isTorsionFree();
  } catch {
    return false;
  }
}

/** First 4 bytes (big-endian) of SHA-256(name ‖ "\n" ‖ alg ‖ key). */
export function keyHashOf(name, algorithm, publicKey) {
  return readU32be(sha256(concat(lenientUtf8.encode(name), Uint8Array.of(0x0a, algorithm), publicKey)), 0);
}

function makeNoteKey(name, algorithm, publicKey) {
  const keyHash = keyHashOf(name, algorithm, publicKey);
  return {
    name,
    algorithm,
    publicKey,
    keyHash,
    verifierKey: `${name}+${keyHash.toString(16).padStart(8, '0')}+${toBase64(concat(Uint8Array.of(algorithm), publicKey))}`,
  };
}

/**
 * Parses a signed-note verifier key `<name>+<8 hex key hash>+<base64(alg ‖ 32-byte Ed25519 key)>` (alg 0x01 Ed25519 or
 * 0x04 cosignature/v1; the hash must match). Returns { name, algorithm, publicKey, keyHash, verifierKey } (verifierKey
 * in its canonical spelling: lower-case hash, canonical base64) or null.
 */
export function parseNoteKey(text) {
  if (typeof text !== 'string' || text.length > 512) return null;
  // Split at the first two '+' only (as Go's note.NewVerifier chops it): standard base64 may itself hold '+'.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return null;
  const parts = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (!isValidOrigin(parts[0]) || !/^[0-9A-Fa-f]{8}$/.test(parts[1])) return null;
  const bytes = fromBase64(parts[2]);
  if (!bytes || bytes.length !== 33 || (bytes[0] !== ALG_ED25519 && bytes[0] !== ALG_COSIGNATURE)) return null;
  const publicKey = bytes.slice(1);
  if (!isValidEd25519Key(publicKey)) return null;
  const key = makeNoteKey(parts[0], bytes[0], publicKey);
  return key.keyHash === parseInt(parts[1], 16) ? key : null;
}

/** Whether `signature` (a parsed line) is `key`'s line: same name and key hash. */
export const names = (key, signature) => signature.name === key.name && signature.keyHash === key.keyHash;

/** The message a cosignature/v1 signs. */
export function cosignedMessage(text, timestamp) {
  return lenientUtf8.encode(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

function ed25519Verify(publicKey, message, signature) {
  try {
    return signature.length === 64 && ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * Verifies `key`'s line over the note text: Ed25519 over the text, or cosignature/v1 (8-byte big-endian timestamp ‖
 * Ed25519 over "cosignature/v1\ntime T\n" ‖ text). Returns { valid, timestamp } (timestamp: BigInt seconds, 0n else).
 */
export function verifyLine(key, text, signature) {
  if (!names(key, signature)) return { valid: false, timestamp: 0n };
  const sig = signature.signature;
  if (key.algorithm === ALG_ED25519) return { valid: sig.length === 64 && ed25519Verify(key.publicKey, lenientUtf8.encode(text), sig), timestamp: 0n };
  if (sig.length !== 72) return { valid: false, timestamp: 0n };
  let time = 0n;
  for (let i = 0; i < 8; i++) time = (time << 8n) | BigInt(sig[i]);
  if (time > INT64_MAX) return { valid: false, timestamp: 0n };
  return { valid: ed25519Verify(key.publicKey, cosignedMessage(text, time), sig.subarray(8)), timestamp: time };
}

/** SHA-256 of the frames "customs-ledger/note-key/1", key name, verifier key (canonical spelling). */
export function bindingDigest(key) {
  return sha256(concat(frame(utf8(NOTE_KEY_DOMAIN)), frame(utf8(key.name)), frame(utf8(key.verifierKey))));
}

/** True when the binding's 65-byte recoverable signature recovers to `ledgerKey` (its exact bytes, compressed). */
export function bindingSignedBy(binding, ledgerKey) {
  const q = recover(bindingDigest(binding.key), parseSignature(binding.signature));
  if (!q || !ledgerKey) return false;
  const c = compressed(q);
  return c.length === ledgerKey.length && c.every((b, i) => b === ledgerKey[i]);
}

/** Thrown by witnessPolicy for a policy the C# WitnessPolicy constructor refuses. */
export class PolicyError extends Error {}

/**
 * A witness policy from parsed note keys: ≤ 64 cosignature/v1 witness keys, ≤ 64 Ed25519 log keys, 0 ≤ required ≤
 * witnesses. Throws PolicyError otherwise.
 */
export function witnessPolicy(witnesses, required, logs = []) {
  if (witnesses.length > MAX_POLICY_KEYS || logs.length > MAX_POLICY_KEYS) throw new PolicyError(`A witness policy names at most ${MAX_POLICY_KEYS} witness and ${MAX_POLICY_KEYS} log keys.`);
  if (witnesses.some((w) => !w || w.algorithm !== ALG_COSIGNATURE) || logs.some((l) => !l || l.algorithm !== ALG_ED25519)) {
    throw new PolicyError('Witness keys are cosignature/v1 keys and log keys Ed25519 keys.');
  }
  if (new Set(witnesses.map((w) => w.verifierKey)).size !== witnesses.length || new Set(witnesses.map((w) => w.name)).size !== witnesses.length) {
    throw new PolicyError('A witness policy names each witness (and each witness key) once.');
  }
  if (!Number.isInteger(required) || required < 0 || required > witnesses.length) {
    throw new PolicyError(`The required cosignatures must be 0 to the number of witnesses (${witnesses.length}).`);
  }
  return { witnesses, required, logs };
}

/**
 * A bundle anchor's `log` member (proto3 JSON object read by proto-json.js: checkpoint, path, logKey, logKeySignature)
 * → { checkpoint, path, binding } where binding is { key, signature } when the log key parses and the signature is 65
 * bytes, else null (BundleMapping.FromProto keeps a binding that does not parse out).
 */
export function logInclusionOf(log) {
  const key = parseNoteKey(log.logKey);
  return { checkpoint: log.checkpoint, path: log.path, binding: key && log.logKeySignature.length === 65 ? { key, signature: log.logKeySignature } : null };
}

/**
 * LogInclusionCheck.Check: the log verdict for an embedded anchor whose block already verified under `ledgerKey` (the
 * trusted key's bytes). `anchor.log` is null or from logInclusionOf; `policy` null or from witnessPolicy.
 * Returns [verdict, reason] (reason '' for an anchor without a log proof and no requirement).
 */
export function checkLogInclusion(anchor, ledgerKey, policy) {
  const required = policy?.required ?? 0;
  const log = anchor.log;
  if (!log) {
    return required === 0
      ? [VALID, '']
      : [UNVERIFIED, `no witnessed checkpoint (${required} cosignature(s) required): the bundle was made before the witnesses cosigned; ask the issuer for a new bundle`];
  }
  const origin = logOrigin(anchor.ledgerId);
  if (origin === null) return [INVALID, 'a log proof on a ledger that has no log'];
  const parsedNote = parseSignedNote(log.checkpoint);
  const parsed = parsedNote.error ? parsedNote : parseCheckpoint(parsedNote.note.text);
  if (parsed.error) return [INVALID, 'the log checkpoint is malformed: ' + parsed.error];
  const { note } = parsedNote;
  const { checkpoint } = parsed;
  if (checkpoint.origin !== origin) return [INVALID, "the log checkpoint is another log's"];
  const named = (policy?.logs ?? []).filter((k) => k.name === origin);
  let logKey;
  if (named.length > 0) {
    logKey = named.find((k) => note.signatures.some((s) => names(k, s)));
    if (!logKey) return [INVALID, 'the checkpoint is not signed by the log key the policy names'];
  } else if (log.binding && log.binding.key.name === origin && log.binding.key.algorithm === ALG_ED25519 && bindingSignedBy(log.binding, ledgerKey)) {
    logKey = log.binding.key;
  } else {
    return [INVALID, 'the log key is not bound to the certified ledger key'];
  }
  if (!note.signatures.some((s) => verifyLine(logKey, note.text, s).valid)) return [INVALID, "the checkpoint's log signature does not verify"];
  const height = BigInt(anchor.height);
  const reference = anchor.reference;
  const entry = typeof reference === 'string' && reference.length === 64 ? fromHex(reference) : null;
  if (!entry || height < 0n || height >= checkpoint.size || !verifyInclusion(leafHash(entry), height, checkpoint.size, log.path, checkpoint.root)) {
    return [INVALID, `the block is not entry ${height} of the log checkpoint of size ${checkpoint.size} (the path, height or checkpoint was changed)`];
  }
  const cosigners = [];
  // Each policy witness is named once (the policy refuses repeats), so each counts once.
  for (const witness of policy?.witnesses ?? []) {
    if (note.signatures.some((s) => verifyLine(witness, note.text, s).valid)) cosigners.push(witness.name);
  }
  const what = `entry ${height} of checkpoint ${checkpoint.size} of ${origin}`;
  if (!policy) return [VALID, `${what} (cosignatures not checked: no witness policy)`];
  return cosigners.length >= required
    ? [VALID, `${what}, cosigned by ${cosigners.length} of the policy's witnesses (${required} required${cosigners.length > 0 ? ': ' + cosigners.join(', ') : ''})`]
    : [UNVERIFIED, `${what} has ${cosigners.length} valid cosignature(s) of the policy's witnesses; ${required} required`];
}
