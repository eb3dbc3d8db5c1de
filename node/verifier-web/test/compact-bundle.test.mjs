// The compact QR bundle: "CLB1:" + base45(raw DEFLATE(protobuf binary of customs.ledger.v1.ProofBundle)), decoded into
// the proto3 JSON object the verifier reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { deflateSync } from 'fflate';
import { decodeQrText, encodeQrBundle, packCompactBinary, QrPayloadError, MAX_QR_TEXT } from '../src/verifier/qr-payload.js';
import { decodeBundleBinary, encodeBundleBinary } from '../src/verifier/bundle-binary.js';
import { verifyBundle } from '../src/verifier/index.js';
import { base45Encode } from '../src/verifier/base45.js';
import { generatedModule, OUT } from '../tools/make-bundle-pb.mjs';
import { manifest, NOW, loadTrust, bundleText } from './helpers.mjs';

const trust = loadTrust();
const NO_LIMIT = { maxText: Number.MAX_SAFE_INTEGER };

// ---- protobuf binary written field by field (the library's BinaryWriter), independent of the descriptor ----
const message = (build) => {
  const w = new BinaryWriter();
  build(w);
  return w.finish();
};
const tag = (w, field, wireType) => w.uint32(field * 8 + wireType);
const str = (w, field, s) => tag(w, field, 2).string(s);
const bytes = (w, field, b) => tag(w, field, 2).bytes(b);
const varint = (w, field, v) => tag(w, field, 0).int64(v);
const sub = (w, field, build) => bytes(w, field, message(build));
const seconds = (iso) => Date.parse(iso) / 1000;
const b64 = (b) => Buffer.from(b).toString('base64');

test('the committed src/verifier/bundle_pb.js is the one bundle.proto gives (node tools/make-bundle-pb.mjs)', () => {
  assert.equal(readFileSync(OUT, 'utf8'), generatedModule());
});

test('every fixture: protobuf binary → deflate → base45 → decodeQrText gives the same JSON object and the same report', async () => {
  for (const c of manifest.cases) {
    const text = bundleText(c.file);
    const qr = encodeQrBundle(JSON.parse(text));
    assert.ok(qr.startsWith('CLB1:') && /^[0-9A-Z $%*+\-./:]+$/.test(qr), c.file);
    const decoded = decodeQrText(qr, NO_LIMIT);
    assert.equal(decoded.kind, 'bundle');
    // The fixtures were written by Google.Protobuf's JsonFormatter: the decoded object is the same JSON.
    assert.deepEqual(decoded.bundle, JSON.parse(text), c.file);
    const viaQr = await verifyBundle(decoded.bundle, { trust, now: NOW });
    const viaJson = await verifyBundle(text, { trust, now: NOW });
    assert.deepEqual(viaQr, viaJson, c.file);
    assert.equal(viaQr.verdict, c.csharp.verdict, c.file);
  }
});

/** The bundle with its embedded anchor proofs in the digest-only form (payloadSha256 instead of payload, WIRE-FORMATS #5). */
function digestOnly(file) {
  const b = JSON.parse(bundleText(file));
  for (const a of b.anchors) {
    const proof = JSON.parse(Buffer.from(a.proof, 'base64').toString('utf8'));
    const out = {};
    for (const [k, v] of Object.entries(proof)) {
      if (k === 'payload') out.payloadSha256 = createHash('sha256').update(Buffer.from(v, 'base64')).digest('hex');
      else out[k] = v;
    }
    a.proof = Buffer.from(JSON.stringify(out)).toString('base64');
  }
  return b;
}

test('a QR-sized compact bundle (digest-only anchor proofs) decodes within the limits and verifies as the JSON does', async () => {
  for (const c of manifest.cases.filter((x) => ['bundles/0000.json', 'bundles/0012.json', 'bundles/0229.json', 'bundles/0021.json'].includes(x.file))) {
    const bundle = digestOnly(c.file);
    const qr = encodeQrBundle(bundle);
    assert.ok(qr.length <= MAX_QR_TEXT, `${c.file}: ${qr.length} characters`);
    const decoded = decodeQrText(qr);
    assert.deepEqual(decoded.bundle, bundle);
    const report = await verifyBundle(decoded.bundle, { trust, now: NOW });
    assert.equal(report.verdict, c.csharp.verdict, c.file);
    assert.deepEqual(report.checks, c.csharp.checks, c.file);
  }
});

test('the proto3 JSON mapping: names, bytes, int64, enums, Timestamps, oneofs, defaults, optional presence', () => {
  const t0 = seconds('2026-12-07T07:17:57Z');
  const salt = Uint8Array.from({ length: 32 }, (_, i) => i);
  const binary = message((w) => {
    varint(w, 1, 2); // version
    str(w, 2, 'doc-1');
    sub(w, 5, (l) => sub(l, 1, (d) => (str(d, 1, 'A/B'), str(d, 2, 'Amount'), str(d, 3, '12.50'), str(d, 4, 'GBP'), bytes(d, 5, salt))));
    sub(w, 5, (l) => sub(l, 1, (d) => (str(d, 1, 'C'), str(d, 2, 'Text'), str(d, 4, '')))); // qualifier "" present: kept
    sub(w, 5, (l) => sub(l, 1, (d) => str(d, 1, 'D'))); // qualifier absent
    sub(w, 5, (l) => bytes(l, 2, salt)); // hidden
    sub(w, 5, (l) => bytes(l, 2, new Uint8Array(0))); // hidden, empty: a oneof member is present
    sub(w, 5, (l) => sub(l, 1, () => {})); // disclosed, empty
    sub(w, 7, (b) => (varint(b, 2, '1152921504606846977'), bytes(b, 4, salt), bytes(b, 4, new Uint8Array([0xfb, 0xff])))); // index 2^60 + 1; size 0, not written
    sub(w, 9, (a) => (str(a, 1, 'embedded:GB-HMRC'), varint(a, 3, 7), sub(a, 4, (t) => (varint(t, 1, t0), tag(t, 2, 0).int32(5000000)))));
    sub(w, 9, (a) => sub(a, 4, (t) => (varint(t, 1, t0), tag(t, 2, 0).int32(123456000))));
    sub(w, 9, (a) => sub(a, 4, (t) => (varint(t, 1, t0), tag(t, 2, 0).int32(1))));
    sub(w, 9, (a) => sub(a, 4, (t) => varint(t, 1, t0)));
    sub(w, 9, (a) => sub(a, 4, () => {})); // the epoch: a present message is written
    sub(w, 9, (a) => sub(a, 4, (t) => varint(t, 1, seconds('0001-01-01T00:00:00Z'))));
    sub(w, 10, (s) => (varint(s, 1, 3), sub(s, 3, () => {}), sub(s, 6, (t) => (varint(t, 1, t0), tag(t, 2, 0).int32(120000000)))));
  });
  assert.deepEqual(decodeBundleBinary(binary), {
    version: 2,
    documentId: 'doc-1',
    leaves: [
      { disclosed: { path: 'A/B', type: 'Amount', value: '12.50', qualifier: 'GBP', salt: b64(salt) } },
      { disclosed: { path: 'C', type: 'Text', qualifier: '' } },
      { disclosed: { path: 'D' } },
      { hiddenHash: b64(salt) },
      { hiddenHash: '' },
      { disclosed: {} },
    ],
    batch: { index: '1152921504606846977', path: [b64(salt), '+/8='] },
    anchors: [
      { ledgerId: 'embedded:GB-HMRC', height: '7', timestamp: '2026-12-07T07:17:57.005Z' },
      { timestamp: '2026-12-07T07:17:57.123456Z' },
      { timestamp: '2026-12-07T07:17:57.000000001Z' },
      { timestamp: '2026-12-07T07:17:57Z' },
      { timestamp: '1970-01-01T00:00:00Z' },
      { timestamp: '0001-01-01T00:00:00Z' },
    ],
    status: { state: 'DOCUMENT_STATE_ANCHORED', revocation: {}, asOf: '2026-12-07T07:17:57.120Z' },
  });
  // And back: the JSON object encodes to the same bytes (fields in number order, defaults not written).
  assert.deepEqual(encodeBundleBinary(decodeBundleBinary(binary)), Uint8Array.from(binary));
});

function malformed(binary, pattern) {
  const text = packCompactBinary(binary);
  assert.throws(
    () => decodeQrText(text),
    (e) => e instanceof QrPayloadError && e.malformed === true && pattern.test(e.message),
  );
}

test('unknown fields, wrong wire types and broken protobuf are a malformed bundle', () => {
  const t0 = seconds('2026-12-07T07:17:57Z');
  malformed(message((w) => (varint(w, 1, 2), varint(w, 99, 1))), /^malformed bundle: unknown field 99 in ProofBundle$/);
  malformed(message((w) => (varint(w, 1, 2), str(w, 12, 'x'))), /unknown field 12 in ProofBundle/);
  malformed(message((w) => sub(w, 9, (a) => (str(a, 1, 'x'), tag(a, 7, 5).fixed32(1)))), /unknown field 7 in Anchor/);
  malformed(message((w) => sub(w, 9, (a) => (str(a, 1, 'x'), tag(a, 6, 5).fixed32(1)))), /field 6 \('log'\) of Anchor has wire type 5/);
  malformed(message((w) => sub(w, 9, (a) => sub(a, 6, (l) => varint(l, 5, 1)))), /^malformed bundle: unknown field 5 in LogInclusion$/);
  malformed(message((w) => sub(w, 5, (l) => sub(l, 1, (d) => varint(d, 9, 1)))), /unknown field 9 in DisclosedLeaf/);
  malformed(message((w) => sub(w, 10, (s) => sub(s, 6, (t) => (varint(t, 1, t0), varint(t, 3, 1))))), /unknown field 3 in Timestamp/);
  malformed(message((w) => str(w, 1, 'two')), /field 1 \('version'\) of ProofBundle has wire type 2/);
  malformed(message((w) => varint(w, 7, 1)), /field 7 \('batch'\) of ProofBundle has wire type 0/);
  malformed(message((w) => sub(w, 10, (s) => str(s, 1, 'x'))), /field 1 \('state'\) of BundleStatus has wire type 2/);
  // The message's own unknown field first, then its messages' in field order, whatever the order on the wire.
  malformed(message((w) => (sub(w, 9, (a) => varint(a, 7, 1)), varint(w, 40, 1))), /^malformed bundle: unknown field 40 in ProofBundle$/);
  malformed(message((w) => (sub(w, 10, (s) => varint(s, 40, 1)), sub(w, 9, (a) => varint(a, 7, 1)))), /^malformed bundle: unknown field 7 in Anchor$/);
  malformed(message((w) => (tag(w, 20, 3), varint(w, 1, 5), tag(w, 20, 4))), /^malformed bundle: unknown field 20 in ProofBundle$/); // a group
  malformed(Uint8Array.of(0x12, 0x05, 0x61), /^malformed bundle: not a ProofBundle protobuf/); // length past the end
  malformed(Uint8Array.of(0x0f), /^malformed bundle: not a ProofBundle protobuf/); // wire type 7
  malformed(message((w) => bytes(w, 2, Uint8Array.of(0xff, 0xfe, 0x41))), /^malformed bundle: not a ProofBundle protobuf/); // a string not UTF-8
  malformed(message((w) => sub(w, 9, (a) => sub(a, 4, (t) => varint(t, 1, 253402300800)))), /Timestamp out of range/);
  malformed(message((w) => sub(w, 9, (a) => sub(a, 4, (t) => tag(t, 2, 0).int32(1000000000)))), /nanos out of range/);
  assert.throws(() => encodeQrBundle({ version: 2, extra: 1 }), /"extra" is unknown/);
  assert.throws(() => encodeQrBundle('{"version":2,"version":3}'), /duplicate member 'version'/);
});

test('a non-canonical encoding is malformed, as CompactBundle.Decode (C#) refuses it', () => {
  const canonical = /not in its canonical encoding/;
  malformed(message((w) => (varint(w, 1, 0), str(w, 2, 'a'))), canonical); // version 0 written out
  malformed(message((w) => (str(w, 2, ''), varint(w, 1, 2))), canonical); // empty document id written out
  malformed(message((w) => (varint(w, 1, 1), varint(w, 1, 2))), canonical); // version twice
  malformed(Uint8Array.of(0x08, 0x82, 0x00), canonical); // version 2 as a 2-byte varint
  malformed(message((w) => sub(w, 10, (s) => varint(s, 1, 0))), canonical); // state 0 written out
  // Canonical: fields in number order, nothing default written; empty sub-messages and present oneof / optional fields are written.
  assert.deepEqual(decodeQrText(packCompactBinary(message((w) => (varint(w, 1, 2), sub(w, 10, () => {}))))).bundle, { version: 2, status: {} });
});

test('compact bundle limits: > 8 KB text and > 1 MiB inflated are refused; not DEFLATE, not base45', () => {
  assert.throws(() => decodeQrText('CLB1:' + '0'.repeat(9000)), /exceeds 8192/);
  const bomb = 'CLB1:' + base45Encode(deflateSync(new Uint8Array(2 * 1024 * 1024), { level: 9 }));
  assert.ok(bomb.length < MAX_QR_TEXT);
  assert.throws(() => decodeQrText(bomb), (e) => e instanceof QrPayloadError && !e.malformed && /more than 1048576 bytes/.test(e.message));
  assert.throws(() => decodeQrText('CLB1:' + base45Encode(Uint8Array.of(1, 2, 3, 4, 5))), /not valid DEFLATE|inflates/);
  assert.throws(() => decodeQrText('CLB1:abc'), /not base45/);
});
