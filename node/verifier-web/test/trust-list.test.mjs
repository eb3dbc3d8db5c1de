// The consortium trust list (docs/TRUST.md): a DSSE envelope over the list content, signed with ECDSA P-256 over the
// PAE by a threshold of the list's own signers. The lists here are made in the test with fresh P-256 keys around the
// fixture CA and CRLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseTrust, verifyBundle } from '../src/verifier/index.js';
import { pae, TRUST_LIST_PAYLOAD_TYPE } from '../src/verifier/trust.js';
import { pemBlocks, toPem } from '../src/verifier/pem.js';
import { toBase64, toHex, utf8, concat, fromHex } from '../src/verifier/bytes.js';
import { parseCertificate } from '../src/verifier/x509.js';
import { NOW, trustTexts, bundleText, byName } from './helpers.mjs';

const SPKI_P256_PREFIX = fromHex('3059301306072a8648ce3d020106082a8648ce3d030107034200');
const signer = () => {
  const secretKey = p256.utils.randomSecretKey();
  return { secretKey, spki: concat(SPKI_P256_PREFIX, p256.getPublicKey(secretKey, false)) };
};

const [caPem, ...crlPems] = trustTexts();
const caDer = pemBlocks(caPem)[0].der;
const crls = crlPems.flatMap((t) => pemBlocks(t).map((b) => toPem('X509 CRL', b.der)));

function makeList({ signers, sign = signers, threshold = 1, members, nextUpdate = '2027-01-03T00:00:00Z', sequence = 3 }) {
  const content = {
    format: 'customs-ledger/trust-list/1',
    consortium: 'Corpus Consortium',
    sequence,
    issuedAt: '2026-12-04T00:00:00Z',
    ...(nextUpdate ? { nextUpdate } : {}),
    signers: { threshold, keys: signers.map((s) => toBase64(s.spki)) },
    authorities: [toPem('CERTIFICATE', caDer)],
    crls,
    members,
  };
  const payload = utf8(JSON.stringify(content, null, 2));
  const message = pae(TRUST_LIST_PAYLOAD_TYPE, payload);
  return JSON.stringify({
    payloadType: TRUST_LIST_PAYLOAD_TYPE,
    payload: toBase64(payload),
    signatures: sign.map((s) => ({ keyid: toHex(sha256(s.spki)), sig: toBase64(p256.sign(sha256(message), s.secretKey, { prehash: false, format: 'der' })) })),
  });
}

const member = (nodeId, country, agency, extra = {}) => ({ nodeId, country, agency, authorities: [], certificates: [], ledgers: [], fabricMspIds: [], ...extra });
const GB = member('GB-HMRC', 'GB', 'HMRC');

test('a trust list signed by its threshold certifies its members', async () => {
  const a = signer();
  const trust = parseTrust([makeList({ signers: [a], members: [GB] })]);
  assert.deepEqual(trust.summary().trustList, { consortium: 'Corpus Consortium', sequence: 3, nextUpdate: Date.parse('2027-01-03T00:00:00Z') });
  const report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW });
  assert.equal(report.verdict, 'VALID', JSON.stringify(report.checks));
});

test('too few signatures, a foreign signature or an edited payload: the list is refused', () => {
  const [a, b, c] = [signer(), signer(), signer()];
  assert.throws(() => parseTrust([makeList({ signers: [a, b], sign: [a], threshold: 2, members: [GB] })]), /1 valid signature\(s\) of its signers; 2 are required/);
  assert.throws(() => parseTrust([makeList({ signers: [a], sign: [c], members: [GB] })]), /0 valid signature/);
  const list = JSON.parse(makeList({ signers: [a], members: [GB] }));
  const content = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(list.payload), (ch) => ch.charCodeAt(0))));
  content.members[0].ledgers = ['eip155:1:0x0000000000000000000000000000000000000001'];
  list.payload = toBase64(utf8(JSON.stringify(content)));
  assert.throws(() => parseTrust([JSON.stringify(list)]), /0 valid signature/);
  assert.equal(parseTrust([makeList({ signers: [a, b], sign: [b, a], threshold: 2, members: [GB] })]).list.sequence, 3);
});

test('a node that is not a member, or listed under another country or agency, is INVALID', async () => {
  const a = signer();
  const notMember = parseTrust([makeList({ signers: [a], members: [member('NL-DOUANE', 'NL', 'Douane')] })]);
  let report = await verifyBundle(bundleText('bundles/0000.json'), { trust: notMember, now: NOW });
  assert.equal(byName(report).issuer.verdict, 'INVALID');
  assert.match(byName(report).issuer.reason, /GB\/HMRC\/GB-HMRC is not a member of trust list 'Corpus Consortium' #3/);
  const otherAgency = parseTrust([makeList({ signers: [a], members: [member('GB-HMRC', 'GB', 'Border Force')] })]);
  report = await verifyBundle(bundleText('bundles/0000.json'), { trust: otherAgency, now: NOW });
  assert.match(byName(report).issuer.reason, /names node GB-HMRC as GB\/Border Force/);
});

test('a member restricted to another CA, or to other certificates, is INVALID', async () => {
  const a = signer();
  const otherCa = parseTrust([makeList({ signers: [a], members: [member('GB-HMRC', 'GB', 'HMRC', { authorities: ['00'.repeat(32)] })] })]);
  let report = await verifyBundle(bundleText('bundles/0000.json'), { trust: otherCa, now: NOW });
  assert.match(byName(report).issuer.reason, /does not allow to certify it/);
  const ownCa = parseTrust([makeList({ signers: [a], members: [member('GB-HMRC', 'GB', 'HMRC', { authorities: [toHex(sha256(caDer))] })] })]);
  report = await verifyBundle(bundleText('bundles/0000.json'), { trust: ownCa, now: NOW });
  assert.equal(report.verdict, 'VALID');
  const leafFingerprint = parseCertificate(Uint8Array.from(atob(JSON.parse(bundleText('bundles/0000.json')).issuer.certificateChain[0]), (c) => c.charCodeAt(0))).fingerprint;
  const pinned = parseTrust([makeList({ signers: [a], members: [member('GB-HMRC', 'GB', 'HMRC', { certificates: [leafFingerprint] })] })]);
  assert.equal((await verifyBundle(bundleText('bundles/0000.json'), { trust: pinned, now: NOW })).verdict, 'VALID');
  const otherCert = parseTrust([makeList({ signers: [a], members: [member('GB-HMRC', 'GB', 'HMRC', { certificates: ['11'.repeat(32)] })] })]);
  report = await verifyBundle(bundleText('bundles/0000.json'), { trust: otherCert, now: NOW });
  assert.match(byName(report).issuer.reason, /is not one of those trust list 'Corpus Consortium' lists for GB\/HMRC\/GB-HMRC/);
});

test('past its nextUpdate the list is stale: issuers UNVERIFIED', async () => {
  const a = signer();
  const trust = parseTrust([makeList({ signers: [a], members: [GB], nextUpdate: '2026-12-06T00:00:00Z' })]);
  const report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW });
  assert.equal(byName(report).issuer.verdict, 'UNVERIFIED');
  assert.match(byName(report).issuer.reason, /expired at 2026-12-06 00:00:00Z/);
});

test('a ledger the list binds to the member counts as bound', async () => {
  const a = signer();
  const store = 'eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3';
  const b = JSON.parse(bundleText('bundles/0000.json'));
  b.anchors.push({ ledgerId: store, reference: '0x' + '00'.repeat(32), height: '5', timestamp: '2026-12-07T07:17:57Z' });
  const unbound = await verifyBundle(b, { trust: parseTrust(trustTexts()), now: NOW });
  assert.equal(byName(unbound).anchored.verdict, 'INVALID');
  const trust = parseTrust([makeList({ signers: [a], members: [member('GB-HMRC', 'GB', 'HMRC', { ledgers: [store.replace(/0x(.*)/, (m, h) => '0x' + h.toUpperCase())] })] })]);
  const report = await verifyBundle(b, { trust, now: NOW });
  assert.equal(byName(report).anchored.verdict, 'VALID');
  assert.match(byName(report).anchored.reason, /not checked \(an Ethereum anchor needs a chain node: give --rpc\)/);
});

test('unreadable trust input throws a clear error', () => {
  assert.throws(() => parseTrust(['hello']), /holds no PEM certificate, CRL or trust list/);
  assert.throws(() => parseTrust([crlPems[0]]), /No trust anchor/);
  assert.throws(() => parseTrust(['{"payloadType":"x"}']), /not a trust list/);
  assert.throws(() => parseTrust(['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n']), /not a valid DER X.509 certificate/);
  const a = signer();
  assert.throws(() => parseTrust([makeList({ signers: [a], members: [GB] }), makeList({ signers: [a], members: [GB] })]), /Only one trust list/);
});
