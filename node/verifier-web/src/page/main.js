// The verification page: reads a bundle (file, paste, drop, QR image, camera), the trust anchors (./trust.pem when
// served by a node, or files), verifies with the library, asks the issuing node for the live status unless offline,
// and shows the verdict. Every value from a bundle or a node is written with textContent, never as HTML.
import jsQR from 'jsqr';
import { verifyBundle, parseTrust, verifyPublicStatus, decodeQrText, QrPayloadError, describeField, jsonRpcOverHttp } from '../verifier/index.js';
import { parseFragment } from '../verifier/qr-payload.js';

const $ = (id) => document.getElementById(id);
const CHECKS = ['integrity', 'inclusion', 'signature', 'issuer', 'anchored', 'status'];
const served = location.protocol === 'http:' || location.protocol === 'https:';

/** Trust inputs: the node's ./trust.pem (when served) and files the user loaded. */
const trustInputs = { served: [], files: [] };
let trust = null;
let loadedBundle = null; // text of the last bundle file / QR

function setState(state) {
  document.body.dataset.state = state;
}

function showError(message) {
  $('error').textContent = message || '';
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

// ---- trust ----

function rebuildTrust() {
  const inputs = [...trustInputs.served, ...trustInputs.files];
  const summary = $('trust-summary');
  summary.textContent = '';
  if (inputs.length === 0) {
    trust = null;
    summary.textContent = 'No trust anchor loaded: the issuer cannot be established (UNVERIFIED).';
    return;
  }
  try {
    trust = parseTrust(inputs);
  } catch (e) {
    trust = null;
    summary.textContent = 'Trust anchors not usable: ' + e.message;
    showError('Trust anchors not usable: ' + e.message);
    return;
  }
  const s = trust.summary();
  summary.append(el('span', 'Trust anchors:'));
  const ul = el('ul');
  for (const a of s.anchors) {
    ul.append(el('li', `${a.cn}${a.crlNextUpdate ? ` (CRL until ${new Date(a.crlNextUpdate).toISOString()})` : ' (no CRL: issuers UNVERIFIED)'}`));
  }
  if (s.trustList) ul.append(el('li', `Trust list '${s.trustList.consortium}' #${s.trustList.sequence}`));
  summary.append(ul);
}

async function readTrustFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // A DER CRL (*.crl) starts with a SEQUENCE tag; everything else is text (PEM or a trust list).
  return bytes.length > 0 && bytes[0] === 0x30 ? bytes : new TextDecoder().decode(bytes);
}

// body[data-trust]: "loading" while trust files are read, "ready" once the anchors in use are final (after ./trust.pem
// when served); body[data-trust-loads] counts the trust-file loads done (for tests driving the page).
async function loadTrustFiles(files) {
  document.body.dataset.trust = 'loading';
  showError('');
  try {
    trustInputs.files.push(...(await Promise.all([...files].map(readTrustFile))));
  } catch (e) {
    showError('Cannot read the trust file: ' + e.message);
  }
  rebuildTrust();
  document.body.dataset.trustLoads = String(Number(document.body.dataset.trustLoads ?? 0) + 1);
  document.body.dataset.trust = 'ready';
}

async function loadServedTrust() {
  if (!served) return;
  try {
    const response = await fetch('./trust.pem', { credentials: 'omit', cache: 'no-store' });
    if (response.ok) {
      trustInputs.served = [await response.text()];
      rebuildTrust();
    }
  } catch {
    // No trust.pem next to the page: the user loads trust files.
  }
}

// ---- node and ledger access ----

function nodeUrl() {
  return $('node-url').value.trim().replace(/\/+$/, '');
}

/** The issuing node's public status of a document: the JSON, { notFound }, or { error }. */
async function fetchPublicStatus(base, documentId) {
  const url = `${base}/public/v1/status/${encodeURIComponent(documentId)}`;
  let response;
  try {
    response = await fetch(url, { credentials: 'omit', mode: 'cors', headers: { accept: 'application/json' } });
  } catch (e) {
    return { error: `${url} did not answer (${e.message})` };
  }
  // The node's endpoint answers a JSON 404 for a document it does not hold; any other 404 (a static server, an
  // older node) means there is no endpoint to ask: that is an ERROR, not a verdict about the document.
  if (response.status === 404) {
    return /json/i.test(response.headers.get('content-type') ?? '') ? { notFound: true } : { error: `${url} has no public status endpoint (HTTP 404)` };
  }
  if (!response.ok) {
    // The node's problems are JSON { status, error } (409: not anchored yet, 503: store unavailable).
    let detail = '';
    try {
      detail = (await response.json())?.error ?? '';
    } catch {
      detail = '';
    }
    return { error: `${url} answered HTTP ${response.status}${detail ? ': ' + String(detail).slice(0, 200) : ''}` };
  }
  try {
    return await response.json();
  } catch {
    return { error: `${url} did not answer with JSON` };
  }
}

function ethereumRpc() {
  const url = $('rpc-url').value.trim();
  return url ? jsonRpcOverHttp(url) : undefined;
}

// ---- rendering ----

function renderVerdict(verdict) {
  const v = $('verdict');
  v.textContent = verdict;
  v.className = verdict ? 'verdict v-' + verdict : 'verdict';
}

function renderReport(report) {
  $('result').hidden = false;
  renderVerdict(report.verdict);
  const tbody = $('checks').querySelector('tbody');
  tbody.textContent = '';
  for (const c of report.checks) {
    const tr = el('tr');
    tr.dataset.check = c.name;
    tr.append(el('td', c.name, 'name'), el('td', c.verdict, 'verdict v-' + c.verdict), el('td', c.reason, 'reason'));
    tbody.append(tr);
  }
  const info = $('document-info');
  info.textContent = '';
  const fields = $('fields').querySelector('tbody');
  fields.textContent = '';
  const d = report.document;
  if (!d) return;
  for (const [k, v] of [['Document id', d.id], ['Kind', d.kind], ['Profile', d.profile], ['Document root', d.documentRoot], ['Issuer (as stated)', `${d.issuer.country}/${d.issuer.agency}/${d.issuer.nodeId}`]]) {
    info.append(el('dt', k), el('dd', v));
  }
  for (const f of d.fields) {
    const tr = el('tr');
    if (f.hidden) {
      tr.classList.add('hidden');
      tr.dataset.path = '';
      tr.append(el('td', '(hidden leaf)', 'path'), el('td', '', 'name'), el('td', 'hidden', 'value'));
    } else {
      tr.dataset.path = f.path;
      const about = describeField(f.path, f.value);
      const value = el('td', '', 'value');
      value.append(el('span', f.value, 'raw'));
      if (f.qualifier) value.append(el('span', ` ${f.qualifier}`, 'qualifier'));
      if (about.codeLabel) value.append(el('div', about.codeLabel, 'label'));
      else if (about.meaning) value.append(el('div', about.meaning, 'label'));
      tr.append(el('td', f.path, 'path'), el('td', about.name ?? '', 'name'), value);
    }
    fields.append(tr);
  }
}

function renderPublicStatus(result) {
  $('result').hidden = false;
  renderVerdict(result.verdict);
  $('checks').querySelector('tbody').textContent = '';
  $('fields').querySelector('tbody').textContent = '';
  const info = $('document-info');
  info.textContent = '';
  for (const [k, v] of [['Document id', result.documentId], ['Document root', result.documentRoot], ['Issuer', result.issuer], ['State', result.state], ['As of', result.asOf], ['Revocation reason', result.revocationReason], ['Superseded by', result.supersededBy]]) {
    if (v) info.append(el('dt', k), el('dd', v));
  }
  const box = $('public-status');
  box.hidden = false;
  box.textContent = '';
  box.append(el('strong', `Public status (${result.verdict}): `), el('span', result.reason));
}

// ---- verification ----

async function verifyText(text) {
  showError('');
  // No verdict of an earlier verification stays on screen while (or if) this one fails.
  $('result').hidden = true;
  renderVerdict('');
  $('public-status').hidden = true;
  const trimmed = text.trim();
  if (!trimmed) {
    if (parseFragment(location.hash)) return lookUpLink({ url: location.href, ...parseFragment(location.hash) });
    showError('Give a bundle: a file, pasted JSON or a QR code.');
    return;
  }
  if (trimmed.startsWith('{')) return verifyBundleInput(trimmed);
  // A QR text: a compact bundle (CLB1: protobuf binary) or a link.
  let payload;
  try {
    payload = decodeQrText(trimmed);
  } catch (e) {
    if (!(e instanceof QrPayloadError && e.malformed)) throw e;
    // The QR unpacked but holds no readable ProofBundle: reported like a malformed bundle file.
    showError('This is not a readable proof bundle: ' + e.message);
    renderReport({ verdict: 'INVALID', checks: CHECKS.map((name) => ({ name, verdict: 'INVALID', reason: e.message })), document: null });
    return;
  }
  if (payload.kind === 'link') return lookUpLink(payload);
  return verifyBundleInput(payload.bundle);
}

/** Verifies a bundle (JSON text, or the proto3 JSON object of a compact QR bundle) and shows the report. */
async function verifyBundleInput(bundle) {
  const options = { trust: trust ?? undefined, ethereumRpc: ethereumRpc() };
  let report = await verifyBundle(bundle, options);
  if (report.malformed) {
    showError('This is not a readable proof bundle: ' + report.checks[0].reason);
  }
  const base = nodeUrl();
  if (report.document && base && !$('offline-only').checked) {
    const live = await fetchPublicStatus(base, report.document.id);
    report = await verifyBundle(bundle, { ...options, liveStatus: live });
  }
  renderReport(report);
}

async function lookUpLink({ url, documentId, documentRoot }) {
  const base = nodeUrl() || new URL(url).origin;
  const json = await fetchPublicStatus(base, documentId);
  const result = await verifyPublicStatus(json, { trust, documentId, documentRoot: documentRoot ?? null });
  renderPublicStatus(result);
}

async function guarded(work) {
  setState('busy');
  try {
    await work();
  } catch (e) {
    showError(e?.message ?? String(e));
  } finally {
    setState('done');
  }
}

// ---- QR ----

function decodeImageData(imageData) {
  const code = jsQR(imageData.data, imageData.width, imageData.height);
  return code ? code.data : null;
}

async function qrFromImageFile(file) {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  const scale = Math.min(1, 2000 / Math.max(bitmap.width, bitmap.height));
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const text = decodeImageData(ctx.getImageData(0, 0, canvas.width, canvas.height));
  if (!text) throw new Error('No QR code found in the image.');
  return text;
}

let cameraStream = null;

async function scanWithCamera() {
  const video = $('camera');
  if (cameraStream) {
    stopCamera();
    return;
  }
  cameraStream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  video.srcObject = cameraStream;
  video.hidden = false;
  await video.play();
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  // Resolves once a code was read and verified, or the camera was stopped: until then the page stays busy (it said
  // "done" as soon as the camera started, before the code was even read).
  await new Promise((resolve, reject) => {
    const tick = () => {
      if (!cameraStream) {
        resolve();
        return;
      }
      if (video.readyState >= 2 && video.videoWidth > 0) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const text = decodeImageData(ctx.getImageData(0, 0, canvas.width, canvas.height));
        if (text) {
          stopCamera();
          verifyText(text).then(resolve, reject);
          return;
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

function stopCamera() {
  for (const t of cameraStream?.getTracks() ?? []) t.stop();
  cameraStream = null;
  $('camera').hidden = true;
}

// ---- wiring ----

async function handleFiles(files) {
  const trustFiles = [];
  for (const file of files) {
    const name = file.name.toLowerCase();
    if (/\.(png|jpe?g)$/.test(name) || file.type.startsWith('image/')) {
      await guarded(async () => verifyText(await qrFromImageFile(file)));
    } else if (/\.(pem|crl|crt|cer)$/.test(name)) {
      trustFiles.push(file);
    } else {
      const text = await file.text();
      if (text.includes('application/vnd.customs-ledger.trust-list+json')) trustFiles.push(file);
      else {
        loadedBundle = text;
        $('bundle-text').value = '';
        await guarded(() => verifyText(text));
      }
    }
  }
  if (trustFiles.length) await loadTrustFiles(trustFiles);
}

function init() {
  if (served) $('node-url').value = location.origin;
  $('bundle-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    loadedBundle = await file.text();
    $('bundle-text').value = '';
    await guarded(() => verifyText(loadedBundle));
  });
  $('qr-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (file) await guarded(async () => verifyText(await qrFromImageFile(file)));
  });
  $('trust-file').addEventListener('change', (e) => loadTrustFiles(e.target.files));
  $('bundle-text').addEventListener('input', () => {
    loadedBundle = null;
  });
  $('verify-button').addEventListener('click', () => guarded(() => verifyText($('bundle-text').value.trim() ? $('bundle-text').value : loadedBundle ?? '')));
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    handleFiles([...e.dataTransfer.files]);
  });
  if (navigator.mediaDevices?.getUserMedia) {
    $('camera-button').hidden = false;
    $('camera-button').addEventListener('click', () => guarded(scanWithCamera));
  }
  // body[data-ready]: set once the page is settled: ./trust.pem fetched (when served) and, for a #doc=… link, its public
  // status looked up (then data-state is "done" too).
  const fragment = parseFragment(location.hash);
  document.body.dataset.trust = 'loading';
  loadServedTrust().then(async () => {
    document.body.dataset.trust = 'ready';
    if (fragment) await guarded(() => lookUpLink({ url: location.href, ...fragment }));
    document.body.dataset.ready = 'true';
  });
}

init();
