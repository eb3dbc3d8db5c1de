#!/usr/bin/env node
// Generates src/verifier/bundle_pb.js: the Protobuf-ES (@bufbuild/protobuf v2) description of customs.ledger.v1 from
// protos/customs/ledger/v1/bundle.proto — `buf generate` (the buf compiler, @bufbuild/buf) with the protoc-gen-es plugin
// (@bufbuild/protoc-gen-es), both devDependencies. The output is committed: an embedded serialized FileDescriptorProto
// that @bufbuild/protobuf's reflection reads at run time (no code generated at run time, no eval — the page's CSP has
// no 'unsafe-eval'), the same in Node and in the browser. test/compact-bundle.test.mjs fails when it is out of date.
// Usage: node tools/make-bundle-pb.mjs [--check]
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PROTOS = join(here, '../../../protos');
export const PROTO = join(PROTOS, 'customs/ledger/v1/bundle.proto');
export const OUT = join(here, '../src/verifier/bundle_pb.js');
const BIN = join(here, '../node_modules/.bin');

/** The text of bundle_pb.js, generated from the .proto file. */
export function generatedModule() {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-pb-'));
  try {
    const template = {
      version: 'v2',
      plugins: [{ local: join(BIN, 'protoc-gen-es'), out: dir, opt: ['target=js', 'import_extension=js'] }],
    };
    // google/protobuf/timestamp.proto is a well-known type: buf supplies it, and the generated module imports its
    // description from @bufbuild/protobuf/wkt.
    execFileSync(join(BIN, 'buf'), ['generate', PROTOS, '--path', PROTO, '--template', JSON.stringify(template)], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, BUF_CACHE_DIR: join(dir, '.cache') },
    });
    return readFileSync(join(dir, 'customs/ledger/v1/bundle_pb.js'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generatedModule();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== text) {
      console.error('src/verifier/bundle_pb.js is out of date: run node tools/make-bundle-pb.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
    console.log(`${OUT}: ${text.length} characters`);
  }
}
