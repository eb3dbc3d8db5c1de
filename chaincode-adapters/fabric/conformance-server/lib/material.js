'use strict';

// TEST crypto material only: P-256 CAs and identities made with @peculiar/x509 over Node's WebCrypto. The private
// keys are written unencrypted next to the certificates. Never use any of this outside tests.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
require('./reflect-polyfill');
const x509 = require('@peculiar/x509');

x509.cryptoProvider.set(crypto.webcrypto);

const SIGNING = { name: 'ECDSA', hash: 'SHA-256' };
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };
const HOUR = 3600 * 1000;
const YEAR = 365 * 24 * HOUR;

function randomSerial() {
    const bytes = crypto.randomBytes(16);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte
    return bytes.toString('hex');
}

async function newKeys() {
    return crypto.webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function privateKeyPem(keys) {
    const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' });
}

/**
 * A self-signed CA: { certPem, keyPem, keys, name }.
 * @param {object} o { commonName, organization, notBefore?, notAfter? }
 */
async function createCa({ commonName, organization, notBefore, notAfter }) {
    const keys = await newKeys();
    const name = `CN=${commonName}, O=${organization}, C=US`;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: randomSerial(),
        name,
        notBefore: notBefore || new Date(Date.now() - HOUR),
        notAfter: notAfter || new Date(Date.now() + 10 * YEAR),
        keys,
        signingAlgorithm: SIGNING,
        extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
                | x509.KeyUsageFlags.digitalSignature, true),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys), keys, name, cert };
}

/**
 * An end-entity certificate issued by `ca` (from createCa): { certPem, keyPem }.
 * @param {object} ca
 * @param {object} o { commonName, organization, organizationalUnit?, dnsNames?, ipAddresses?, server?, notBefore?, notAfter? }
 */
async function issueCertificate(ca, { commonName, organization, organizationalUnit, dnsNames = [], ipAddresses = [],
    server = false, notBefore, notAfter }) {
    const keys = await newKeys();
    const ou = organizationalUnit ? `, OU=${organizationalUnit}` : '';
    const extensions = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature
            | (server ? x509.KeyUsageFlags.keyEncipherment : 0), true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ];
    if (server) {
        extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
    }
    const names = [...dnsNames.map((value) => ({ type: 'dns', value })), ...ipAddresses.map((value) => ({ type: 'ip', value }))];
    if (names.length > 0) {
        extensions.push(new x509.SubjectAlternativeNameExtension(names));
    }
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: `CN=${commonName}${ou}, O=${organization}, C=US`,
        issuer: ca.cert.subject,
        notBefore: notBefore || new Date(Date.now() - HOUR),
        notAfter: notAfter || new Date(Date.now() + 5 * YEAR),
        signingKey: ca.keys.privateKey,
        publicKey: keys.publicKey,
        signingAlgorithm: SIGNING,
        extensions,
    });
    return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys) };
}

function writeFile(file, text, mode) {
    fs.writeFileSync(file, text, { mode });
}

function readIfAll(files) {
    return files.every((f) => fs.existsSync(f)) ? files.map((f) => fs.readFileSync(f, 'utf8')) : null;
}

/** A CA plus one identity it issued, kept as DIR/<prefix>-ca.pem, DIR/<prefix>-cert.pem, DIR/<prefix>-key.pem. */
async function ensureCaAndIdentity(dir, { caFile, certFile, keyFile, caName, organization, identityName, ou, server }) {
    const files = [caFile, certFile, keyFile].map((f) => path.join(dir, f));
    const existing = readIfAll(files);
    if (existing) {
        return { caPath: files[0], caPem: existing[0], certPem: existing[1], keyPem: existing[2], created: false };
    }
    const ca = await createCa({ commonName: caName, organization });
    const id = await issueCertificate(ca, {
        commonName: identityName,
        organization,
        organizationalUnit: ou,
        server,
        dnsNames: server ? ['localhost'] : [],
        ipAddresses: server ? ['127.0.0.1'] : [],
    });
    writeFile(files[0], ca.certPem, 0o644);
    writeFile(files[1], id.certPem, 0o644);
    writeFile(files[2], id.keyPem, 0o600);
    return { caPath: files[0], caPem: ca.certPem, certPem: id.certPem, keyPem: id.keyPem, created: true };
}

/**
 * Creates or reuses the server's material in `dir`: the endorser (ConformancePeerMSP), the block signer
 * (ConformanceOrdererMSP) and, with `tls`, a TLS CA and a server certificate for 127.0.0.1 / localhost.
 */
async function ensureServerMaterial(dir, { tls }) {
    fs.mkdirSync(dir, { recursive: true });
    const peer = await ensureCaAndIdentity(dir, {
        caFile: 'peer-msp-ca.pem', certFile: 'peer-signcert.pem', keyFile: 'peer-signcert.key.pem',
        caName: 'ca.peer.conformance.test', organization: 'ConformancePeerOrg', identityName: 'peer0.conformance.test', ou: 'peer',
    });
    const orderer = await ensureCaAndIdentity(dir, {
        caFile: 'orderer-msp-ca.pem', certFile: 'orderer-signcert.pem', keyFile: 'orderer-signcert.key.pem',
        caName: 'ca.orderer.conformance.test', organization: 'ConformanceOrdererOrg', identityName: 'orderer0.conformance.test', ou: 'orderer',
    });
    let tlsMaterial = null;
    if (tls) {
        tlsMaterial = await ensureCaAndIdentity(dir, {
            caFile: 'tls-ca.pem', certFile: 'tls-server.pem', keyFile: 'tls-server.key.pem',
            caName: 'tlsca.conformance.test', organization: 'ConformanceTLS', identityName: 'localhost', server: true,
        });
    }
    const readme = path.join(dir, 'README.txt');
    if (!fs.existsSync(readme)) {
        writeFile(readme, 'TEST crypto material of the Fabric protocol conformance server (not a Fabric peer).\n'
            + 'Private keys here are unencrypted and for tests only.\n', 0o644);
    }
    return { peer, orderer, tls: tlsMaterial };
}

module.exports = { createCa, issueCertificate, ensureServerMaterial };
