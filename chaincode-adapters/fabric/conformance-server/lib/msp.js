'use strict';

// A minimal X.509 MSP in the manner of Fabric's msp/mspimpl.go: an identity is a SerializedIdentity {mspid, id_bytes =
// PEM certificate}; it is valid when its MSP is known, its certificate chains to one of that MSP's root certificates,
// it is not itself a CA, and it is within its validity period. Signatures are checked with ./ecdsa (low-S required).

const crypto = require('node:crypto');
const { msp } = require('@hyperledger/fabric-protos');
const ecdsa = require('./ecdsa');

function splitPem(text) {
    return String(text).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) || [];
}

class MspRegistry {
    constructor() {
        this.msps = new Map(); // mspId -> { roots: X509Certificate[], pems: string[] }
    }

    /** Adds the root certificates (PEM, one or more) of an MSP. */
    addMsp(mspId, pemText) {
        const pems = splitPem(pemText);
        if (pems.length === 0) throw new Error(`no PEM certificate for MSP ${mspId}`);
        const roots = pems.map((p) => new crypto.X509Certificate(p));
        const entry = this.msps.get(mspId) || { roots: [], pems: [] };
        entry.roots.push(...roots);
        entry.pems.push(...pems);
        this.msps.set(mspId, entry);
    }

    has(mspId) {
        return this.msps.has(mspId);
    }

    mspIds() {
        return [...this.msps.keys()];
    }

    rootPems(mspId) {
        return this.msps.get(mspId)?.pems || [];
    }

    /**
     * Deserializes SerializedIdentity bytes. Returns { ok, mspId, cert, reason, known } where `known` says whether the
     * identity was at least deserializable for a known MSP (Fabric's two "access denied" messages differ on that).
     */
    deserialize(serializedIdentity) {
        let sid;
        try {
            sid = msp.SerializedIdentity.deserializeBinary(Buffer.from(serializedIdentity));
        } catch (err) {
            return { ok: false, known: false, reason: `could not deserialize a SerializedIdentity: ${err.message}` };
        }
        const mspId = sid.getMspid();
        const entry = this.msps.get(mspId);
        if (!entry) {
            return { ok: false, known: false, mspId, reason: `MSP ${mspId} is not defined on channel` };
        }
        let cert;
        try {
            const pems = splitPem(Buffer.from(sid.getIdBytes_asU8()).toString('utf8'));
            if (pems.length !== 1) throw new Error('expected exactly one PEM certificate');
            cert = new crypto.X509Certificate(pems[0]);
        } catch (err) {
            return { ok: false, known: false, mspId, reason: `could not decode the PEM certificate: ${err.message}` };
        }
        return { ok: true, known: true, mspId, cert, entry };
    }

    /** Validates a deserialized identity (chain, CA flag, validity); returns null when valid, else the reason. */
    validate(identity, now = new Date()) {
        const { cert, entry } = identity;
        if (cert.ca) return 'A CA certificate cannot be used directly by this MSP';
        const notBefore = new Date(cert.validFrom);
        const notAfter = new Date(cert.validTo);
        if (now < notBefore || now > notAfter) {
            return `the supplied identity is not valid: x509: certificate has expired or is not yet valid`;
        }
        if (cert.publicKey.asymmetricKeyType !== 'ec' || cert.publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
            return 'the supplied identity is not valid: only ECDSA P-256 identities are supported by this conformance server';
        }
        const chained = entry.roots.some((root) => {
            const rootFrom = new Date(root.validFrom);
            const rootTo = new Date(root.validTo);
            return cert.checkIssued(root) && cert.verify(root.publicKey) && now >= rootFrom && now <= rootTo;
        });
        if (!chained) return 'the supplied identity is not valid: x509: certificate signed by unknown authority';
        return null;
    }

    /**
     * Full check of `signature` over `message` by the SerializedIdentity `creator`.
     * Returns { ok, mspId, known, reason, cert }.
     */
    checkSignedData(creator, message, signature) {
        const identity = this.deserialize(creator);
        if (!identity.ok) return identity;
        const invalid = this.validate(identity);
        if (invalid) return { ok: false, known: true, mspId: identity.mspId, reason: invalid };
        if (!signature || signature.length === 0) {
            return { ok: false, known: true, mspId: identity.mspId, reason: 'empty signature bytes' };
        }
        const bad = ecdsa.verify(identity.cert.publicKey, message, signature);
        if (bad) return { ok: false, known: true, mspId: identity.mspId, reason: `the creator's signature is not valid: ${bad}` };
        return { ok: true, known: true, mspId: identity.mspId, cert: identity.cert };
    }
}

/** SerializedIdentity bytes for an MSP id and a PEM certificate. */
function serializeIdentity(mspId, certPem) {
    const sid = new msp.SerializedIdentity();
    sid.setMspid(mspId);
    sid.setIdBytes(Buffer.from(certPem, 'utf8'));
    return Buffer.from(sid.serializeBinary());
}

module.exports = { MspRegistry, serializeIdentity, splitPem };
