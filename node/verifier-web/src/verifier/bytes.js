// Byte helpers on Uint8Array only (no Buffer): the library runs unchanged in Node and browsers.

const HEX = '0123456789abcdef';

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

/** Upper-case hex (serial numbers are reported this way, as the C# verifier does). */
export function toHexUpper(bytes) {
  return toHex(bytes).toUpperCase();
}

/**
 * Hex to bytes; any case (as .NET's Convert.FromHexString). Returns null for odd length or a non-hex character.
 */
export function fromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(text.charCodeAt(2 * i));
    const lo = hexValue(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexValue(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Standard base64 with padding. */
export function toBase64(bytes) {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return s;
}

/**
 * Standard base64 (RFC 4648 §4) to bytes, as .NET's Convert.FromBase64String reads it (Google.Protobuf's JSON parser
 * uses it for `bytes` fields): whitespace ignored, padded to a multiple of 4, standard alphabet only. Returns null when
 * the text is not such base64.
 */
export function fromBase64(text) {
  if (typeof text !== 'string') return null;
  const clean = text.replace(/[ \t\r\n]/g, '');
  if (clean.length % 4 !== 0) return null;
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((clean.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = clean.charCodeAt(i + j);
      const isPad = i + 4 === clean.length && j >= 4 - pad;
      const d = isPad ? (c === 61 ? 0 : -1) : c < 128 ? B64_INDEX[c] : -1;
      if (d < 0) return null;
      n = (n << 6) | d;
    }
    const chunk = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    for (let j = 0; j < 3 && o < out.length; j++) out[o++] = chunk[j];
  }
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when a JS string holds an unpaired surrogate (which strict UTF-8 encoders refuse). */
export function hasLoneSurrogate(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/** UTF-8 of a string; throws on an unpaired surrogate (strict, like .NET's UTF8Encoding(throwOnInvalidBytes)). */
export function utf8(s) {
  if (hasLoneSurrogate(s)) throw new TypeError('invalid UTF-16 (unpaired surrogate)');
  return encoder.encode(s);
}

/** Strict UTF-8 decoding; null when the bytes are not valid UTF-8. A leading BOM is kept as U+FEFF. */
export function utf8Decode(bytes) {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equal(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function u32be(n) {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** 8-byte big-endian two's complement of a BigInt (or number). */
export function i64be(value) {
  const out = new Uint8Array(8);
  let v = BigInt.asUintN(64, BigInt(value));
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Reads an 8-byte big-endian signed integer as a BigInt. */
export function readI64be(bytes, offset = 0) {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[offset + i]);
  return BigInt.asIntN(64, v);
}

export function readU32be(bytes, offset) {
  return ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) + (bytes[offset + 2] << 8) + bytes[offset + 3];
}

/** frame(x) = u32be(len x) ‖ x (WIRE-FORMATS.md Conventions). */
export function frame(bytes) {
  return concat(u32be(bytes.length), bytes);
}

/** ASCII-only lower-casing, for case-insensitive comparisons of identifiers (hex, ledger ids). */
export function asciiLower(s) {
  return String(s).replace(/[A-Z]/g, (c) => c.toLowerCase());
}
