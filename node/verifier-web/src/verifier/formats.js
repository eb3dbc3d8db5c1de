// The byte formats the checks rebuild or read (docs/WIRE-FORMATS.md): leaf encoding (#1), frames, batch entry (#3),
// ledger record identity (#4), revocation digest (#6), status leaf and statement (#7).
import { concat, u32be, utf8, utf8Decode, readU32be, readI64be, frame, i64be } from './bytes.js';
import { sha256 } from './hash.js';
import { enumTryParse, MESSAGE_KINDS, DOCUMENT_STATES, INT32 } from './dotnet-enum.js';
import { JsonTokenizer } from './json.js';

// ---- #1 leaf encoding ----

/** Amount, Measure and DateTime carry a qualifier frame. */
export const hasQualifier = (tag) => tag === 5 || tag === 6 || tag === 7;

/** type ‖ u32be(len) ‖ path ‖ u32be(len) ‖ value [‖ u32be(len) ‖ qualifier]. Throws on invalid UTF-16. */
export function encodeLeaf({ type, path, value, qualifier }) {
  const p = utf8(path ?? '');
  const v = utf8(value ?? '');
  const parts = [Uint8Array.of(type), u32be(p.length), p, u32be(v.length), v];
  if (hasQualifier(type)) {
    const q = utf8(qualifier ?? '');
    parts.push(u32be(q.length), q);
  }
  return concat(...parts);
}

/** SHA-256(0x00 ‖ salt(32) ‖ encoding). */
export function saltedLeafHash(leaf, salt) {
  return sha256(concat(Uint8Array.of(0), salt, encodeLeaf(leaf)));
}

// ---- frames ----

/**
 * Strict reader of u32be-framed fields (FrameReader): every field where expected, per-field maximum, strict UTF-8,
 * nothing left over. Methods return null on failure.
 */
export class FrameReader {
  constructor(bytes) {
    this.b = bytes;
    this.i = 0;
  }

  /** Opens `bytes` when its first frame is the domain string (read with a 4096-byte cap). */
  static open(bytes, domain) {
    const r = new FrameReader(bytes);
    return r.string(4096) === domain ? r : null;
  }

  bytes(max = 1 << 20) {
    if (this.b.length - this.i < 4) return null;
    const n = readU32be(this.b, this.i);
    if (n > max || n > this.b.length - this.i - 4) return null;
    const v = this.b.subarray(this.i + 4, this.i + 4 + n);
    this.i += 4 + n;
    return v;
  }

  string(max = 4096) {
    const v = this.bytes(max);
    return v === null ? null : utf8Decode(v);
  }

  int64() {
    const v = this.bytes(8);
    return v === null || v.length !== 8 ? null : readI64be(v, 0);
  }

  get atEnd() {
    return this.i === this.b.length;
  }
}

/** An exact enum name (Enum.TryParse + IsDefined + the name round-trips): what the frame decoders require. */
function exactName(text, names) {
  return text !== null && names.includes(text) && text !== '' ? text : null;
}

// ---- #3 batch entry ----

export const BATCH_ENTRY_DOMAIN = 'customs-ledger/batch-entry/2';
export const MAX_ID_BYTES = 128;

/** { documentId, profile, kind, kindValue, documentRoot, recordHash } or { error }. */
export function decodeBatchEntry(bytes) {
  const r = FrameReader.open(bytes, BATCH_ENTRY_DOMAIN);
  if (!r) return { error: `the batch entry is not a '${BATCH_ENTRY_DOMAIN}' entry` };
  const documentId = r.string(MAX_ID_BYTES);
  const profile = documentId === null ? null : r.string(MAX_ID_BYTES);
  const kind = profile === null ? null : exactName(r.string(64), MESSAGE_KINDS);
  const root = kind === null ? null : r.bytes(32);
  const recordHash = root === null || root.length !== 32 ? null : r.bytes(32);
  if (recordHash === null || recordHash.length !== 32 || !r.atEnd) return { error: 'the batch entry is malformed' };
  return { documentId, profile, kind, kindValue: MESSAGE_KINDS.indexOf(kind), documentRoot: root, recordHash };
}

export function encodeBatchEntry({ documentId, profile, kind, documentRoot, recordHash }) {
  return concat(frame(utf8(BATCH_ENTRY_DOMAIN)), frame(utf8(documentId)), frame(utf8(profile)), frame(utf8(kind)), frame(documentRoot), frame(recordHash));
}

// ---- #7 status leaf and statement ----

export const STATUS_LEAF_DOMAIN = 'customs-ledger/status-leaf/1';
export const STATEMENT_DOMAIN = 'customs-ledger/batch-status/1';
const STATE_NAMES = DOCUMENT_STATES.slice(1);

/** { documentId, documentRoot, state, reasonCode, supersededBy, supersedes } (absent strings null) or { error }. */
export function decodeStatusLeaf(bytes) {
  const bad = { error: 'the status leaf is malformed' };
  const r = FrameReader.open(bytes, STATUS_LEAF_DOMAIN);
  if (!r) return bad;
  const documentId = r.string(MAX_ID_BYTES);
  if (documentId === null) return bad;
  const root = r.bytes(32);
  if (root === null || root.length !== 32) return bad;
  const state = exactName(r.string(32), STATE_NAMES);
  if (state === null) return bad;
  const reasonCode = r.string(64);
  if (reasonCode === null) return bad;
  const supersededBy = r.string(MAX_ID_BYTES);
  if (supersededBy === null) return bad;
  const supersedes = r.string(MAX_ID_BYTES);
  if (supersedes === null || !r.atEnd) return bad;
  const nullIfEmpty = (s) => (s.length === 0 ? null : s);
  return { documentId, documentRoot: root, state, reasonCode: nullIfEmpty(reasonCode), supersededBy: nullIfEmpty(supersededBy), supersedes: nullIfEmpty(supersedes) };
}

export function encodeStatusLeaf({ documentId, documentRoot, state, reasonCode, supersededBy, supersedes }) {
  return concat(
    frame(utf8(STATUS_LEAF_DOMAIN)), frame(utf8(documentId)), frame(documentRoot), frame(utf8(state)),
    frame(utf8(reasonCode ?? '')), frame(utf8(supersededBy ?? '')), frame(utf8(supersedes ?? '')),
  );
}

/** Largest as-of a statement may carry (9999-12-31T23:59:59.999Z). */
export const MAX_TIME_MS = 253402300799999;

/** { batchRoot, statusRoot, documentCount (BigInt), asOfMs (number), issuerNodeId } or { error }. */
export function decodeStatement(bytes) {
  const bad = { error: 'the status statement is malformed' };
  const r = FrameReader.open(bytes, STATEMENT_DOMAIN);
  if (!r) return bad;
  const batchRoot = r.bytes(32);
  if (batchRoot === null || batchRoot.length !== 32) return bad;
  const statusRoot = r.bytes(32);
  if (statusRoot === null || statusRoot.length !== 32) return bad;
  const count = r.int64();
  if (count === null || count < 1n) return bad;
  const asOf = r.int64();
  if (asOf === null || asOf < 0n || asOf > BigInt(MAX_TIME_MS)) return bad;
  const issuerNodeId = r.string(128);
  if (issuerNodeId === null || !r.atEnd) return bad;
  return { batchRoot, statusRoot, documentCount: count, asOfMs: Number(asOf), issuerNodeId };
}

export function encodeStatement({ batchRoot, statusRoot, documentCount, asOfMs, issuerNodeId }) {
  return concat(frame(utf8(STATEMENT_DOMAIN)), frame(batchRoot), frame(statusRoot), frame(i64be(documentCount)), frame(i64be(asOfMs)), frame(utf8(issuerNodeId)));
}

// ---- #4 ledger record identity ----

/**
 * The identifying members (kind, profile, country, agency, root) of a ledger record, read as the C#
 * LedgerRecord.TryReadIdentity reads them: a forward-only reader (nesting ≤ 2) that takes string members by name (the
 * last one wins) while property names follow one another, and stops at the first token that is not a member name, so
 * nothing after it is examined. Null when the bytes are not such an object or a member is missing.
 */
export function readRecordIdentity(bytes) {
  const text = utf8Decode(bytes);
  if (text === null) return null;
  const found = {};
  try {
    const tz = new JsonTokenizer(text, { maxDepth: 2 });
    const first = tz.next();
    if (!first || first.t !== '{') return null;
    for (;;) {
      const tok = tz.next();
      if (!tok || tok.t !== 'key') break;
      const name = tok.v;
      const value = tz.next();
      if (!value) return null;
      if (value.t !== 'str') continue;
      if (['kind', 'profile', 'country', 'agency', 'root'].includes(name)) found[name] = value.v;
    }
  } catch {
    return null;
  }
  const { kind, profile, country, agency, root } = found;
  if ([kind, profile, country, agency, root].some((v) => v === undefined)) return null;
  return { kind, profile, country, agency, root };
}

// ---- #6 revocation digest ----

export const REASON_CODE = /^[A-Za-z0-9._-]{1,16}$/;

/** SHA-256("customs-ledger/revoke/1" ‖ documentRoot ‖ reasonCode), unframed; null for an invalid reason code. */
export function revocationDigest(documentRoot, reasonCode) {
  if (!REASON_CODE.test(reasonCode ?? '')) return null;
  return sha256(concat(utf8('customs-ledger/revoke/1'), documentRoot, utf8(reasonCode)));
}

export { enumTryParse, INT32 };
