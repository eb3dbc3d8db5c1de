// X.509 certificates and CRLs (RFC 5280), parsed strictly from DER, with ECDSA signatures verified by @noble/curves.
// Certificates and CRLs this project issues are ECDSA P-256 with SHA-256 (node/Customs.Ledger.Pki/PkiAlgorithms.cs);
// ECDSA with SHA-384/512 and P-384 keys are also verified. Anything else (RSA…) cannot be verified here and counts as a
// signature that does not verify — never as a valid one.
import { p256, p384 } from '@noble/curves/nist.js';
import { readWhole, readTlv, children, expect, oidOf, integerOf, booleanOf, bitStringOf, timeOf, stringOf, TAG, DerError } from './der.js';
import { sha256, sha384, sha512 } from './hash.js';
import { toHex, toHexUpper } from './bytes.js';
import { parsePublicKey, compressed } from './secp256k1.js';

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp256k1: '1.3.132.0.10',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ecdsaSha512: '1.2.840.10045.4.3.4',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  // Project extensions (node/Customs.Ledger.Pki/LedgerKeyExtension.cs, LedgerBindingsExtension.cs).
  ledgerKey: '2.25.40126525862627689282390897465844483569',
  ledgerBindings: '2.25.6975185512383344699784107759187355377',
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  SERIALNUMBER: '2.5.4.5',
  E: '1.2.840.113549.1.9.1',
};

// Signature algorithms the C# trust store accepts for certificates (RSA ones cannot be verified here).
export const ACCEPTED_SIGNATURE_ALGORITHMS = new Set([
  OID.ecdsaSha256, OID.ecdsaSha384, OID.ecdsaSha512,
  '1.2.840.113549.1.1.11', '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13', '1.2.840.113549.1.1.10',
]);

const NAME_SYMBOLS = { [OID.C]: 'C', [OID.O]: 'O', [OID.OU]: 'OU', [OID.CN]: 'CN', [OID.L]: 'L', [OID.ST]: 'ST', [OID.SERIALNUMBER]: 'SERIALNUMBER', [OID.E]: 'E' };

/** Name → { raw, rdns: [[{ oid, value }]] }. */
function parseName(tlv) {
  expect(tlv, TAG.SEQUENCE, 'a Name');
  const rdns = children(tlv).map((set) => {
    expect(set, TAG.SET, 'a RelativeDistinguishedName');
    return children(set).map((atv) => {
      const [type, value] = children(expect(atv, TAG.SEQUENCE, 'an AttributeTypeAndValue'));
      return { oid: oidOf(type), value: stringOf(value) ?? '#' + toHex(value.raw) };
    });
  });
  return { raw: tlv.raw, rdns };
}

/** The name as BouncyCastle prints it ("C=GB,O=HMRC,CN=GB-HMRC"), for reasons. */
export function formatName(name) {
  return name.rdns
    .map((rdn) => rdn.map((a) => `${NAME_SYMBOLS[a.oid] ?? a.oid}=${a.value.replace(/([,+="\\<>;])/g, '\\$1')}`).join('+'))
    .join(',');
}

/** Values of one attribute type across the name (X509Name.GetValueList). */
export function nameValues(name, oid) {
  return name.rdns.flat().filter((a) => a.oid === oid).map((a) => a.value);
}

const canonical = (v) => v.toLowerCase().trim().replace(/\s+/g, ' ');

/** Name equivalence as BouncyCastle's X509Name.Equivalent(other, inOrder: true): same attributes in order, values compared case- and space-insensitively. */
export function sameName(a, b) {
  if (a.raw.length === b.raw.length && toHex(a.raw) === toHex(b.raw)) return true;
  const fa = a.rdns.flat();
  const fb = b.rdns.flat();
  if (fa.length !== fb.length) return false;
  return fa.every((x, i) => x.oid === fb[i].oid && canonical(x.value) === canonical(fb[i].value));
}

function parseAlgorithm(tlv) {
  const parts = children(expect(tlv, TAG.SEQUENCE, 'an AlgorithmIdentifier'));
  return { oid: oidOf(parts[0]), params: parts[1] ?? null, raw: tlv.raw };
}

function parseSpki(tlv) {
  const [alg, key] = children(expect(tlv, TAG.SEQUENCE, 'a SubjectPublicKeyInfo'));
  const algorithm = parseAlgorithm(alg);
  const bits = bitStringOf(key);
  let curve = null;
  if (algorithm.oid === OID.ecPublicKey && algorithm.params && algorithm.params.tag === TAG.OID) curve = oidOf(algorithm.params);
  return { raw: tlv.raw, algorithm: algorithm.oid, curve, publicKey: bits.unused === 0 ? bits.bytes : null };
}

function parseExtensions(tlv) {
  const list = [];
  for (const ext of children(expect(tlv, TAG.SEQUENCE, 'Extensions'))) {
    const parts = children(expect(ext, TAG.SEQUENCE, 'an Extension'));
    const oid = oidOf(parts[0]);
    let critical = false;
    let k = 1;
    if (parts[k] && parts[k].tag === TAG.BOOLEAN) {
      critical = booleanOf(parts[k]);
      if (!critical) throw new DerError('DER forbids an explicit critical FALSE');
      k++;
    }
    const value = expect(parts[k], TAG.OCTET_STRING, 'an extension value').content;
    if (parts.length !== k + 1) throw new DerError('malformed Extension');
    if (list.some((e) => e.oid === oid)) throw new DerError('repeated extension');
    list.push({ oid, critical, value });
  }
  return list;
}

/** Serial as the C# formats it: upper-case hex of the unsigned magnitude (BigInteger.ToByteArrayUnsigned). */
function formatSerial(serial) {
  if (serial === 0n) return '';
  let hex = (serial < 0n ? -serial : serial).toString(16).toUpperCase();
  if (hex.length % 2) hex = '0' + hex;
  return hex;
}

/**
 * Parses one DER certificate strictly. Throws DerError when it is not one.
 * Returns { der, tbs, signatureAlgorithm, signature, version, serial, serialHex, issuer, subject, notBefore, notAfter,
 * spki, extensions, basicConstraints, keyUsage, fingerprint }.
 */
export function parseCertificate(der) {
  const top = readWhole(der);
  const [tbs, sigAlg, sigValue, ...rest] = children(expect(top, TAG.SEQUENCE, 'a Certificate'));
  if (rest.length || !tbs || !sigAlg || !sigValue) throw new DerError('malformed Certificate');
  const f = children(expect(tbs, TAG.SEQUENCE, 'a TBSCertificate'));
  let k = 0;
  let version = 1;
  if (f[k] && f[k].tag === 0xa0) {
    const inner = children(f[k]);
    if (inner.length !== 1) throw new DerError('malformed version');
    version = Number(integerOf(inner[0])) + 1;
    if (version === 1) throw new DerError('DER forbids an explicit default version');
    k++;
  }
  const serial = integerOf(f[k++]);
  const innerAlg = parseAlgorithm(f[k++]);
  const issuer = parseName(f[k++]);
  const validity = children(expect(f[k++], TAG.SEQUENCE, 'a Validity'));
  if (validity.length !== 2) throw new DerError('malformed Validity');
  const subject = parseName(f[k++]);
  const spki = parseSpki(f[k++]);
  let extensions = [];
  while (k < f.length) {
    const t = f[k++];
    if (t.tag === 0x81 || t.tag === 0x82 || t.tag === 0xa1 || t.tag === 0xa2) continue; // unique ids
    if (t.tag === 0xa3) {
      const inner = children(t);
      if (inner.length !== 1) throw new DerError('malformed extensions');
      extensions = parseExtensions(inner[0]);
      continue;
    }
    throw new DerError('unexpected field in TBSCertificate');
  }
  const outerAlg = parseAlgorithm(sigAlg);
  const sig = bitStringOf(sigValue);
  if (sig.unused !== 0) throw new DerError('the signature is not whole bytes');
  const cert = {
    der,
    tbs: tbs.raw,
    signatureAlgorithm: outerAlg.oid,
    algorithmsAgree: toHex(outerAlg.raw) === toHex(innerAlg.raw),
    signature: sig.bytes,
    version,
    serial,
    serialHex: formatSerial(serial),
    issuer,
    subject,
    notBefore: timeOf(validity[0]),
    notAfter: timeOf(validity[1]),
    spki,
    extensions,
    fingerprint: toHex(sha256(der)),
  };
  cert.basicConstraints = readBasicConstraints(cert);
  cert.keyUsage = readKeyUsage(cert);
  return cert;
}

export function extension(cert, oid) {
  return cert.extensions.find((e) => e.oid === oid) ?? null;
}

/** { ca, pathLen } or null when absent. */
function readBasicConstraints(cert) {
  const e = extension(cert, OID.basicConstraints);
  if (!e) return null;
  const parts = children(readWhole(e.value));
  let ca = false;
  let pathLen = null;
  let k = 0;
  if (parts[k] && parts[k].tag === TAG.BOOLEAN) ca = booleanOf(parts[k++]);
  if (parts[k] && parts[k].tag === TAG.INTEGER) pathLen = Number(integerOf(parts[k++]));
  if (k !== parts.length) throw new DerError('malformed BasicConstraints');
  return { ca, pathLen };
}

/** Key usage bits (index 0 = digitalSignature … 5 = keyCertSign, 6 = cRLSign), or null when absent. */
function readKeyUsage(cert) {
  const e = extension(cert, OID.keyUsage);
  if (!e) return null;
  const { bytes, unused } = bitStringOf(readWhole(e.value));
  const bits = [];
  for (let i = 0; i < bytes.length * 8 - unused; i++) bits.push((bytes[i >> 3] & (0x80 >> (i & 7))) !== 0);
  return bits;
}

/** A CA certificate as the C# ConsortiumCa.IsCa says: v3, BasicConstraints cA, KeyUsage keyCertSign. */
export function isCa(cert) {
  return cert.version === 3 && cert.basicConstraints?.ca === true && cert.keyUsage !== null && cert.keyUsage.length > 5 && cert.keyUsage[5];
}

/**
 * The secp256k1 ledger key the certificate binds (33-byte compressed), null when it has no such extension.
 * Throws when the extension is present but is not a secp256k1 SubjectPublicKeyInfo with a valid point.
 */
export function ledgerKeyOf(cert) {
  const e = extension(cert, OID.ledgerKey);
  if (!e) return null;
  let spki;
  try {
    spki = parseSpki(readWhole(e.value));
  } catch {
    throw new Error('The ledger-key extension is not a SubjectPublicKeyInfo.');
  }
  if (spki.algorithm !== OID.ecPublicKey || spki.curve !== OID.secp256k1) throw new Error('The ledger-key extension does not hold a secp256k1 key.');
  const point = parsePublicKey(spki.publicKey);
  if (!point) throw new Error('Not a valid secp256k1 public key encoding.');
  return compressed(point);
}

const LEDGER_ID = /^(embedded:[A-Za-z0-9._-]{1,64}|eip155:[0-9]{1,19}:0x[0-9a-fA-F]{40}|fabric:[A-Za-z0-9._-]{1,64}:[A-Za-z0-9._-]{1,64})$/;
export const isLedgerId = (id) => typeof id === 'string' && LEDGER_ID.test(id);

/** Ledger ids the certificate binds (SEQUENCE OF UTF8String, ≤ 16, each a ledger id); empty when absent or malformed. */
export function ledgerBindingsOf(cert) {
  const e = extension(cert, OID.ledgerBindings);
  if (!e) return [];
  try {
    const ids = children(expect(readWhole(e.value), TAG.SEQUENCE, 'a SEQUENCE')).map((s) => {
      expect(s, TAG.UTF8String, 'a UTF8String');
      return stringOf(s);
    });
    return ids.length <= 16 && ids.every(isLedgerId) ? ids : [];
  } catch {
    return [];
  }
}

const HASHES = { [OID.ecdsaSha256]: sha256, [OID.ecdsaSha384]: sha384, [OID.ecdsaSha512]: sha512 };

/**
 * Verifies an ECDSA signature (DER) over `message` with the public key of `signerSpki`, hashed per `algorithm`.
 * False for anything it cannot verify (RSA, another curve, a malformed signature or key).
 */
export function verifyEcdsa(algorithm, message, signature, signerSpki) {
  const hash = HASHES[algorithm];
  if (!hash || !signerSpki || signerSpki.algorithm !== OID.ecPublicKey || !signerSpki.publicKey) return false;
  const curve = signerSpki.curve === OID.prime256v1 ? p256 : signerSpki.curve === OID.secp384r1 ? p384 : null;
  if (!curve) return false;
  try {
    const digest = hash(message);
    return curve.verify(signature, digest, signerSpki.publicKey, { prehash: false, format: 'der', lowS: false });
  } catch {
    return false;
  }
}

/** True when `cert` names `issuer` as its issuer and is signed with its key (CRLs: pass the CRL). */
export function isSignedBy(item, issuer) {
  return item.algorithmsAgree && sameName(item.issuer, issuer.subject) && verifyEcdsa(item.signatureAlgorithm, item.tbs, item.signature, issuer.spki);
}

/**
 * Parses one DER CRL strictly; refuses critical extensions (delta CRLs, IDPs…), as the C# RevocationList does.
 * Returns { der, tbs, signatureAlgorithm, signature, issuer, thisUpdate, nextUpdate, crlNumber, entries: Map(serial → { date, reason }) }.
 */
export function parseCrl(der) {
  const top = readWhole(der);
  const [tbs, sigAlg, sigValue, ...rest] = children(expect(top, TAG.SEQUENCE, 'a CertificateList'));
  if (rest.length || !tbs || !sigAlg || !sigValue) throw new DerError('malformed CertificateList');
  const f = children(expect(tbs, TAG.SEQUENCE, 'a TBSCertList'));
  let k = 0;
  if (f[k] && f[k].tag === TAG.INTEGER) {
    if (integerOf(f[k]) !== 1n) throw new DerError('unsupported CRL version');
    k++;
  }
  const innerAlg = parseAlgorithm(f[k++]);
  const issuer = parseName(f[k++]);
  const thisUpdate = timeOf(f[k++]);
  let nextUpdate = null;
  if (f[k] && (f[k].tag === TAG.UTCTime || f[k].tag === TAG.GeneralizedTime)) nextUpdate = timeOf(f[k++]);
  const entries = new Map();
  if (f[k] && f[k].tag === TAG.SEQUENCE) {
    for (const entry of children(f[k++])) {
      const parts = children(expect(entry, TAG.SEQUENCE, 'a revoked certificate'));
      const serial = integerOf(parts[0]);
      const date = timeOf(parts[1]);
      let reason = null;
      if (parts[2]) {
        for (const e of parseExtensions(parts[2])) {
          if (e.critical) throw new DerError('A CRL entry has unsupported critical extensions.');
          if (e.oid === OID.reasonCode) {
            try {
              const t = readWhole(e.value);
              if (t.tag !== TAG.ENUMERATED) throw new DerError('reason');
              let v = 0;
              for (const b of t.content) v = v * 256 + b;
              reason = v;
            } catch {
              reason = 0;
            }
          }
        }
      }
      if (!entries.has(serial)) entries.set(serial, { date, reason });
    }
  }
  let crlNumber = null;
  if (f[k] && f[k].tag === 0xa0) {
    const inner = children(f[k++]);
    for (const e of parseExtensions(inner[0])) {
      if (e.critical) throw new DerError(`The CRL has unsupported critical extensions (${e.oid}).`);
      if (e.oid === OID.crlNumber) {
        const v = integerOf(readWhole(e.value));
        crlNumber = v < 0n ? -v : v;
      }
    }
  }
  if (k !== f.length) throw new DerError('unexpected field in TBSCertList');
  const outerAlg = parseAlgorithm(sigAlg);
  const sig = bitStringOf(sigValue);
  return {
    der,
    tbs: tbs.raw,
    signatureAlgorithm: outerAlg.oid,
    algorithmsAgree: toHex(outerAlg.raw) === toHex(innerAlg.raw),
    signature: sig.bytes,
    issuer,
    thisUpdate,
    nextUpdate,
    crlNumber,
    entries,
  };
}

const REASONS = { 0: 'Unspecified', 1: 'KeyCompromise', 2: 'CaCompromise', 3: 'AffiliationChanged', 4: 'Superseded', 5: 'CessationOfOperation', 9: 'PrivilegeWithdrawn' };

/** The C# RevocationReason name of a CRL reason code (unknown or absent → Unspecified). */
export const reasonName = (code) => REASONS[code] ?? 'Unspecified';

export { toHexUpper, readTlv };
