// Reads a bundle file: the proto3 JSON mapping of customs.ledger.v1.ProofBundle (protos/customs/ledger/v1/bundle.proto)
// as Google.Protobuf's JsonParser reads it (unknown fields refused, both lowerCamelCase and proto field names, int64
// as string or number, bytes as base64, Timestamps RFC 3339, enums by name or number, null = default), then the checks
// the C# BundleMapping.FromProto adds (sections present, kind and leaf type names, limits). Any failure throws
// MalformedBundle: the caller reports every check INVALID, where the C# tool refuses the file (exit code 2).

import { JsonTokenizer, JsonNumber, JsonError } from './json.js';
import { fromBase64 } from './bytes.js';
import { enumTryParse, enumName, MESSAGE_KINDS, LEAF_TYPES, DOCUMENT_STATES, INT32, BYTE } from './dotnet-enum.js';
import { logInclusionOf, MAX_LOG_PATH } from './transparency.js';

export class MalformedBundle extends Error {}

/** Largest bundle text, in UTF-16 code units as the C# compares it (BundleMapping.MaxBundleJsonBytes, 64 Mi). */
export const MAX_BUNDLE_CHARS = 64 * 1024 * 1024;
/** Google.Protobuf recursion limit the C# parser is configured with. */
export const MAX_NESTING = 32;
/** Certificates in a chain (issuer chain, status signer chain): BundleMapping.MaxCertificates. */
export const MAX_CERTIFICATES = 8;
/** Hashes in the status path. */
export const MAX_STATUS_PATH = 64;

/** DateTimeOffset.MinValue in Unix ms: what a missing Timestamp becomes in the C# model. */
export const MIN_TIME_MS = -62135596800000;

// Field tables: [jsonName, protoName, kind, extra]. kind: string, bytes, int32, int64, enum, timestamp, message,
// repeated-bytes, repeated-message, optional-string, oneof-message, oneof-bytes.
const LOG_INCLUSION = {
  name: 'LogInclusion',
  fields: [
    ['checkpoint', 'checkpoint', 'string'],
    ['path', 'path', 'repeated-bytes'],
    ['logKey', 'log_key', 'string'],
    ['logKeySignature', 'log_key_signature', 'bytes'],
  ],
};
const ANCHOR = {
  name: 'Anchor',
  fields: [
    ['ledgerId', 'ledger_id', 'string'],
    ['reference', 'reference', 'string'],
    ['height', 'height', 'int64'],
    ['timestamp', 'timestamp', 'timestamp'],
    ['proof', 'proof', 'bytes'],
    ['log', 'log', 'message', LOG_INCLUSION],
  ],
};
const DISCLOSED_LEAF = {
  name: 'DisclosedLeaf',
  fields: [
    ['path', 'path', 'string'],
    ['type', 'type', 'string'],
    ['value', 'value', 'string'],
    ['qualifier', 'qualifier', 'optional-string'],
    ['salt', 'salt', 'bytes'],
  ],
};
const BUNDLE_LEAF = {
  name: 'BundleLeaf',
  oneof: 'entry',
  fields: [
    ['disclosed', 'disclosed', 'oneof-message', DISCLOSED_LEAF],
    ['hiddenHash', 'hidden_hash', 'oneof-bytes'],
  ],
};
const BATCH = {
  name: 'BatchInclusion',
  fields: [
    ['batchRoot', 'batch_root', 'bytes'],
    ['index', 'index', 'int64'],
    ['size', 'size', 'int64'],
    ['path', 'path', 'repeated-bytes'],
    ['signature', 'signature', 'bytes'],
    ['entry', 'entry', 'bytes'],
  ],
};
const ISSUER = {
  name: 'IssuerIdentity',
  fields: [
    ['country', 'country', 'string'],
    ['agency', 'agency', 'string'],
    ['publicKey', 'public_key', 'bytes'],
    ['nodeId', 'node_id', 'string'],
    ['certificateChain', 'certificate_chain', 'repeated-bytes'],
  ],
};
const STATE_NAMES = ['DOCUMENT_STATE_UNSPECIFIED', 'DOCUMENT_STATE_ACCEPTED', 'DOCUMENT_STATE_BATCHED', 'DOCUMENT_STATE_ANCHORED', 'DOCUMENT_STATE_REVOKED', 'DOCUMENT_STATE_SUPERSEDED'];
const STATUS = {
  name: 'BundleStatus',
  fields: [
    ['state', 'state', 'enum', STATE_NAMES],
    ['revocationReason', 'revocation_reason', 'string'],
    ['revocation', 'revocation', 'message', ANCHOR],
    ['supersededBy', 'superseded_by', 'string'],
    ['supersedes', 'supersedes', 'string'],
    ['asOf', 'as_of', 'timestamp'],
    ['statement', 'statement', 'bytes'],
    ['signature', 'signature', 'bytes'],
    ['signerCertificates', 'signer_certificates', 'repeated-bytes'],
    ['leaf', 'leaf', 'bytes'],
    ['path', 'path', 'repeated-bytes'],
  ],
};
const BUNDLE = {
  name: 'ProofBundle',
  fields: [
    ['version', 'version', 'int32'],
    ['documentId', 'document_id', 'string'],
    ['profile', 'profile', 'string'],
    ['kind', 'kind', 'string'],
    ['leaves', 'leaves', 'repeated-message', BUNDLE_LEAF],
    ['documentRoot', 'document_root', 'bytes'],
    ['batch', 'batch', 'message', BATCH],
    ['issuer', 'issuer', 'message', ISSUER],
    ['anchors', 'anchors', 'repeated-message', ANCHOR],
    ['status', 'status', 'message', STATUS],
    ['ledgerRecord', 'ledger_record', 'bytes'],
  ],
};

const DEFAULTS = {
  string: '',
  bytes: () => new Uint8Array(0),
  int32: 0,
  int64: 0n,
  enum: 0,
  timestamp: null,
  message: null,
  'repeated-bytes': () => [],
  'repeated-message': () => [],
  'optional-string': null,
};

function fail(message) {
  throw new MalformedBundle(message);
}

const cap = (s) => (s.length <= 80 ? s : s.slice(0, 80) + '…');

/** Reads one message from the tokenizer (the '{' already consumed) into a plain object keyed by jsonName. */
function readMessage(tz, schema) {
  const out = { __set: new Set() };
  for (const [json, , kind] of schema.fields) {
    if (kind.startsWith('oneof')) continue;
    const d = DEFAULTS[kind];
    out[json] = typeof d === 'function' ? d() : d;
  }
  out.__oneof = null; // [jsonName, value]
  for (;;) {
    const tok = tz.next();
    if (tok.t === '}') return out;
    const field = schema.fields.find((f) => f[0] === tok.v || f[1] === tok.v);
    if (!field) fail(`unknown field '${cap(tok.v)}' in ${schema.name}`);
    const [json, , kind, extra] = field;
    const v = tz.next();
    if (v.t === 'lit' && v.v === null) {
      // JSON null clears the field (proto3 JSON mapping).
      if (kind.startsWith('oneof')) {
        if (out.__oneof && out.__oneof[0] === json) out.__oneof = null;
      } else {
        const d = DEFAULTS[kind];
        out[json] = typeof d === 'function' ? d() : d;
      }
      continue;
    }
    switch (kind) {
      case 'string':
      case 'optional-string':
        out[json] = expectString(v, json);
        break;
      case 'bytes':
        out[json] = readBytes(v, json);
        break;
      case 'int32':
        out[json] = Number(readInteger(v, json, -(2n ** 31n), 2n ** 31n - 1n));
        break;
      case 'int64':
        out[json] = readInteger(v, json, -(2n ** 63n), 2n ** 63n - 1n);
        break;
      case 'enum':
        out[json] = readEnum(v, json, extra);
        break;
      case 'timestamp':
        out[json] = readTimestamp(v, json);
        break;
      case 'message':
        if (v.t !== '{') fail(`field '${json}' is not an object`);
        out[json] = readMessage(tz, extra);
        break;
      case 'repeated-bytes':
      case 'repeated-message': {
        if (v.t !== '[') fail(`field '${json}' is not an array`);
        const list = out[json];
        for (;;) {
          const e = tz.next();
          if (e.t === ']') break;
          if (e.t === 'lit' && e.v === null) fail(`field '${json}' holds a null element`);
          if (kind === 'repeated-bytes') list.push(readBytes(e, json));
          else {
            if (e.t !== '{') fail(`an element of '${json}' is not an object`);
            list.push(readMessage(tz, extra));
          }
        }
        break;
      }
      case 'oneof-message':
      case 'oneof-bytes': {
        if (out.__oneof && out.__oneof[0] !== json) fail(`several values for the oneof '${schema.oneof}' in ${schema.name}`);
        if (kind === 'oneof-bytes') out.__oneof = [json, readBytes(v, json)];
        else {
          if (v.t !== '{') fail(`field '${json}' is not an object`);
          out.__oneof = [json, readMessage(tz, extra)];
        }
        break;
      }
      default:
        fail(`field '${json}' cannot be read`);
    }
    out.__set.add(json);
  }
}

function expectString(v, name) {
  if (v.t !== 'str') fail(`field '${name}' is not a string`);
  return v.v;
}

function readBytes(v, name) {
  if (v.t !== 'str') fail(`field '${name}' is not a base64 string`);
  const b = fromBase64(v.v);
  if (!b) fail(`field '${name}' is not valid base64`);
  return b;
}

function readInteger(v, name, min, max) {
  let n = null;
  if (v.t === 'num') {
    n = integralOf(v.v.raw);
  } else if (v.t === 'str') {
    const s = v.v;
    if (/^-?(0|[1-9][0-9]*)$/.test(s)) n = BigInt(s);
    else if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(s)) n = integralOf(s);
  }
  if (n === null) fail(`field '${name}' is not an integer`);
  if (n < min || n > max) fail(`field '${name}' is out of range`);
  return n;
}

/** The integer a JSON number denotes, or null when it has a fractional part. */
function integralOf(raw) {
  if (/^-?(0|[1-9][0-9]*)$/.test(raw)) return BigInt(raw);
  const d = Number(raw);
  if (!Number.isFinite(d) || Math.floor(d) !== d) return null;
  return BigInt(d);
}

function readEnum(v, name, names) {
  if (v.t === 'str') {
    const i = names.indexOf(v.v);
    if (i < 0) fail(`field '${name}' has an unknown value '${cap(v.v)}'`);
    return i;
  }
  if (v.t === 'num') {
    const n = integralOf(v.v.raw);
    if (n === null || n < -(2n ** 31n) || n > 2n ** 31n - 1n) fail(`field '${name}' is not an enum value`);
    return Number(n);
  }
  fail(`field '${name}' is not an enum value`);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** RFC 3339 timestamp → Unix milliseconds (floor, as .NET's ToUnixTimeMilliseconds on the DateTimeOffset). */
function readTimestamp(v, name) {
  if (v.t !== 'str') fail(`field '${name}' is not a timestamp string`);
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$/.exec(v.v);
  if (!m) fail(`field '${name}' is not an RFC 3339 timestamp`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]) || h > 23 || mi > 59 || s > 59) {
    fail(`field '${name}' is not a valid date and time`);
  }
  // Date.UTC maps years 0-99 to 1900+: set the full year explicitly.
  const shifted = new Date(Date.UTC(2000, 0, 1));
  shifted.setUTCFullYear(y, mo - 1, d);
  shifted.setUTCHours(h, mi, s, 0);
  let ms = shifted.getTime();
  const frac = m[7] ? m[7].slice(1).padEnd(9, '0') : '000000000';
  ms += Math.floor(Number(frac) / 1e6);
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 23 || om > 59) fail(`field '${name}' has an invalid offset`);
    ms -= sign * (oh * 60 + om) * 60000;
  }
  if (ms < MIN_TIME_MS || ms > 253402300799999) fail(`field '${name}' is out of the timestamp range`);
  return ms;
}

/**
 * Parses bundle JSON text (or an already-parsed plain object, re-serialised) into the model the checks read.
 * Throws MalformedBundle.
 */
export function readBundle(input) {
  let text = input;
  if (typeof input !== 'string') {
    if (input === null || typeof input !== 'object') fail('the bundle is not a JSON object');
    text = JSON.stringify(input);
  }
  if (text.length > MAX_BUNDLE_CHARS) fail(`the bundle file exceeds ${MAX_BUNDLE_CHARS} characters`);
  const tz = new JsonTokenizer(text, { maxDepth: MAX_NESTING });
  let raw;
  try {
    const first = tz.next();
    if (first.t !== '{') fail('the bundle is not a JSON object');
    raw = readMessage(tz, BUNDLE);
    tz.next();
  } catch (e) {
    if (e instanceof JsonError) fail('not valid JSON: ' + e.message);
    throw e;
  }
  return fromProto(raw);
}

/** BundleMapping.FromProto's checks, and the model. */
function fromProto(p) {
  if (!p.batch || !p.issuer || !p.status) fail('bundle lacks its batch, issuer or status section');
  const kind = enumTryParse(p.kind, MESSAGE_KINDS, INT32);
  if (kind === null) fail(`unknown document kind '${cap(p.kind)}'`);
  const leaves = p.leaves.map((l) => {
    if (!l.__oneof) fail('a leaf entry is neither disclosed nor hidden');
    const [which, value] = l.__oneof;
    if (which === 'hiddenHash') return { hidden: value };
    const type = enumTryParse(value.type, LEAF_TYPES, BYTE);
    if (type === null || type > 7) fail(`unknown leaf type '${cap(value.type)}'`);
    return {
      disclosed: {
        path: value.path,
        type,
        typeName: LEAF_TYPES[type],
        value: value.value,
        qualifier: value.qualifier,
        salt: value.salt,
      },
    };
  });
  if (p.issuer.certificateChain.length > MAX_CERTIFICATES) {
    fail(`the issuer certificate chain holds more than ${MAX_CERTIFICATES} certificates`);
  }
  return {
    version: p.version,
    documentId: p.documentId,
    profile: p.profile,
    kind: { value: kind, name: enumName(kind, MESSAGE_KINDS), text: p.kind },
    leaves,
    documentRoot: p.documentRoot,
    batch: {
      batchRoot: p.batch.batchRoot,
      index: p.batch.index,
      size: p.batch.size,
      path: p.batch.path,
      signature: p.batch.signature,
      entry: p.batch.entry,
    },
    issuer: {
      country: p.issuer.country,
      agency: p.issuer.agency,
      publicKey: p.issuer.publicKey,
      nodeId: p.issuer.nodeId,
      certificateChain: p.issuer.certificateChain,
    },
    anchors: p.anchors.map(anchorOf),
    status: statusOf(p.status),
    ledgerRecord: p.ledgerRecord,
  };
}

/** BundleMapping.FromProto(Anchor): a log path over 128 hashes is a malformed bundle; a log key that does not parse is kept out. */
export function anchorOf(a) {
  if (a.log && a.log.path.length > MAX_LOG_PATH) fail(`an anchor's log path holds more than ${MAX_LOG_PATH} hashes`);
  return {
    ledgerId: a.ledgerId,
    reference: a.reference,
    height: a.height,
    timestampMs: a.timestamp ?? MIN_TIME_MS,
    proof: a.proof,
    log: a.log ? logInclusionOf(a.log) : null,
  };
}

/** A BundleStatus message (from a bundle or a node's live status) → model; throws MalformedBundle. */
export function statusOf(s) {
  if (!(s.state >= 1 && s.state <= 5)) fail(`unknown document state ${STATE_NAMES[s.state] ?? s.state}`);
  // The C# reads the revocation anchor (FromProto(Anchor), which may refuse it) before the path and the signer chain.
  const revocation = s.revocation ? anchorOf(s.revocation) : null;
  if (s.path.length > MAX_STATUS_PATH) fail(`the status path is longer than ${MAX_STATUS_PATH} hashes`);
  if (s.signerCertificates.length > MAX_CERTIFICATES) {
    fail(`the status signer's certificate chain holds more than ${MAX_CERTIFICATES} certificates`);
  }
  return {
    state: DOCUMENT_STATES[s.state],
    revocationReason: s.revocationReason,
    revocation,
    supersededBy: s.supersededBy,
    supersedes: s.supersedes,
    asOfMs: s.asOf ?? MIN_TIME_MS,
    statement: s.statement,
    signature: s.signature,
    signerCertificates: s.signerCertificates,
    leaf: s.leaf,
    path: s.path,
  };
}

/** Reads a BundleStatus message given as JSON text or a parsed object (the live status endpoint's "status"). */
export function readStatusMessage(input) {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  const tz = new JsonTokenizer(text, { maxDepth: MAX_NESTING });
  try {
    const first = tz.next();
    if (first.t !== '{') fail('the status is not a JSON object');
    const raw = readMessage(tz, STATUS);
    tz.next();
    return statusOf(raw);
  } catch (e) {
    if (e instanceof JsonError) fail('not valid JSON: ' + e.message);
    throw e;
  }
}
