#!/usr/bin/env node
// Drives the verification page (dist/verify.html, or a node's /verify/) in a headless Chromium for tests, and prints
// one JSON line per case. Uses playwright-core with a Chromium that is already installed (scripts/install-chromium.sh):
// it never downloads a browser.
//
//   node test-browser/drive.mjs PLAN.json        (npm run drive -- PLAN.json)
//
// PLAN = { "chromium": "/usr/bin/chromium", "screenshots": "/abs/dir", "cases": [ { "name", "url",
//          "bundleFile"?, "qrImage"?, "camera"?: true, "trustFiles"?: [..], "nodeUrl"?, "offlineOnly"?: bool,
//          "hash"?: "#doc=…&root=…" } ], "fakeCamera"?: "/abs/video.y4m" }
// With "fakeCamera" Chromium's camera is that video (its fake capture device; permission granted without a prompt), and a
// case with "camera": true presses #camera-button instead of giving a file: the page reads the QR code from the frames.
// Per case, on a new page of the same browser: open url + hash; wait until the page is settled (./trust.pem fetched
// when served, a #doc= link looked up); set the node URL, the offline box and the trust files; give the bundle
// (#bundle-file) or the QR image (#qr-file), or, for a link with changed settings, press #verify-button; wait for
// body[data-state="done"] (60 s); read #verdict, #checks, #fields, #public-status, #error; take a full-page screenshot
// <screenshots>/<name>.png. Output line:
//   { "name", "verdict", "checks": { "<check>": { "verdict", "reason" } }, "fields": [ { "path", "name", "value",
//     "qualifier", "label", "hidden" } ], "publicStatus", "info", "error", "screenshot" }
// Page console errors, page exceptions, failed requests and HTTP errors go to stderr, prefixed with "[name]".
// Exit 0 when every case ran (whatever the verdicts); 1 on a driver failure (message on stderr; a case that failed
// still prints its line, with "driverError").
import { chromium } from 'playwright-core';
import { readFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, isAbsolute } from 'node:path';

const TIMEOUT_MS = 60_000;
const ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

class PlanError extends Error {}

function readPlan(file) {
  let plan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PlanError(`cannot read the plan ${file}: ${e.message}`);
  }
  const need = (ok, what) => {
    if (!ok) throw new PlanError(`plan: ${what}`);
  };
  need(plan && typeof plan === 'object', 'not a JSON object');
  need(typeof plan.chromium === 'string' && existsSync(plan.chromium), `chromium "${plan.chromium}" does not exist (run scripts/install-chromium.sh)`);
  need(typeof plan.screenshots === 'string' && isAbsolute(plan.screenshots), '"screenshots" must be an absolute directory');
  need(Array.isArray(plan.cases) && plan.cases.length > 0, '"cases" must be a non-empty array');
  need(plan.fakeCamera === undefined || (typeof plan.fakeCamera === 'string' && isAbsolute(plan.fakeCamera) && existsSync(plan.fakeCamera)), '"fakeCamera" must be an existing absolute .y4m or .mjpeg file');
  const names = new Set();
  for (const c of plan.cases) {
    need(c && typeof c.name === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(c.name), `case name "${c?.name}" must be 1-100 of [A-Za-z0-9._-]`);
    need(!names.has(c.name), `case name "${c.name}" is used twice`);
    names.add(c.name);
    need(typeof c.url === 'string' && /^(https?|file):\/\//.test(c.url), `${c.name}: "url" must be an http(s) or file URL`);
    need([c.bundleFile, c.qrImage, c.camera].filter(Boolean).length <= 1, `${c.name}: give one of "bundleFile", "qrImage", "camera"`);
    need(!c.camera || typeof plan.fakeCamera === 'string', `${c.name}: "camera" needs the plan's "fakeCamera" video`);
    for (const f of [c.bundleFile, c.qrImage, ...(c.trustFiles ?? [])].filter((x) => x !== undefined)) {
      need(typeof f === 'string' && existsSync(f), `${c.name}: file "${f}" does not exist`);
    }
    need(c.trustFiles === undefined || Array.isArray(c.trustFiles), `${c.name}: "trustFiles" must be an array`);
    need(c.nodeUrl === undefined || typeof c.nodeUrl === 'string', `${c.name}: "nodeUrl" must be a string`);
    need(c.offlineOnly === undefined || typeof c.offlineOnly === 'boolean', `${c.name}: "offlineOnly" must be true or false`);
    need(c.hash === undefined || (typeof c.hash === 'string' && c.hash.startsWith('#')), `${c.name}: "hash" must start with #`);
  }
  return plan;
}

/** Logs the page's errors and failed requests to stderr, prefixed with the case name. */
function watch(page, name) {
  const log = (line) => process.stderr.write(`[${name}] ${line}\n`);
  page.on('console', (m) => {
    if (m.type() === 'error') log(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('requestfailed', (r) => log(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText ?? 'unknown'})`));
  page.on('response', (r) => {
    if (r.status() >= 400) log(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

async function waitFor(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: TIMEOUT_MS, polling: 50 });
  } catch (e) {
    throw new Error(`${TIMEOUT_MS / 1000} s passed waiting for ${what} (${e?.message?.split('\n')[0] ?? e})`);
  }
}
const stateDone = () => document.body.dataset.state === 'done';
const resetState = (page) => page.evaluate(() => {
  document.body.dataset.state = 'driving';
});

/** What the page shows. */
function readPage() {
  const text = (e) => (e ? e.textContent.trim() : null);
  const checks = {};
  for (const tr of document.querySelectorAll('#checks tbody tr')) {
    checks[tr.dataset.check] = { verdict: text(tr.querySelector('.verdict')), reason: text(tr.querySelector('.reason')) };
  }
  const fields = [...document.querySelectorAll('#fields tbody tr')].map((tr) => {
    const value = tr.querySelector('.value');
    const raw = value?.querySelector('.raw');
    return {
      path: tr.dataset.path ?? null,
      name: text(tr.querySelector('.name')),
      value: raw ? raw.textContent : text(value),
      qualifier: text(value?.querySelector('.qualifier')),
      label: text(value?.querySelector('.label')),
      hidden: tr.classList.contains('hidden'),
    };
  });
  const info = {};
  const dts = [...document.querySelectorAll('#document-info dt')];
  for (const dt of dts) info[dt.textContent] = dt.nextElementSibling?.textContent ?? null;
  const ps = document.getElementById('public-status');
  return {
    verdict: text(document.getElementById('verdict')) || null,
    checks,
    fields,
    publicStatus: ps && !ps.hidden ? text(ps) : null,
    info,
    error: text(document.getElementById('error')) || null,
    state: document.body.dataset.state ?? null,
  };
}

async function runCase(context, plan, c) {
  const page = await context.newPage();
  watch(page, c.name);
  const screenshot = join(plan.screenshots, `${c.name}.png`);
  try {
    await page.goto(c.url + (c.hash ?? ''), { timeout: TIMEOUT_MS, waitUntil: 'load' });
    // Settled: ./trust.pem fetched when served, and a #doc= link looked up.
    await waitFor(page, 'the page to be ready (body[data-ready])', () => document.body.dataset.ready === 'true');
    let changed = false;
    if (c.nodeUrl !== undefined) {
      await page.fill('#node-url', c.nodeUrl);
      changed = true;
    }
    if (c.offlineOnly !== undefined) {
      await page.setChecked('#offline-only', c.offlineOnly);
      changed = true;
    }
    if (c.trustFiles?.length) {
      const before = await page.evaluate(() => Number(document.body.dataset.trustLoads ?? 0));
      await page.setInputFiles('#trust-file', c.trustFiles);
      await waitFor(page, 'the trust files to load', (n) => Number(document.body.dataset.trustLoads ?? 0) > n && document.body.dataset.trust === 'ready', before);
      changed = true;
    }
    if (c.bundleFile || c.qrImage) {
      await resetState(page);
      await page.setInputFiles(c.bundleFile ? '#bundle-file' : '#qr-file', c.bundleFile ?? c.qrImage);
    } else if (c.camera) {
      await resetState(page);
      await page.click('#camera-button');
    } else if (changed || !(await page.evaluate(stateDone))) {
      // A link (#doc=…) looked up before the settings were given, or nothing given: verify (again) with them.
      await resetState(page);
      await page.click('#verify-button');
    }
    await waitFor(page, 'the verification (body[data-state="done"])', stateDone);
    const shown = await page.evaluate(readPage);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { name: c.name, ...shown, screenshot };
  } catch (e) {
    let shown = {};
    try {
      shown = await page.evaluate(readPage);
      await page.screenshot({ path: screenshot, fullPage: true, timeout: 10_000 });
    } catch {
      // the page is gone: report what is known
    }
    return { name: c.name, ...shown, screenshot: existsSync(screenshot) ? screenshot : null, driverError: e?.message?.split('\n')[0] ?? String(e) };
  } finally {
    await page.close().catch(() => {});
  }
}

async function main() {
  const planFile = process.argv[2];
  if (!planFile || process.argv.length > 3) throw new PlanError('usage: node test-browser/drive.mjs PLAN.json');
  const plan = readPlan(planFile);
  mkdirSync(plan.screenshots, { recursive: true });
  // A fresh, empty profile, removed at the end. Playwright refuses --user-data-dir in launch()'s args: a persistent
  // context on the empty directory is the same thing.
  const profile = mkdtempSync(join(tmpdir(), 'verifier-web-chromium-'));
  let context = null;
  const cleanUp = async () => {
    if (context) await context.close().catch(() => {});
    context = null;
    rmSync(profile, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      cleanUp().finally(() => process.exit(1));
    });
  }
  let failed = 0;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: plan.chromium,
      headless: true,
      args: plan.fakeCamera
        ? [...ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${plan.fakeCamera}`]
        : ARGS,
      acceptDownloads: false,
      viewport: { width: 1280, height: 900 },
      timeout: TIMEOUT_MS,
    });
    for (const c of plan.cases) {
      const line = await runCase(context, plan, c);
      if (line.driverError) {
        failed++;
        process.stderr.write(`[${c.name}] driver failure: ${line.driverError}\n`);
      }
      process.stdout.write(JSON.stringify(line) + '\n');
    }
  } finally {
    await cleanUp();
  }
  if (failed) throw new Error(`${failed} of ${plan.cases.length} case(s) did not run to the end`);
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (e) => {
    process.stderr.write(`drive: ${e?.message ?? e}\n`);
    process.exitCode = 1;
  },
);
