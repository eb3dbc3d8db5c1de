import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base45Encode, base45Decode } from '../src/verifier/base45.js';
import { decodeQrText } from '../src/verifier/qr-payload.js';
import { utf8 } from '../src/verifier/bytes.js';

test('base45: the RFC 9285 examples', () => {
  for (const [plain, encoded] of [['AB', 'BB8'], ['Hello!!', '%69 VD92EX0'], ['base-45', 'UJCLQE7W581']]) {
    assert.equal(base45Encode(utf8(plain)), encoded);
    assert.equal(new TextDecoder().decode(base45Decode(encoded)), plain);
  }
  assert.equal(new TextDecoder().decode(base45Decode('QED8WEX0')), 'ietf!');
});

test('base45: invalid input is refused', () => {
  for (const bad of ['GGW', 'A', 'ab', 'AB#', ':::']) assert.throws(() => base45Decode(bad), /base45/);
});

test('base45: every byte value round-trips', () => {
  const bytes = Uint8Array.from({ length: 513 }, (_, i) => (i * 7919) & 255);
  assert.deepEqual(base45Decode(base45Encode(bytes)), bytes);
});

test('link QR: an http(s) /verify URL with #doc=…&root=…', () => {
  const root = 'AB'.repeat(32);
  assert.deepEqual(decodeQrText(`https://node.example:8443/verify#doc=29e878df34fceeaa0db251c8ddcf982c&root=${root}`), {
    kind: 'link',
    url: 'https://node.example:8443/verify',
    documentId: '29e878df34fceeaa0db251c8ddcf982c',
    documentRoot: root.toLowerCase(),
  });
  assert.deepEqual(decodeQrText('http://localhost/verify#doc=abc'), { kind: 'link', url: 'http://localhost/verify', documentId: 'abc' });
  assert.throws(() => decodeQrText('https://node.example/verify'), /names no document/);
  assert.throws(() => decodeQrText('https://node.example/verify#doc=abc&root=12'), /names no document/);
  assert.throws(() => decodeQrText('javascript:alert(1)#doc=a'), /not an http/);
  assert.throws(() => decodeQrText('hello'), /neither a compact bundle/);
});
