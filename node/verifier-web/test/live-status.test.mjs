// Live status from the issuing node's public endpoint, in verifyBundle and on its own (verifyPublicStatus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyBundle, verifyPublicStatus } from '../src/verifier/index.js';
import { fromBase64, toHex } from '../src/verifier/bytes.js';
import { NOW, loadTrust, bundleText, byName } from './helpers.mjs';

const trust = loadTrust();

/** What the node's endpoint answers for the bundle's document: its current signed status. */
function liveOf(file) {
  const b = JSON.parse(bundleText(file));
  return {
    format: 'customs-ledger/public-status/1',
    documentId: b.documentId,
    documentRoot: b.documentRoot,
    issuer: { nodeId: b.issuer.nodeId, country: b.issuer.country, agency: b.issuer.agency },
    batch: { batchRoot: b.batch.batchRoot, index: b.batch.index ?? '0', size: b.batch.size },
    status: b.status,
    publicKey: b.issuer.publicKey,
  };
}

test('a live status that verifies makes the status "in force now"', async () => {
  const report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW, liveStatus: liveOf('bundles/0000.json') });
  assert.equal(report.verdict, 'VALID');
  assert.equal(byName(report).status.reason, 'in force now (live from the issuing node)');
});

test('an unreachable node is an ERROR; a node without the document is INVALID', async () => {
  let report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW, liveStatus: { error: 'connection refused' } });
  assert.equal(byName(report).status.verdict, 'ERROR');
  assert.match(byName(report).status.reason, /connection refused/);
  report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW, liveStatus: { notFound: true } });
  assert.equal(byName(report).status.verdict, 'INVALID');
  assert.match(byName(report).status.reason, /holds no document .* so it did not issue this bundle/);
});

test('a live status about another document, or edited, does not verify: INVALID naming why', async () => {
  let report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW, liveStatus: liveOf('bundles/0012.json') });
  assert.equal(byName(report).status.verdict, 'INVALID');
  assert.match(byName(report).status.reason, /^the live status from the issuing node does not verify: /);
  const edited = liveOf('bundles/0000.json');
  edited.status = { ...edited.status, state: 'DOCUMENT_STATE_REVOKED', revocationReason: 'fraud' };
  report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW, liveStatus: edited });
  assert.equal(byName(report).status.verdict, 'INVALID');
  assert.match(byName(report).status.reason, /status.state says 'Revoked' but the issuer signed 'Anchored'/);
  const garbage = liveOf('bundles/0000.json');
  garbage.status = { ...garbage.status, colour: 'red' };
  report = await verifyBundle(bundleText('bundles/0000.json'), { trust, now: NOW, liveStatus: garbage });
  assert.match(byName(report).status.reason, /'status' is malformed: unknown field 'colour'/);
});

test('verifyPublicStatus: a status signed by the uncertified batch key is at best UNVERIFIED', async () => {
  const live = liveOf('bundles/0000.json');
  const root = toHex(fromBase64(JSON.parse(bundleText('bundles/0000.json')).documentRoot));
  const r = await verifyPublicStatus(live, { trust, now: NOW, documentId: live.documentId, documentRoot: root });
  assert.equal(r.verdict, 'UNVERIFIED');
  assert.equal(r.state, 'Anchored');
  assert.equal(r.asOf, '2026-12-07T07:17:57.000Z'.slice(0, 19) + r.asOf.slice(19));
  const wrongRoot = await verifyPublicStatus(live, { trust, now: NOW, documentId: live.documentId, documentRoot: '00'.repeat(32) });
  assert.equal(wrongRoot.verdict, 'INVALID');
  assert.match(wrongRoot.reason, /another document root/);
  const fromResponse = await verifyPublicStatus(live, { trust, now: NOW, documentId: live.documentId });
  assert.equal(fromResponse.documentRoot, root);
  assert.equal(fromResponse.verdict, 'UNVERIFIED');
  const otherId = await verifyPublicStatus(live, { trust, now: NOW, documentId: 'abc' });
  assert.equal(otherId.verdict, 'INVALID');
  assert.equal((await verifyPublicStatus({ error: 'timeout' }, { trust })).verdict, 'ERROR');
});
