import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyBundle } from '../src/verifier/index.js';
import { manifest, NOW, loadTrust, bundleText, byName } from './helpers.mjs';

const trust = loadTrust();

test('every fixture gets the C# verdict on every check, with the same reasons', async () => {
  for (const c of manifest.cases) {
    const report = await verifyBundle(bundleText(c.file), { trust, now: NOW });
    assert.equal(report.verdict, c.csharp.verdict, c.file);
    assert.deepEqual(report.checks.map((x) => x.name), ['integrity', 'inclusion', 'signature', 'issuer', 'anchored', 'status']);
    for (const expected of c.csharp.checks) {
      const mine = byName(report)[expected.name];
      assert.equal(mine.verdict, expected.verdict, `${c.file} ${expected.name}: ${mine.reason}`);
      assert.equal(mine.reason, expected.reason, `${c.file} ${expected.name}`);
    }
  }
});

test('an intermediate CA path verifies (NL chain of two certificates)', async () => {
  const report = await verifyBundle(bundleText('bundles/0229.json'), { trust, now: NOW });
  assert.equal(report.verdict, 'VALID');
});

test('the report carries the document and its fields, hidden ones marked', async () => {
  const report = await verifyBundle(bundleText('bundles/0012.json'), { trust, now: NOW });
  assert.equal(report.document.kind.length > 0, true);
  assert.ok(report.document.fields.some((f) => f.hidden));
  assert.ok(report.document.fields.some((f) => !f.hidden && f.path === '$canon'));
});

test('a parsed object is accepted as well as text', async () => {
  const report = await verifyBundle(JSON.parse(bundleText('bundles/0000.json')), { trust, now: NOW });
  assert.equal(report.verdict, 'VALID');
});

test('without a trust anchor the issuer is UNVERIFIED, never VALID', async () => {
  const report = await verifyBundle(bundleText('bundles/0000.json'), { now: NOW });
  assert.equal(report.verdict, 'UNVERIFIED');
  assert.equal(byName(report).issuer.verdict, 'UNVERIFIED');
  assert.equal(byName(report).anchored.verdict, 'VALID');
  assert.match(byName(report).anchored.reason, /by the batch key/);
});

test('a stale CRL makes the issuer UNVERIFIED', async () => {
  const report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: new Date('2027-01-01T00:00:00Z') });
  assert.equal(byName(report).issuer.verdict, 'UNVERIFIED');
  assert.match(byName(report).issuer.reason, /stale/);
});

test('a trust file without the CRL makes the issuer UNVERIFIED', async () => {
  const { parseTrust } = await import('../src/verifier/index.js');
  const { trustTexts } = await import('./helpers.mjs');
  const caOnly = parseTrust([trustTexts()[0]]);
  const report = await verifyBundle(bundleText('bundles/0000.json'), { trust: caOnly, now: NOW });
  assert.equal(byName(report).issuer.verdict, 'UNVERIFIED');
  assert.match(byName(report).issuer.reason, /No CRL/);
});

test('maxStatusAgeMs: an older statement is UNVERIFIED', async () => {
  const report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: new Date(NOW.getTime() + 3 * 3600e3), maxStatusAgeMs: 3600e3 });
  assert.equal(byName(report).status.verdict, 'UNVERIFIED');
  assert.match(byName(report).status.reason, /older than the 60 minutes accepted/);
});

test('requiredLedgers: a ledger without a valid anchor is INVALID', async () => {
  const report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW, requiredLedgers: ['eip155:1:0x0000000000000000000000000000000000000001'] });
  assert.equal(byName(report).anchored.verdict, 'INVALID');
  assert.match(byName(report).anchored.reason, /required ledger/);
});

test('an eip155 anchor without ethereumRpc is "not checked", never counted', async () => {
  const b = JSON.parse(bundleText('bundles/0000.json'));
  b.anchors = [{ ledgerId: 'eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3', reference: '0x00', height: '1', timestamp: '2026-12-07T07:17:57Z', proof: '' }];
  const report = await verifyBundle(b, { now: NOW });
  assert.equal(byName(report).anchored.verdict, 'UNVERIFIED');
  assert.match(byName(report).anchored.reason, /not checked \(an Ethereum anchor needs a chain node: give --rpc\)/);
});

test('a Fabric anchor is "not checked"', async () => {
  const b = JSON.parse(bundleText('bundles/0000.json'));
  b.anchors.push({ ledgerId: 'fabric:customs:ledger', reference: 'abc', height: '3', timestamp: '2026-12-07T07:17:57Z', proof: '' });
  const report = await verifyBundle(b, { now: NOW });
  assert.equal(byName(report).anchored.verdict, 'VALID');
  assert.match(byName(report).anchored.reason, /fabric:customs:ledger: not checked \(a Fabric anchor needs the network's MSP certificates: verify with the CLI\)/);
});

test('version other than 2 is INVALID integrity', async () => {
  const b = JSON.parse(bundleText('bundles/0000.json'));
  b.version = 1;
  const report = await verifyBundle(b, { trust, now: NOW });
  assert.equal(byName(report).integrity.verdict, 'INVALID');
  assert.match(byName(report).integrity.reason, /version 1/);
});

test('kind given as a number is read as .NET reads it (0 = Declaration)', async () => {
  const b = JSON.parse(bundleText('bundles/0000.json'));
  b.kind = '0';
  const report = await verifyBundle(b, { trust, now: NOW });
  assert.equal(report.verdict, 'VALID');
  b.kind = 'Response';
  const edited = await verifyBundle(b, { trust, now: NOW });
  assert.match(byName(edited).inclusion.reason, /kind says 'Response' but the batch commits to 'Declaration'/);
});

for (const [label, edit, pattern] of [
  ['an unknown field', (b) => { b.extra = 1; }, /malformed bundle: unknown field 'extra' in ProofBundle/],
  ['an unknown nested field', (b) => { b.batch.color = 'red'; }, /unknown field 'color' in BatchInclusion/],
  ['a missing status', (b) => { delete b.status; }, /lacks its batch, issuer or status section/],
  ['an unknown kind', (b) => { b.kind = 'declaration'; }, /unknown document kind 'declaration'/],
  ['an unknown leaf type', (b) => { b.leaves[2].disclosed.type = 'Blob'; }, /unknown leaf type 'Blob'/],
  ['an unspecified state', (b) => { b.status.state = 'DOCUMENT_STATE_UNSPECIFIED'; }, /unknown document state/],
  ['a leaf that is neither disclosed nor hidden', (b) => { b.leaves[3] = {}; }, /neither disclosed nor hidden/],
  ['invalid base64', (b) => { b.documentRoot = '***'; }, /'documentRoot' is not valid base64/],
  ['more than 8 certificates', (b) => { b.issuer.certificateChain = Array(9).fill(b.issuer.certificateChain[0]); }, /more than 8 certificates/],
  ['a status path over 64 hashes', (b) => { b.status.path = Array(65).fill(b.status.path?.[0] ?? 'AAAA'); }, /longer than 64 hashes/],
]) {
  test(`a malformed bundle (${label}) makes every check INVALID, never throws`, async () => {
    const b = JSON.parse(bundleText('bundles/0000.json'));
    edit(b);
    const report = await verifyBundle(JSON.stringify(b), { trust, now: NOW });
    assert.equal(report.verdict, 'INVALID');
    assert.equal(report.checks.length, 6);
    for (const c of report.checks) {
      assert.equal(c.verdict, 'INVALID');
      assert.match(c.reason, pattern);
    }
  });
}

test('text that is not JSON, or nested too deep, is malformed', async () => {
  for (const text of ['not json', '{"version":2,', '[1,2]', '{"leaves":' + '['.repeat(40) + ']'.repeat(40) + '}']) {
    const report = await verifyBundle(text, { trust, now: NOW });
    assert.equal(report.verdict, 'INVALID');
    assert.match(report.checks[0].reason, /^malformed bundle: /);
  }
});

test('quoted values are capped at 80 characters', async () => {
  const b = JSON.parse(bundleText('bundles/0000.json'));
  b.documentId = 'x'.repeat(500);
  const report = await verifyBundle(b, { trust, now: NOW });
  const reason = byName(report).inclusion.reason;
  assert.match(reason, /documentId says 'x{80}…'/);
});
