// The protobuf binary encoding of customs.ledger.v1.ProofBundle (protos/customs/ledger/v1/bundle.proto), as the compact
// QR payload carries it, decoded with Protobuf-ES (@bufbuild/protobuf v2: reflection over the committed description
// bundle_pb.js, tools/make-bundle-pb.mjs — no code generated at run time, no eval, so it runs under the page's CSP
// without 'unsafe-eval') and turned into the proto3 JSON object the rest of the verifier reads (proto-json.js):
// lowerCamelCase names, bytes as standard base64, int64 as decimal strings, enums by name, Timestamps RFC 3339 'Z' with
// 0/3/6/9 fractional digits, default values omitted, `optional` fields kept when present. Unknown fields (or a known
// field number with another wire type) are refused, as the JSON reader refuses an unknown member; so is a binary that is
// not in the canonical encoding (it must re-encode to its own length), as the C# CompactBundle.Decode refuses it: a
// default value written out, a singular field given twice, a number in a longer varint than needed.
import { fromBinary, toBinary, toJson, fromJson, fromJsonString, ScalarType } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ProofBundleSchema } from './bundle_pb.js';
import { parseJson } from './json.js';

export class MalformedBinaryBundle extends Error {}

export { ProofBundleSchema };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The wire types a field may be written with (a repeated number may also be packed). */
function wireTypesOf(field) {
  if (field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message')) {
    return [field.delimitedEncoding ? WireType.StartGroup : WireType.LengthDelimited];
  }
  if (field.fieldKind === 'map') return [WireType.LengthDelimited];
  const scalar = field.fieldKind === 'enum' || field.listKind === 'enum' ? ScalarType.INT32 : field.scalar;
  let wireType;
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return [WireType.LengthDelimited];
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      wireType = WireType.Bit64;
      break;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      wireType = WireType.Bit32;
      break;
    default:
      wireType = WireType.Varint;
  }
  return field.fieldKind === 'list' ? [wireType, WireType.LengthDelimited] : [wireType];
}

/**
 * Walks the wire structure of a message with the library's reader (tags, lengths, skipping), before decoding: throws
 * on broken protobuf (and on a string field that is not UTF-8), and returns the tree of the first unknown field or
 * wrongly typed field of each message — Protobuf-ES does not check a known field's wire type.
 */
function scan(desc, bytes) {
  const reader = new BinaryReader(bytes);
  const node = { desc, problem: null, children: [] };
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    const field = desc.fields.find((f) => f.number === number);
    if (!field || !wireTypesOf(field).includes(wireType)) {
      node.problem ??= field ? `field ${number} ('${field.localName}') of ${desc.name} has wire type ${wireType}` : `unknown field ${number} in ${desc.name}`;
      reader.skip(wireType, number);
    } else if (wireType === WireType.LengthDelimited && (field.fieldKind === 'message' || field.listKind === 'message')) {
      node.children.push({ index: desc.fields.indexOf(field), node: scan(field.message, reader.bytes()) });
    } else if (field.scalar === ScalarType.STRING && wireType === WireType.LengthDelimited) {
      strictUtf8.decode(reader.bytes());
    } else {
      reader.skip(wireType, number);
    }
  }
  return node;
}

/** Throws MalformedBinaryBundle for the first problem: the message's own, then its messages' in field order. */
function refuseProblems(node) {
  if (node.problem) throw new MalformedBinaryBundle(node.problem);
  for (const child of [...node.children].sort((a, b) => a.index - b.index)) refuseProblems(child.node);
}

const MIN_SECONDS = -62135596800n; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

/** Throws MalformedBinaryBundle for the first Timestamp (in field order) that has no RFC 3339 form. */
function refuseBadTimestamps(desc, message) {
  if (desc.typeName === 'google.protobuf.Timestamp') {
    if (BigInt(message.seconds) < MIN_SECONDS || BigInt(message.seconds) > MAX_SECONDS) throw new MalformedBinaryBundle('google.protobuf.Timestamp out of range');
    if (message.nanos < 0 || message.nanos > 999999999) throw new MalformedBinaryBundle('google.protobuf.Timestamp nanos out of range');
    return;
  }
  for (const field of desc.fields) {
    if (field.fieldKind === 'message') {
      const value = field.oneof ? (message[field.oneof.localName].case === field.localName ? message[field.oneof.localName].value : undefined) : message[field.localName];
      if (value !== undefined) refuseBadTimestamps(field.message, value);
    } else if (field.fieldKind === 'list' && field.listKind === 'message') {
      for (const value of message[field.localName]) refuseBadTimestamps(field.message, value);
    }
  }
}

/**
 * ProofBundle protobuf binary → its proto3 JSON object. Throws MalformedBinaryBundle.
 * @param {Uint8Array} bytes
 */
export function decodeBundleBinary(bytes) {
  let tree;
  let message;
  try {
    tree = scan(ProofBundleSchema, bytes);
  } catch (e) {
    throw new MalformedBinaryBundle(`not a ProofBundle protobuf (${e?.message ?? e})`);
  }
  refuseProblems(tree);
  try {
    message = fromBinary(ProofBundleSchema, bytes, { readUnknownFields: false });
  } catch (e) {
    throw new MalformedBinaryBundle(`not a ProofBundle protobuf (${e?.message ?? e})`);
  }
  let canonicalLength;
  try {
    canonicalLength = toBinary(ProofBundleSchema, message).length;
  } catch (e) {
    throw new MalformedBinaryBundle(`not a ProofBundle protobuf (${e?.message ?? e})`);
  }
  if (canonicalLength !== bytes.length) {
    throw new MalformedBinaryBundle(`the protobuf is not in its canonical encoding (${bytes.length} bytes, ${canonicalLength} re-encoded): a default value written, a field given twice or an overlong number`);
  }
  refuseBadTimestamps(ProofBundleSchema, message);
  try {
    return toJson(ProofBundleSchema, message);
  } catch (e) {
    throw new MalformedBinaryBundle(e?.message ?? String(e));
  }
}

/**
 * A bundle's proto3 JSON (object or text) → ProofBundle protobuf binary. Throws Error when it is not one (an unknown
 * member, a duplicate member in the text, a wrong type).
 * @param {object|string} bundle
 * @returns {Uint8Array}
 */
export function encodeBundleBinary(bundle) {
  if (typeof bundle === 'string') parseJson(bundle); // refuses duplicate members, which JSON.parse would merge
  const message = typeof bundle === 'string' ? fromJsonString(ProofBundleSchema, bundle) : fromJson(ProofBundleSchema, bundle);
  return toBinary(ProofBundleSchema, message);
}
