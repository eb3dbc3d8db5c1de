// Builds the static page: dist/verify.js (one classic-script IIFE, so the page also works opened from file://) and
// dist/verify.html (the page with its CSS inlined). Deterministic: no timestamps, no source maps, fixed target.
// PAGE_BUILD is exported for test/no-eval.test.mjs, which builds the same script in memory.
import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PAGE_BUILD = {
  entryPoints: ['src/page/main.js'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2022', 'chrome100'],
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  outfile: 'dist/verify.js',
  logLevel: 'warning',
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync('dist', { recursive: true });
  await build(PAGE_BUILD);
  const css = readFileSync('src/page/style.css', 'utf8');
  const html = readFileSync('src/page/index.html', 'utf8').replace('<link rel="stylesheet" href="style.css">', `<style>\n${css}</style>`);
  if (!html.includes('<style>')) throw new Error('index.html: the stylesheet link was not found');
  writeFileSync('dist/verify.html', html);
  for (const f of ['dist/verify.js', 'dist/verify.html']) console.log(`${f}: ${statSync(f).size} bytes`);
}
