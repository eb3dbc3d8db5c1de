// A small strict DER reader (X.690 §10): definite, minimal lengths; no trailing bytes where a whole value is expected.
// Enough for X.509 certificates and CRLs; values keep their raw bytes (a signature covers the TBS exactly as sent).

export class DerError extends Error {}

/** Reads one TLV at `offset` of `bytes`: { tag, cls, constructed, tagNumber, content, raw, end }. */
export function readTlv(bytes, offset = 0) {
  let i = offset;
  if (i >= bytes.length) throw new DerError('truncated DER');
  const tag = bytes[i++];
  const cls = tag >> 6;
  const constructed = (tag & 0x20) !== 0;
  let tagNumber = tag & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    let first = true;
    for (;;) {
      if (i >= bytes.length) throw new DerError('truncated DER tag');
      const b = bytes[i++];
      if (first && b === 0x80) throw new DerError('non-minimal DER tag');
      first = false;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if (tagNumber > 0xffffff) throw new DerError('DER tag too large');
      if ((b & 0x80) === 0) break;
    }
    if (tagNumber < 0x1f) throw new DerError('non-minimal DER tag');
  }
  if (i >= bytes.length) throw new DerError('truncated DER length');
  let len = bytes[i++];
  if (len === 0x80) throw new DerError('indefinite length is not DER');
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new DerError('DER length too large');
    if (i + n > bytes.length) throw new DerError('truncated DER length');
    if (bytes[i] === 0) throw new DerError('non-minimal DER length');
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + bytes[i++];
    if (len < 0x80) throw new DerError('non-minimal DER length');
  }
  if (i + len > bytes.length) throw new DerError('truncated DER value');
  return {
    tag,
    cls,
    constructed,
    tagNumber,
    content: bytes.subarray(i, i + len),
    raw: bytes.subarray(offset, i + len),
    end: i + len,
  };
}

/** One whole DER value: nothing may follow it. */
export function readWhole(bytes) {
  const t = readTlv(bytes, 0);
  if (t.end !== bytes.length) throw new DerError('trailing bytes after the DER value');
  return t;
}

/** The children of a constructed value. */
export function children(tlv) {
  if (!tlv.constructed) throw new DerError('expected a constructed DER value');
  const out = [];
  let i = 0;
  while (i < tlv.content.length) {
    const c = readTlv(tlv.content, i);
    out.push(c);
    i = c.end;
  }
  return out;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
};

export function expect(tlv, tag, what) {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected ${what}`);
  return tlv;
}

export function oidOf(tlv) {
  expect(tlv, TAG.OID, 'an OBJECT IDENTIFIER');
  const b = tlv.content;
  if (b.length === 0 || (b[b.length - 1] & 0x80) !== 0) throw new DerError('malformed OBJECT IDENTIFIER');
  const parts = [];
  let v = 0n;
  for (let i = 0; i < b.length; i++) {
    if (v === 0n && b[i] === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER');
    v = (v << 7n) | BigInt(b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) {
      if (parts.length === 0) {
        const first = v < 40n ? 0n : v < 80n ? 1n : 2n;
        parts.push(first, v - first * 40n);
      } else {
        parts.push(v);
      }
      v = 0n;
    }
  }
  return parts.join('.');
}

/** INTEGER content as BigInt (two's complement), minimal encoding required. */
export function integerOf(tlv) {
  expect(tlv, TAG.INTEGER, 'an INTEGER');
  const b = tlv.content;
  if (b.length === 0) throw new DerError('empty INTEGER');
  if (b.length > 1 && ((b[0] === 0 && (b[1] & 0x80) === 0) || (b[0] === 0xff && (b[1] & 0x80) !== 0))) {
    throw new DerError('non-minimal INTEGER');
  }
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  if (b[0] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v;
}

export function booleanOf(tlv) {
  expect(tlv, TAG.BOOLEAN, 'a BOOLEAN');
  if (tlv.content.length !== 1 || (tlv.content[0] !== 0 && tlv.content[0] !== 0xff)) throw new DerError('non-DER BOOLEAN');
  return tlv.content[0] === 0xff;
}

/** BIT STRING → { unused, bytes }. */
export function bitStringOf(tlv) {
  expect(tlv, TAG.BIT_STRING, 'a BIT STRING');
  const b = tlv.content;
  if (b.length === 0 || b[0] > 7 || (b.length === 1 && b[0] !== 0)) throw new DerError('malformed BIT STRING');
  if (b.length > 1 && b[0] > 0 && (b[b.length - 1] & ((1 << b[0]) - 1)) !== 0) throw new DerError('non-DER BIT STRING');
  return { unused: b[0], bytes: b.subarray(1) };
}

/** UTCTime / GeneralizedTime → Unix ms. */
export function timeOf(tlv) {
  const s = new TextDecoder().decode(tlv.content);
  let m;
  if (tlv.tag === TAG.UTCTime) {
    m = /^([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})Z$/.exec(s);
    if (!m) throw new DerError('malformed UTCTime');
    const yy = Number(m[1]);
    return utc(yy < 50 ? 2000 + yy : 1900 + yy, m, 0);
  }
  if (tlv.tag === TAG.GeneralizedTime) {
    m = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})(?:\.([0-9]*[1-9]))?Z$/.exec(s);
    if (!m) throw new DerError('malformed GeneralizedTime');
    return utc(Number(m[1]), m, m[7] ? Math.floor(Number('0.' + m[7]) * 1000) : 0);
  }
  throw new DerError('expected a time');
}

function utc(year, m, ms) {
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), ms);
  return d.getTime();
}

/** A directory string's text. */
export function stringOf(tlv) {
  const b = tlv.content;
  switch (tlv.tag) {
    case TAG.UTF8String: {
      const s = new TextDecoder('utf-8', { fatal: true }).decode(b);
      return s;
    }
    case TAG.PrintableString:
    case TAG.IA5String:
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return String.fromCharCode(...b);
    case TAG.TeletexString:
      return String.fromCharCode(...b);
    case TAG.BMPString: {
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i] << 8) | b[i + 1]);
      return s;
    }
    case TAG.UniversalString: {
      let s = '';
      for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0);
      return s;
    }
    default:
      return null;
  }
}
