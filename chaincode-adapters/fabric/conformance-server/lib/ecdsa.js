'use strict';

// ECDSA P-256 signatures the way Fabric's bccsp (sw) makes and checks them: SHA-256 digest, ASN.1 DER
// SEQUENCE{INTEGER r, INTEGER s}, and S in the lower half of the curve order ("low-S"), which Fabric requires on
// verification (bccsp/sw/ecdsa.go: "Invalid S. Must be smaller than half the order") and enforces when signing.

const crypto = require('node:crypto');

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const P256_HALF_ORDER = P256_ORDER >> 1n;

function readLength(buf, offset) {
    const first = buf[offset];
    if (first === undefined) throw new Error('truncated DER length');
    if (first < 0x80) return { length: first, next: offset + 1 };
    const count = first & 0x7f;
    if (count === 0 || count > 2) throw new Error('unsupported DER length');
    let length = 0;
    for (let i = 0; i < count; i += 1) {
        const b = buf[offset + 1 + i];
        if (b === undefined) throw new Error('truncated DER length');
        length = (length << 8) | b;
    }
    if (length < 0x80) throw new Error('non-minimal DER length');
    return { length, next: offset + 1 + count };
}

function readInteger(buf, offset) {
    if (buf[offset] !== 0x02) throw new Error('expected a DER INTEGER');
    const { length, next } = readLength(buf, offset + 1);
    if (length === 0 || next + length > buf.length) throw new Error('bad DER INTEGER length');
    const bytes = buf.subarray(next, next + length);
    if (bytes[0] & 0x80) throw new Error('negative DER INTEGER');
    if (length > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)) throw new Error('non-minimal DER INTEGER');
    return { value: BigInt(`0x${bytes.toString('hex')}`), next: next + length };
}

/** Parses a DER ECDSA signature strictly; throws on anything else (trailing bytes included). */
function parseDerSignature(signature) {
    const buf = Buffer.from(signature);
    if (buf[0] !== 0x30) throw new Error('signature is not a DER SEQUENCE');
    const { length, next } = readLength(buf, 1);
    if (next + length !== buf.length) throw new Error('signature has trailing or missing bytes');
    const r = readInteger(buf, next);
    const s = readInteger(buf, r.next);
    if (s.next !== buf.length) throw new Error('signature SEQUENCE has extra elements');
    if (r.value <= 0n || s.value <= 0n) throw new Error('invalid signature, R and S must be larger than zero');
    return { r: r.value, s: s.value };
}

function encodeLength(length) {
    if (length < 0x80) return Buffer.from([length]);
    const bytes = [];
    for (let l = length; l > 0; l >>= 8) bytes.unshift(l & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** DER INTEGER of a non-negative bigint (Go's asn1 / big.Int encoding). */
function encodeInteger(value) {
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02]), encodeLength(bytes.length), bytes]);
}

function encodeOctetString(bytes) {
    const b = Buffer.from(bytes || []);
    return Buffer.concat([Buffer.from([0x04]), encodeLength(b.length), b]);
}

function encodeSequence(...parts) {
    const body = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([0x30]), encodeLength(body.length), body]);
}

function encodeDerSignature(r, s) {
    return encodeSequence(encodeInteger(r), encodeInteger(s));
}

function isLowS(s) {
    return s <= P256_HALF_ORDER;
}

/** Signs SHA-256(message) with a P-256 private KeyObject; returns low-S DER, as Fabric's signers do. */
function sign(privateKey, message) {
    const der = crypto.sign('sha256', Buffer.from(message), { key: privateKey, dsaEncoding: 'der' });
    const { r, s } = parseDerSignature(der);
    return isLowS(s) ? der : encodeDerSignature(r, P256_ORDER - s);
}

/**
 * Checks a signature as Fabric does: strict DER, R and S positive, low-S, then ECDSA over SHA-256(message).
 * Returns null when valid, else the reason.
 */
function verify(publicKey, message, signature) {
    let parsed;
    try {
        parsed = parseDerSignature(signature);
    } catch (err) {
        return `failed unmashalling signature: ${err.message}`;
    }
    if (!isLowS(parsed.s)) {
        return `Invalid S. Must be smaller than half the order [${P256_HALF_ORDER.toString(10)}][${parsed.s.toString(10)}].`;
    }
    const ok = crypto.verify('sha256', Buffer.from(message), { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signature));
    return ok ? null : 'The signature is invalid';
}

module.exports = {
    P256_ORDER,
    P256_HALF_ORDER,
    parseDerSignature,
    encodeDerSignature,
    encodeInteger,
    encodeOctetString,
    encodeSequence,
    isLowS,
    sign,
    verify,
};
