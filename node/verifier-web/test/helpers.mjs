// Shared test helpers: the committed fixtures (10 cases of the differential corpus, with the C# reports).
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTrust } from '../src/verifier/index.js';

export const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8'));
/** Fixture certificates and CRLs expire (CRL nextUpdate ~7 days): every test verifies at this instant. */
export const NOW = new Date(manifest.now);

export function trustTexts() {
  // The CA certificate file and the CRL files beside it, as the C# CLI loads them.
  const dir = join(fixtures, 'trust');
  return readdirSync(dir).sort((a, b) => (a === 'consortium-ca.pem' ? -1 : b === 'consortium-ca.pem' ? 1 : a < b ? -1 : 1)).map((f) => readFileSync(join(dir, f), 'utf8'));
}

export const loadTrust = () => parseTrust(trustTexts());

export const bundleText = (file) => readFileSync(join(fixtures, file), 'utf8');

export const caseOf = (mutation) => manifest.cases.find((c) => c.mutation === mutation);

export const byName = (report) => Object.fromEntries(report.checks.map((c) => [c.name, c]));
