// What the verifier trusts (docs/TRUST.md "Trust anchors", "The consortium trust list"): CA certificates, their CRLs
// and at most one signed consortium trust list. It certifies an issuer from the bundle's certificate chain only —
// never from the bundle's own fields — and says whether a ledger belongs to the certified issuer.
//
// The rules follow the C# TrustStore / IssuerAuthority (node/Customs.Ledger.Pki), which settle what the docs leave
// open: chains of at most 5 certificates; the node certificate must be X.509 v3, not a CA, with no unknown critical
// extension, KeyUsage (if any) with digitalSignature, exactly one C (ISO alpha-2), O and CN, and a valid ledger-key
// extension; a CRL is required for every CA of the path and must be current now; validity and revocation are judged
// at the anchor time; a revocation after it is reported, not fatal.
import { p256 } from '@noble/curves/nist.js';
import * as DER from './der.js';
import { pemBlocks } from './pem.js';
import { parseCertificate, parseCrl, isCa, isSignedBy, sameName, formatName, nameValues, ledgerKeyOf, ledgerBindingsOf, OID, ACCEPTED_SIGNATURE_ALGORITHMS, reasonName, isLedgerId, verifyEcdsa } from './x509.js';
import { fromBase64, toHex, utf8, concat, asciiLower } from './bytes.js';
import { sha256 } from './hash.js';
import { parseJson, int64Of } from './json.js';
import { VALID, INVALID, UNVERIFIED, formatU, formatIso } from './report.js';
import { parseNoteKey, witnessPolicy, PolicyError, MAX_POLICY_KEYS } from './transparency.js';

/** Longest chain accepted from a bundle: the node certificate and up to four intermediates (TrustStore.MaxChainLength). */
export const MAX_CHAIN_LENGTH = 5;
export const TRUST_LIST_PAYLOAD_TYPE = 'application/vnd.customs-ledger.trust-list+json';
const TRUST_LIST_FORMAT = 'customs-ledger/trust-list/1';
const MAX_TRUST_LIST_CHARS = 1024 * 1024;
const MAX_INTERMEDIATE_CRLS = 256;
const UNDERSTOOD_CRITICAL = new Set([OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectAltName]);

export class TrustError extends Error {}

const isOlder = (candidate, current) =>
  candidate.crlNumber !== null && current.crlNumber !== null ? candidate.crlNumber < current.crlNumber : candidate.thisUpdate < current.thisUpdate;

/**
 * Reads trust inputs: PEM texts (certificates and/or CRLs), DER CRLs (Uint8Array), and at most one trust-list JSON text.
 * Throws TrustError with a clear reason when an input is unreadable, holds no CA certificate, or a trust list does
 * not verify. Returns a Trust.
 */
export function parseTrust(inputs) {
  if (!Array.isArray(inputs)) inputs = [inputs];
  const authorities = [];
  const crls = [];
  let list = null;
  inputs.forEach((input, n) => {
    const label = `trust input ${n + 1}`;
    if (input instanceof Uint8Array) {
      // A DER file: a CRL (as the C# loads *.crl beside the trust files) or a certificate.
      try {
        crls.push(parseCrl(input));
      } catch {
        try {
          authorities.push(parseCertificate(input));
        } catch {
          throw new TrustError(`${label} is neither a DER CRL nor a DER certificate`);
        }
      }
      return;
    }
    if (typeof input !== 'string') throw new TrustError(`${label} is not text`);
    if (input.trimStart().startsWith('{')) {
      if (list) throw new TrustError('Only one trust list can be given.');
      list = parseTrustList(input);
      authorities.push(...list.authorities);
      crls.push(...list.crls);
      return;
    }
    let blocks;
    try {
      blocks = pemBlocks(input);
    } catch (e) {
      throw new TrustError(`${label}: ${e.message}`);
    }
    const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
    const fileCrls = blocks.filter((b) => b.label === 'X509 CRL');
    if (certs.length === 0 && fileCrls.length === 0) throw new TrustError(`${label} holds no PEM certificate, CRL or trust list.`);
    for (const b of certs) {
      try {
        authorities.push(parseCertificate(b.der));
      } catch {
        throw new TrustError(`The trust anchor in ${label} is not a valid DER X.509 certificate.`);
      }
    }
    for (const b of fileCrls) {
      try {
        crls.push(parseCrl(b.der));
      } catch (e) {
        throw new TrustError(`A CRL in ${label} is not a valid X.509 CRL (${e.message}).`);
      }
    }
  });
  return new Trust(authorities, crls, list);
}

export class Trust {
  constructor(authorities, crls, list) {
    const seen = new Set();
    this.authorities = authorities.filter((a) => {
      const key = toHex(a.der);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (this.authorities.length === 0) throw new TrustError('No trust anchor (CA certificate) in the trust files.');
    for (const a of this.authorities) {
      if (!isCa(a)) throw new TrustError(`'${formatName(a.subject)}' is not a CA certificate (BasicConstraints cA and keyCertSign are required).`);
    }
    this.list = list;
    this.anchorCrls = new Array(this.authorities.length).fill(null);
    this.intermediateCrls = [];
    const seenCrl = new Set();
    for (const crl of crls) {
      const key = toHex(crl.der);
      if (seenCrl.has(key)) continue;
      seenCrl.add(key);
      this.addCrl(crl);
    }
    this.description = 'trust anchors: ' + this.authorities.map((a) => formatName(a.subject)).join('; ') + (list ? `; trust list '${list.consortium}' #${list.sequence}` : '');
  }

  addCrl(crl) {
    const index = this.authorities.findIndex((a) => isSignedBy(crl, a));
    if (index < 0) {
      if (this.authorities.some((a) => sameName(crl.issuer, a.subject))) {
        throw new TrustError(`The CRL of '${formatName(crl.issuer)}' is not signed by a configured CA.`);
      }
      if (this.intermediateCrls.length >= MAX_INTERMEDIATE_CRLS) throw new TrustError(`At most ${MAX_INTERMEDIATE_CRLS} CRLs of intermediate CAs are held.`);
      this.intermediateCrls.push(crl);
      return;
    }
    const current = this.anchorCrls[index];
    if (current && isOlder(crl, current)) return;
    this.anchorCrls[index] = crl;
  }

  /** What the page shows: each anchor's subject CN and its CRL's next update; the trust list's consortium and sequence. */
  summary() {
    return {
      anchors: this.authorities.map((a, i) => ({
        subject: formatName(a.subject),
        cn: nameValues(a.subject, OID.CN)[0] ?? formatName(a.subject),
        crlNextUpdate: this.anchorCrls[i]?.nextUpdate ?? null,
      })),
      trustList: this.list ? { consortium: this.list.consortium, sequence: this.list.sequence, nextUpdate: this.list.nextUpdate } : null,
    };
  }

  /**
   * Validates a certificate path (DER, leaf first) against the anchors without regard to time. Never throws.
   * Returns an IssuerCertificate: { verdict, reason, country, agency, nodeId, ledgerKey, serial, anchorSubject, path }.
   */
  resolve(chain) {
    // A path depends only on the chain's bytes and this (immutable) trust: remembered per chain, as the C# verifier
    // remembers it per certificate, so the bundles of one issuer pay the P-256 checks once. At most 256 chains.
    if (!Array.isArray(chain)) return this.#resolve(chain);
    const key = chain.map((der) => (der instanceof Uint8Array ? toHex(der) : '?')).join('.');
    let resolved = this.#resolved.get(key);
    if (resolved === undefined) {
      resolved = this.#resolve(chain);
      if (this.#resolved.size >= 256) this.#resolved.clear();
      this.#resolved.set(key, resolved);
    }
    return resolved;
  }

  #resolved = new Map();

  #resolve(chain) {
    const refusal = this.#buildPath(chain);
    if (refusal.refused) {
      return { verdict: INVALID, reason: `the issuer certificate is not certified by a trust anchor: ${refusal.detail} (${this.description})`, serial: refusal.serial ?? null };
    }
    const path = refusal;
    const { identity } = path;
    const anchor = path.certs[path.certs.length - 1];
    const name = `${identity.country}/${identity.agency}/${identity.nodeId}`;
    if (this.list) {
      const refused = (reason) => ({ verdict: INVALID, reason, serial: path.serial });
      const member = this.list.member(identity.nodeId);
      if (!member) return refused(`${name} is not a member of trust list '${this.list.consortium}' #${this.list.sequence}`);
      if (member.country !== identity.country || member.agency !== identity.agency) {
        return refused(`the trust list names node ${identity.nodeId} as ${member.country}/${member.agency}, the certificate as ${identity.country}/${identity.agency}`);
      }
      if (member.authorities.length > 0 && !member.authorities.includes(anchor.fingerprint)) {
        return refused(`${name} is certified by '${formatName(anchor.subject)}', which trust list '${this.list.consortium}' does not allow to certify it`);
      }
      if (member.certificates.length > 0 && !member.certificates.includes(path.fingerprint)) {
        return refused(`the certificate ${path.serial} is not one of those trust list '${this.list.consortium}' lists for ${name}`);
      }
    }
    return {
      verdict: VALID,
      reason: 'certified',
      country: identity.country,
      agency: identity.agency,
      nodeId: identity.nodeId,
      ledgerKey: identity.ledgerKey,
      serial: path.serial,
      anchorSubject: formatName(anchor.subject),
      name,
      path,
    };
  }

  #buildPath(chain) {
    const refuse = (detail, serial) => ({ refused: true, detail, serial });
    if (!Array.isArray(chain) || chain.length === 0) return refuse('No certificate.');
    if (chain.length > MAX_CHAIN_LENGTH) return refuse(`A certificate chain holds at most ${MAX_CHAIN_LENGTH} certificates.`);
    let leaf;
    try {
      leaf = parseCertificate(chain[0]);
    } catch {
      return refuse('The certificate is not a valid DER X.509 certificate.');
    }
    const serial = leaf.serialHex;
    const identity = checkLeaf(leaf);
    if (identity.refused) return refuse(identity.detail, serial);

    let nameMatched = false;
    for (let i = 0; i < this.authorities.length; i++) {
      const a = this.authorities[i];
      if (!sameName(leaf.issuer, a.subject)) continue;
      nameMatched = true;
      if (isSignedBy(leaf, a)) return makePath([leaf, a], i, identity, serial);
    }

    if (chain.length > 1) {
      const intermediates = [];
      for (const der of chain.slice(1)) {
        let c = null;
        try {
          c = parseCertificate(der);
        } catch {
          c = null;
        }
        if (!c || !isCa(c) || !ACCEPTED_SIGNATURE_ALGORITHMS.has(c.signatureAlgorithm)) {
          return refuse('An intermediate certificate is malformed, not a CA, or signed with an algorithm that is not accepted.', serial);
        }
        intermediates.push(c);
      }
      const found = this.#throughIntermediates(leaf, intermediates);
      if (found) return makePath([leaf, ...found.path], found.anchorIndex, identity, serial);
      return refuse('The intermediates do not lead to a configured consortium CA (no path).', serial);
    }

    return refuse(
      nameMatched
        ? `The signature does not verify with the key of consortium CA '${formatName(leaf.issuer)}' (a foreign CA with the same name, or a tampered certificate).`
        : `Issuer '${formatName(leaf.issuer)}' is not a configured consortium CA.`,
      serial,
    );
  }

  /** Depth-first search from the leaf through the given intermediates to an anchor: names chain, signatures verify, path lengths hold. */
  #throughIntermediates(leaf, intermediates) {
    const search = (current, used) => {
      if (used.length > 0) {
        for (let i = 0; i < this.authorities.length; i++) {
          const a = this.authorities[i];
          if (sameName(current.issuer, a.subject) && isSignedBy(current, a) && pathLengthsHold([...used, a])) {
            return { path: [...used, a], anchorIndex: i };
          }
        }
      }
      if (used.length >= MAX_CHAIN_LENGTH - 1) return null;
      for (const c of intermediates) {
        if (used.includes(c) || !sameName(current.issuer, c.subject) || !isSignedBy(current, c)) continue;
        const r = search(c, [...used, c]);
        if (r) return r;
      }
      return null;
    };
    return search(leaf, []);
  }

  /**
   * The standing at `atMs` of every certificate of a resolved path: within validity, not revoked at or before `atMs`
   * by its CA's CRL, which must be current at `nowMs` (and, with a trust list, the list not past its nextUpdate).
   * Missing or stale revocation information is UNVERIFIED, never VALID.
   */
  standingAt(certificate, atMs, nowMs) {
    const path = certificate?.path;
    if (!path) return { verdict: INVALID, reason: 'the certificate was not resolved by this authority' };
    if (this.list && this.list.nextUpdate !== null && nowMs > this.list.nextUpdate) {
      return { verdict: UNVERIFIED, reason: `trust list '${this.list.consortium}' #${this.list.sequence} expired at ${formatU(this.list.nextUpdate)}: get the consortium's current list` };
    }
    const certs = path.certs;
    const what = (i) => (i === 0 ? 'The certificate' : i === certs.length - 1 ? 'The issuing consortium CA' : `The intermediate CA '${formatName(certs[i].subject)}'`);
    for (let i = certs.length - 1; i >= 0; i--) {
      const c = certs[i];
      if (atMs > c.notAfter) return { verdict: INVALID, reason: `${what(i)} expired at ${formatIso(c.notAfter)}.` };
      if (atMs < c.notBefore) return { verdict: INVALID, reason: `${what(i)} is valid only from ${formatIso(c.notBefore)}.` };
    }
    let revokedLater = null;
    for (let i = 0; i < certs.length - 1; i++) {
      const c = certs[i];
      const issuer = certs[i + 1];
      const crl = i + 1 === certs.length - 1 ? this.anchorCrls[path.anchorIndex] : this.#intermediateCrl(issuer);
      if (!crl) {
        return { verdict: UNVERIFIED, reason: `No CRL is configured for CA '${formatName(issuer.subject)}': revocation cannot be checked. Give the CA's current CRL (in or beside the trust file).` };
      }
      if (crl.nextUpdate !== null && nowMs > crl.nextUpdate) {
        return { verdict: UNVERIFIED, reason: `The CRL of '${formatName(issuer.subject)}' is stale (nextUpdate ${formatIso(crl.nextUpdate)}). Give the CA's current CRL (in or beside the trust file).` };
      }
      const entry = crl.entries.get(c.serial);
      if (entry) {
        const reason = reasonName(entry.reason ?? 0);
        if (entry.date <= atMs) return { verdict: INVALID, reason: `${what(i)} was revoked at ${formatIso(entry.date)} (${reason}).` };
        revokedLater ??= `${what(i).replace('The c', 'c')} was revoked later, at ${formatIso(entry.date)} (${reason})`;
      }
    }
    return {
      verdict: VALID,
      reason: revokedLater ? `valid and not revoked at ${formatU(atMs)} (${revokedLater}: batches anchored after that are not valid)` : `valid and not revoked at ${formatU(atMs)}`,
    };
  }

  #intermediateCrl(issuer) {
    let best = null;
    for (const crl of this.intermediateCrls) {
      if (isSignedBy(crl, issuer) && (best === null || isOlder(best, crl))) best = crl;
    }
    return best;
  }

  /** Whether ledger `ledgerId` belongs to the certified issuer: { bound, reason }. */
  bindsLedger(certificate, ledgerId) {
    if (ledgerId === 'embedded:' + certificate.nodeId) return { bound: true, reason: "the issuer's own embedded ledger" };
    if (ledgerId.startsWith('embedded:')) return { bound: false, reason: `the embedded ledger of another node, not of ${certificate.nodeId}` };
    const lower = asciiLower(ledgerId);
    const member = this.list?.member(certificate.nodeId ?? '');
    if (member && member.ledgers.some((l) => asciiLower(l) === lower)) {
      return { bound: true, reason: `bound to ${certificate.nodeId} by trust list '${this.list.consortium}'` };
    }
    if (certificate.path.ledgerBindings.some((l) => asciiLower(l) === lower)) {
      return { bound: true, reason: `bound to ${certificate.nodeId} by its certificate` };
    }
    return {
      bound: false,
      reason: `not bound to ${certificate.name}: neither the trust list nor the issuer's certificate names this ledger, so an anchor there proves nothing about the issuer's documents`,
    };
  }
}

function makePath(certs, anchorIndex, identity, serial) {
  return { certs, anchorIndex, identity, serial, fingerprint: certs[0].fingerprint, ledgerBindings: ledgerBindingsOf(certs[0]) };
}

/** Each CA's pathLenConstraint bounds the non-self-issued intermediates below it (RFC 5280 §4.2.1.9). */
function pathLengthsHold(cas) {
  for (let i = 0; i < cas.length; i++) {
    const limit = cas[i].basicConstraints?.pathLen;
    if (limit !== null && limit !== undefined) {
      let below = 0;
      for (let j = 0; j < i; j++) if (!sameName(cas[j].subject, cas[j].issuer)) below++;
      if (below > limit) return false;
    }
  }
  return true;
}

/** The node certificate's own rules; { country, agency, nodeId, ledgerKey } or { refused, detail }. */
function checkLeaf(cert) {
  const refuse = (detail) => ({ refused: true, detail });
  if (cert.version !== 3) return refuse('Only X.509 v3 certificates are accepted.');
  if (!ACCEPTED_SIGNATURE_ALGORITHMS.has(cert.signatureAlgorithm)) {
    return refuse(`Signature algorithm ${cert.signatureAlgorithm} is not accepted (SHA-256 or stronger ECDSA/RSA required).`);
  }
  const unknown = cert.extensions.filter((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.oid)).map((e) => e.oid);
  if (unknown.length > 0) return refuse(`Unknown critical extension(s): ${unknown.join(', ')}.`);
  if (cert.basicConstraints?.ca) return refuse('A CA certificate cannot be used as a node certificate.');
  if (cert.keyUsage !== null && (cert.keyUsage.length === 0 || !cert.keyUsage[0])) return refuse('KeyUsage does not allow digitalSignature (needed for TLS).');
  const single = (oid, label) => {
    const values = nameValues(cert.subject, oid);
    if (values.length !== 1 || !values[0]) throw new Error(`The certificate subject must carry exactly one ${label}.`);
    return values[0];
  };
  let country, agency, nodeId, ledgerKey;
  try {
    country = single(OID.C, 'C');
    agency = single(OID.O, 'O');
    nodeId = single(OID.CN, 'CN');
    if (!/^[A-Z]{2}$/.test(country)) throw new Error('The subject C is not an ISO 3166-1 alpha-2 code.');
    ledgerKey = ledgerKeyOf(cert);
  } catch (e) {
    return refuse(e.message);
  }
  if (ledgerKey === null) return refuse('The certificate binds no ledger key, so it cannot certify a batch signature.');
  return { country, agency, nodeId, ledgerKey };
}

// ---- consortium trust list (DSSE) ----

/** DSSE v1 pre-authentication encoding. */
export function pae(payloadType, payload) {
  return concat(utf8(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload);
}

function listError(why) {
  return new TrustError(`Malformed trust list: ${why}.`);
}

/**
 * Parses and checks a trust list on its own (a one-off verification has no earlier list): the envelope, the content,
 * and a threshold of its own signers' ECDSA P-256 signatures over the PAE.
 */
export function parseTrustList(text) {
  if (text.length > MAX_TRUST_LIST_CHARS) throw listError('the trust list exceeds 1 MiB');
  let payload;
  const signatures = [];
  try {
    const root = parseJson(text, { maxDepth: 8, duplicates: 'last' });
    if (!(root instanceof Map) || root.get('payloadType') !== TRUST_LIST_PAYLOAD_TYPE) {
      throw listError(`not a trust list (payloadType must be '${TRUST_LIST_PAYLOAD_TYPE}')`);
    }
    payload = fromBase64(root.get('payload'));
    const sigs = root.get('signatures');
    if (!payload || !Array.isArray(sigs)) throw listError('the trust list envelope is malformed');
    for (const s of sigs.slice(0, 32)) {
      const keyid = s instanceof Map ? s.get('keyid') : undefined;
      const sig = s instanceof Map ? fromBase64(s.get('sig')) : null;
      if (!(typeof keyid === 'string' || keyid === null) || !sig) throw listError('the trust list envelope is malformed');
      signatures.push({ keyid: keyid ?? '', sig });
    }
  } catch (e) {
    if (e instanceof TrustError) throw e;
    throw listError('the trust list envelope is malformed');
  }
  const content = parseContent(payload);
  const message = pae(TRUST_LIST_PAYLOAD_TYPE, payload);
  const valid = new Set();
  for (const spki of content.signerKeys) {
    const keyid = toHex(sha256(spki));
    if (valid.has(keyid)) continue;
    let key;
    try {
      key = parseSignerSpki(spki);
    } catch {
      continue;
    }
    for (const s of signatures.filter((x) => x.keyid === keyid)) {
      if (verifyEcdsa(OID.ecdsaSha256, message, s.sig, key)) {
        valid.add(keyid);
        break;
      }
    }
  }
  if (valid.size < content.threshold) {
    throw new TrustError(`The trust list carries ${valid.size} valid signature(s) of its signers; ${content.threshold} are required.`);
  }
  let authorities;
  try {
    authorities = content.authorityDers.map((der) => parseCertificate(der));
  } catch {
    throw new TrustError('The trust list authority is not a valid DER X.509 certificate.');
  }
  if (authorities.some((a) => !isCa(a))) throw new TrustError('A trust list authority is not a CA certificate.');
  let crls;
  try {
    crls = content.crlDers.map((der) => parseCrl(der));
  } catch (e) {
    throw new TrustError(`A trust list CRL is not a valid X.509 CRL (${e.message}).`);
  }
  return {
    ...content,
    authorities,
    crls,
    member: (nodeId) => content.members.find((m) => m.nodeId === nodeId) ?? null,
  };
}

/** A signer's SubjectPublicKeyInfo (SEQUENCE { AlgorithmIdentifier, BIT STRING }) as verifyEcdsa takes it; P-256 only. */
function parseSignerSpki(der) {
  const [alg, key] = DER.children(DER.readWhole(der));
  const [algOid, params] = DER.children(alg);
  const bits = DER.bitStringOf(key);
  const spki = { algorithm: DER.oidOf(algOid), curve: params ? DER.oidOf(params) : null, publicKey: bits.unused === 0 ? bits.bytes : null };
  if (spki.algorithm !== OID.ecPublicKey || spki.curve !== OID.prime256v1) throw new Error('not a P-256 key');
  p256.Point.fromBytes(spki.publicKey);
  return spki;
}


/**
 * The optional `witnesses` member: { required, keys: [cosignature/v1 verifier keys], logs?: [Ed25519 verifier keys] }
 * (TrustList.ParseWitnesses): keys read in that order, then `required` (an int32), then the policy's own rules.
 */
function parseWitnesses(witnesses, get) {
  const malformed = () => listError('the trust list content is malformed');
  // StringArray as the C# reads it: every element in turn (null: "holds a non-string"; another non-string is
  // JsonElement.GetString's InvalidOperationException), then the count.
  const strings = (name) => {
    const arr = get(witnesses, name);
    if (!Array.isArray(arr)) throw malformed();
    for (const s of arr) {
      if (s === null) throw listError(`'${name}' holds a non-string`);
      if (typeof s !== 'string') throw malformed();
    }
    if (arr.length > MAX_POLICY_KEYS) throw listError(`'${name}' holds more than ${MAX_POLICY_KEYS} entries`);
    return arr.map((k) => parseNoteKey(k) ?? (() => { throw malformed(); })());
  };
  const keys = strings('keys');
  const logs = witnesses.has('logs') ? strings('logs') : [];
  const required = int64Of(get(witnesses, 'required'));
  if (required === null || required < -2147483648n || required > 2147483647n) throw malformed();
  try {
    return witnessPolicy(keys, Number(required), logs);
  } catch (e) {
    if (e instanceof PolicyError) throw listError('the witness policy names keys of the wrong kind, too many, or a required count outside 0 to the number of witnesses');
    throw e;
  }
}

function parseContent(payload) {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(payload);
  try {
    const root = parseJson(text, { maxDepth: 8, duplicates: 'last' });
    const get = (obj, name) => {
      if (!(obj instanceof Map) || !obj.has(name)) throw listError('the trust list content is malformed');
      return obj.get(name);
    };
    const strings = (obj, name, max) => {
      const arr = get(obj, name);
      if (!Array.isArray(arr)) throw listError('the trust list content is malformed');
      if (arr.some((s) => typeof s !== 'string')) throw listError(`'${name}' holds a non-string`);
      if (arr.length > max) throw listError(`'${name}' holds more than ${max} entries`);
      return arr;
    };
    const str = (obj, name) => {
      const v = get(obj, name);
      if (typeof v !== 'string' && v !== null) throw listError('the trust list content is malformed');
      return v ?? '';
    };
    if (get(root, 'format') !== TRUST_LIST_FORMAT) throw listError(`the trust list content is not '${TRUST_LIST_FORMAT}'`);
    const signers = get(root, 'signers');
    const signerKeys = strings(signers, 'keys', 16).map((k) => fromBase64(k) ?? (() => { throw listError('a signer key is not base64'); })());
    const threshold = int64Of(get(signers, 'threshold'));
    if (threshold === null || threshold > 2147483647n) throw listError('the trust list content is malformed');
    if (signerKeys.length === 0 || threshold < 1n || threshold > BigInt(signerKeys.length)) {
      throw listError('the trust list needs 1 to 16 signer keys and a threshold between 1 and their number');
    }
    const membersJson = get(root, 'members');
    if (!Array.isArray(membersJson)) throw listError('the trust list content is malformed');
    const members = [];
    for (const m of membersJson) {
      if (members.length === 256) throw listError('the trust list has more than 256 members');
      const member = {
        nodeId: str(m, 'nodeId'),
        country: str(m, 'country'),
        agency: str(m, 'agency'),
        authorities: strings(m, 'authorities', 64).map((s) => s.toLowerCase()),
        certificates: strings(m, 'certificates', 64).map((s) => s.toLowerCase()),
        ledgers: strings(m, 'ledgers', 16),
        fabricMspIds: strings(m, 'fabricMspIds', 16),
      };
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(member.nodeId) || !/^[A-Z]{2}$/.test(member.country) || member.agency.length === 0 || member.agency.length > 64
        || member.ledgers.some((l) => !isLedgerId(l)) || [...member.authorities, ...member.certificates].some((f) => !/^[0-9a-f]{64}$/.test(f))
        || members.some((x) => x.nodeId === member.nodeId)) {
        throw listError('a trust list member has an invalid or repeated node id, country, agency, fingerprint or ledger id');
      }
      members.push(member);
    }
    const sequence = int64Of(get(root, 'sequence'));
    if (sequence === null) throw listError('the trust list content is malformed');
    if (sequence < 1n) throw listError('the trust list sequence must be 1 or more');
    const issuedAt = Date.parse(str(root, 'issuedAt'));
    if (Number.isNaN(issuedAt)) throw listError('the trust list content is malformed');
    let nextUpdate = null;
    if (root.has('nextUpdate')) {
      nextUpdate = Date.parse(str(root, 'nextUpdate'));
      if (Number.isNaN(nextUpdate)) throw listError('the trust list content is malformed');
    }
    const single = (pem, label) => {
      const blocks = pemBlocks(pem).filter((b) => b.label === label);
      if (blocks.length !== 1) throw listError(`expected one '${label}' PEM block`);
      return blocks[0].der;
    };
    return {
      consortium: str(root, 'consortium'),
      sequence: Number(sequence),
      issuedAt,
      nextUpdate,
      threshold: Number(threshold),
      signerKeys,
      authorityDers: strings(root, 'authorities', 64).map((p) => single(p, 'CERTIFICATE')),
      crlDers: strings(root, 'crls', 128).map((p) => single(p, 'X509 CRL')),
      members,
      witnesses: root.has('witnesses') ? parseWitnesses(root.get('witnesses'), get) : null,
    };
  } catch (e) {
    if (e instanceof TrustError) throw e;
    throw listError('the trust list content is malformed');
  }
}

