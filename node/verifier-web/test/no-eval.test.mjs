// The page runs under a Content-Security-Policy without 'unsafe-eval' (script-src 'self'): no code may be generated from
// strings at run time — no eval, no new Function — or the browser refuses it ("Evaluating a string as JavaScript
// violates the following Content Security Policy directive"). Two proofs:
//  - the verifier (QR decoding: base45, DEFLATE, protobuf binary → proto3 JSON; and the whole verification) built as
//    the page builds it, run in a Node vm context whose code generation from strings is disabled, as the CSP disables
//    it: every fixture decodes and verifies as the C# reported;
//  - the page script (build.mjs's esbuild options, built in memory: the bytes of dist/verify.js) holds no call of eval or
//    the Function constructor at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { PAGE_BUILD } from '../build.mjs';
import { encodeQrBundle } from '../src/verifier/qr-payload.js';
import { manifest, bundleText, trustTexts } from './helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function bundled(options) {
  const result = await build({ ...PAGE_BUILD, ...options, absWorkingDir: root, write: false, outfile: undefined, outdir: undefined });
  assert.equal(result.outputFiles.length, 1);
  return result.outputFiles[0].text;
}

/** A context like a page under the CSP: strings cannot become code. Only the Web APIs the verifier uses are given. */
function noEvalContext() {
  const context = vm.createContext(
    { TextEncoder, TextDecoder, URL, URLSearchParams, console },
    { codeGeneration: { strings: false, wasm: false } },
  );
  // The restriction is real in this context.
  assert.equal(vm.runInContext("try { new Function('return 1')(); 'allowed' } catch (e) { e.name }", context), 'EvalError');
  assert.equal(vm.runInContext("try { eval('1'); 'allowed' } catch (e) { e.name }", context), 'EvalError');
  return context;
}

test('QR decoding and verification run with code generation from strings disabled (as under the page CSP)', async () => {
  const script = await bundled({
    entryPoints: undefined,
    stdin: {
      contents: "import * as v from './src/verifier/index.js'; globalThis.verifier = v;",
      resolveDir: root,
      sourcefile: 'no-eval-entry.js',
    },
  });
  const context = noEvalContext();
  vm.runInContext(script, context);
  vm.runInContext(`globalThis.trust = verifier.parseTrust(${JSON.stringify(trustTexts())})`, context);
  const run = vm.runInContext(
    `(async (qr, now) => {
       const decoded = verifier.decodeQrText(qr, { maxText: Number.MAX_SAFE_INTEGER });
       const report = await verifier.verifyBundle(decoded.bundle, { trust, now: new Date(now) });
       return JSON.stringify({ bundle: decoded.bundle, verdict: report.verdict, checks: report.checks, again: verifier.encodeQrBundle(decoded.bundle) });
     })`,
    context,
  );
  for (const c of manifest.cases) {
    const text = bundleText(c.file);
    const qr = encodeQrBundle(JSON.parse(text));
    const out = JSON.parse(await run(qr, manifest.now));
    assert.deepEqual(out.bundle, JSON.parse(text), c.file);
    assert.equal(out.verdict, c.csharp.verdict, c.file);
    assert.deepEqual(out.checks, c.csharp.checks, c.file);
    assert.equal(out.again, qr, c.file);
  }
  // The refusals too: an unknown field, a wrong wire type, a non-canonical encoding.
  const refused = vm.runInContext(
    `(hex) => { try { verifier.decodeQrText(hex); return 'decoded'; } catch (e) { return e.message; } }`,
    context,
  );
  const { packCompactBinary } = await import('../src/verifier/qr-payload.js');
  assert.equal(refused(packCompactBinary(Uint8Array.of(0x08, 0x02, 0x98, 0x06, 0x01))), 'malformed bundle: unknown field 99 in ProofBundle');
  assert.equal(refused(packCompactBinary(Uint8Array.of(0x0a, 0x01, 0x41))), "malformed bundle: field 1 ('version') of ProofBundle has wire type 2");
  assert.match(refused(packCompactBinary(Uint8Array.of(0x08, 0x82, 0x00))), /^malformed bundle: the protobuf is not in its canonical encoding/);
});

/**
 * eval( / (0,eval)( / x.eval( / Function( / new Function / globalThis.Function( / Function.apply|call|bind — but not as
 * part of a longer name (jsQR's mappingFunction).
 */
const CODE_FROM_STRING = /(?<![\w$])(?:eval|Function)\s*\)?\s*(?:\(|\.apply\b|\.call\b|\.bind\b)/g;

test('the page script (dist/verify.js as build.mjs makes it) calls neither eval nor the Function constructor', async () => {
  const script = await bundled({});
  assert.ok(script.length > 100_000 && script.includes('CLB1:'));
  assert.deepEqual(script.match(CODE_FROM_STRING) ?? [], []);
  // The pattern does find what protobufjs's run-time code generation was (util/codegen.js), and plain eval.
  assert.equal('return Function.apply(null, k)'.match(CODE_FROM_STRING)?.length, 1);
  assert.equal('x=new Function("a","return a")'.match(CODE_FROM_STRING)?.length, 1);
  assert.equal('(0,eval)(s)'.match(CODE_FROM_STRING)?.length, 1);
  assert.equal('globalThis.Function("return this")'.match(CODE_FROM_STRING)?.length, 1);
  assert.equal('A.mappingFunction(1)'.match(CODE_FROM_STRING), null);
  // dist/verify.js, when built, is that script.
  const dist = join(root, 'dist/verify.js');
  if (existsSync(dist)) assert.deepEqual(readFileSync(dist, 'utf8').match(CODE_FROM_STRING) ?? [], []);
});
