// What a QR code on a customs document carries:
//  - a compact bundle: "CLB1:" + base45(raw DEFLATE(protobuf binary of customs.ledger.v1.ProofBundle)) — the whole
//    proof, verifiable offline (bundle-binary.js turns the binary into the bundle's proto3 JSON object);
//  - a link: an http(s) URL of a node's /verify page with the fragment #doc=<documentId>&root=<hex document root>,
//    which the page turns into a public-status lookup.
// Limits: the QR text at most 8 KB (a version-40 QR holds ~4.3 K alphanumeric characters; the cap leaves room), the
// inflated bundle at most 1 MiB (a deflate bomb is refused while inflating, not after).
import { inflateSync, deflateSync } from 'fflate';
import { base45Decode, base45Encode } from './base45.js';
import { decodeBundleBinary, encodeBundleBinary, MalformedBinaryBundle } from './bundle-binary.js';

export const COMPACT_PREFIX = 'CLB1:';
export const MAX_QR_TEXT = 8 * 1024;
export const MAX_INFLATED = 1024 * 1024;

/** `malformed` is true when the payload unpacked but is not a readable ProofBundle (the message says why). */
export class QrPayloadError extends Error {
  constructor(message, malformed = false) {
    super(message);
    this.malformed = malformed;
  }
}

/** Raw DEFLATE inflate refusing more than `max` bytes of output. */
function inflateBounded(data, max) {
  // fflate writes into the given buffer and throws when it is too small, so the cap holds during inflation.
  const out = new Uint8Array(max + 1);
  let result;
  try {
    result = inflateSync(data, { out });
  } catch (e) {
    throw new QrPayloadError(/too small|length/i.test(String(e?.message)) ? `the compact bundle inflates to more than ${max} bytes` : 'the compact bundle is not valid DEFLATE data');
  }
  if (result.length > max) throw new QrPayloadError(`the compact bundle inflates to more than ${max} bytes`);
  return result.slice();
}

/**
 * @returns {{ kind: 'bundle', bundle: object } | { kind: 'link', url: string, documentId: string, documentRoot?: string }}
 * `bundle` is the proto3 JSON object of the ProofBundle (what verifyBundle takes). Throws QrPayloadError for anything
 * else; with `malformed` set (and a "malformed bundle: …" message) when the protobuf is not a ProofBundle.
 * `maxText` (tests and tools only) lifts the QR text limit; the inflated limit stays.
 */
export function decodeQrText(text, { maxText = MAX_QR_TEXT } = {}) {
  if (typeof text !== 'string') throw new QrPayloadError('the QR code holds no text');
  if (text.length > maxText) throw new QrPayloadError(`the QR text exceeds ${maxText} characters`);
  const t = text.trim();
  if (t.startsWith(COMPACT_PREFIX)) {
    let packed;
    try {
      packed = base45Decode(t.slice(COMPACT_PREFIX.length));
    } catch (e) {
      throw new QrPayloadError(`the compact bundle is not base45: ${e.message}`);
    }
    const binary = inflateBounded(packed, MAX_INFLATED);
    try {
      return { kind: 'bundle', bundle: decodeBundleBinary(binary) };
    } catch (e) {
      if (e instanceof MalformedBinaryBundle) throw new QrPayloadError('malformed bundle: ' + e.message, true);
      throw e;
    }
  }
  let url;
  try {
    url = new URL(t);
  } catch {
    throw new QrPayloadError('the QR code is neither a compact bundle (CLB1:…) nor a link');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new QrPayloadError('the QR link is not an http(s) URL');
  const fragment = parseFragment(url.hash);
  if (!fragment) throw new QrPayloadError('the QR link names no document (#doc=…)');
  url.hash = '';
  return { kind: 'link', url: url.toString(), ...fragment };
}

/** `#doc=<id>&root=<hex>` → { documentId, documentRoot? }; null when there is no valid doc. */
export function parseFragment(hash) {
  const params = new URLSearchParams((hash ?? '').replace(/^#/, ''));
  const documentId = params.get('doc');
  if (!documentId || !/^[A-Za-z0-9._:-]{1,128}$/.test(documentId)) return null;
  const root = params.get('root');
  if (root !== null && !/^[0-9a-fA-F]{64}$/.test(root)) return null;
  return root ? { documentId, documentRoot: root.toLowerCase() } : { documentId };
}

/** Packs protobuf binary bytes as compact QR text (no size check: for tools and tests). */
export function packCompactBinary(binary) {
  return COMPACT_PREFIX + base45Encode(deflateSync(binary, { level: 9 }));
}

/**
 * The compact QR text of a bundle given as its proto3 JSON (object or text): "CLB1:" + base45(raw DEFLATE(protobuf
 * binary)). Throws when the JSON is not a ProofBundle; the text may exceed MAX_QR_TEXT (the caller decides).
 */
export function encodeQrBundle(bundle) {
  return packCompactBinary(encodeBundleBinary(bundle));
}
