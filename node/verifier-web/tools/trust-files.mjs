// Trust files for the command-line tools, read as the C# CLI reads them: each file given (PEM certificates and CRLs, or a
// trust-list JSON), then every *.crl.pem / *.crl beside them not given explicitly, in name order.
import { readFileSync, readdirSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { parseTrust } from '../src/verifier/index.js';

/** The trust texts: each file, then the CRL files beside them (*.crl.pem, *.crl) not given explicitly, in name order. */
export function loadTrust(files) {
  if (files.length === 0) return null;
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const given = new Set(files.map((f) => resolve(f)));
  const beside = new Set();
  for (const dir of new Set(files.map((f) => dirname(resolve(f))))) {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if ((name.endsWith('.crl.pem') || name.endsWith('.crl')) && !given.has(full)) beside.add(full);
    }
  }
  for (const f of [...beside].sort()) {
    const bytes = new Uint8Array(readFileSync(f));
    texts.push(bytes.length > 0 && bytes[0] === 0x30 ? bytes : new TextDecoder().decode(bytes));
  }
  return parseTrust(texts);
}

