import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeField, pathKey } from '../src/verifier/wco-names.js';

test('occurrence indices are stripped for lookup', () => {
  assert.equal(pathKey('42A/67A/68A[1]/02A[12]/D005'), '42A/67A/68A/02A/D005');
});

test('WCO names by ID path, with code labels where a list is known', () => {
  assert.deepEqual(describeField('42A/D013', 'IMZ').name, 'Document name, coded');
  assert.match(describeField('42A/D013', 'IMZ').codeLabel, /^Import; /);
  assert.equal(describeField('42A/67A/68A[1]/02A[1]/D005', 'x').name, 'Additional document reference number');
  assert.equal(describeField('42A/67A/68A[1]/02A[1]/D031', 'Y').codeLabel, 'Simplified declaration');
  assert.equal(describeField('42A/017', '9').meaning, 'EDIFACT codes (1225)');
  assert.equal(describeField('07B/42A(DEC)/017', '9').name, 'Message function, coded');
  assert.match(describeField('MetaData/ResponsibleCountryCode', 'GB').codeLabel, /United Kingdom/);
  assert.equal(describeField('SPSCertificate/SPSConsignment/ExportSPSCountry/ID', 'NL').name, 'Export SPS country: ID');
  assert.match(describeField('SPSCertificate/SPSExchangedDocument/IncludedSPSNote[1]/Content[1]/@languageID', 'en').name, /attribute languageID/);
  assert.equal(describeField('42A/Unknown[1]', 'x').name, null);
});

test('every leaf path of the published vectors that the dictionary defines has a name', () => {
  const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('../../../tests/data/vectors/canonical-merkle-v1.json', import.meta.url)), 'utf8'));
  const missing = [];
  for (const doc of vectors.documents) {
    for (const l of doc.leaves) {
      // Elements the dictionary does not know are keyed by name and always indexed (Foo[1]): no WCO name.
      const unknownElement = /\/[A-Za-z_][A-Za-z]*\[1\]$/.test(l.path) && !/\/[0-9A-Z]{3}\[1\]$/.test(l.path) && !l.path.startsWith('SPS');
      if (!describeField(l.path, l.value).name && !unknownElement) missing.push(l.path);
    }
  }
  assert.deepEqual(missing, []);
});
