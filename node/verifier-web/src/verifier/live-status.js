// A node's public status of one document (GET {node}/public/v1/status/{documentId}):
// { documentId, issuer: { nodeId, country, agency }, batch: { batchRoot, index, size }, status: <BundleStatus JSON>,
//   publicKey: <batch key, base64> }. The status is a signed statement with this document's leaf and path, checked
// exactly as a bundle's own status is: it cannot be believed more than a bundle's.
import { readStatusMessage, MalformedBundle } from './proto-json.js';
import { fromBase64, fromHex, toHex, equal } from './bytes.js';
import { checkSignedStatus, aboutBundle } from './checks/status.js';
import { decodeStatusLeaf } from './formats.js';
import { VALID, INVALID, ERROR, UNVERIFIED, shorten, formatU } from './report.js';

export const LIVE_SOURCE = 'live from the issuing node';

function asObject(json) {
  if (typeof json === 'string') return JSON.parse(json);
  return json;
}

/** Reads the response's envelope; throws Error with a reason naming the field. */
function readResponse(json) {
  const r = asObject(json);
  if (!r || typeof r !== 'object') throw new Error('the response is not a JSON object');
  if (r.format !== undefined && r.format !== 'customs-ledger/public-status/1') throw new Error(`'format' is '${shorten(String(r.format))}', not 'customs-ledger/public-status/1'`);
  if (typeof r.documentId !== 'string') throw new Error("the response has no 'documentId'");
  let documentRoot = null;
  if (r.documentRoot !== undefined) {
    documentRoot = fromBase64(String(r.documentRoot));
    if (!documentRoot || documentRoot.length !== 32) throw new Error("'documentRoot' is not 32 bytes of base64");
  }
  const batch = r.batch ?? {};
  const batchRoot = fromBase64(batch.batchRoot ?? '');
  if (!batchRoot || batchRoot.length !== 32) throw new Error("'batch.batchRoot' is not 32 bytes of base64");
  const int = (v, name) => {
    if (!(typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v)) && !(Number.isSafeInteger(v) && v >= 0)) throw new Error(`'${name}' is not a non-negative integer`);
    return BigInt(v);
  };
  const issuer = r.issuer ?? {};
  const publicKey = fromBase64(r.publicKey ?? '');
  if (!publicKey) throw new Error("'publicKey' is not base64");
  let status;
  try {
    status = readStatusMessage(r.status ?? null);
  } catch (e) {
    if (e instanceof MalformedBundle) throw new Error(`'status' is malformed: ${e.message}`);
    throw e;
  }
  return {
    documentId: r.documentId,
    documentRoot,
    issuer: { nodeId: String(issuer.nodeId ?? ''), country: String(issuer.country ?? ''), agency: String(issuer.agency ?? '') },
    batch: { batchRoot, index: int(batch.index ?? '0', 'batch.index'), size: int(batch.size ?? '0', 'batch.size') },
    status,
    publicKey,
  };
}

/**
 * For verifyBundle: checks a live status against the bundle (same document id, root, batch and issuer; signed by the
 * batch key or a later certified key of the node). Returns what checks/status.js takes as `live`.
 */
export function liveForBundle(b, liveJson, ctx, certificate) {
  const raw = asObject(liveJson);
  if (raw && typeof raw === 'object' && 'error' in raw) return { error: String(raw.error) };
  if (raw && typeof raw === 'object' && raw.notFound) return { status: null, source: LIVE_SOURCE };
  let r;
  try {
    r = readResponse(raw);
  } catch (e) {
    return { fail: [INVALID, e.message] };
  }
  if (r.documentId !== b.documentId) return { fail: [INVALID, `it is about document '${shorten(r.documentId)}', not ${shorten(b.documentId)}`] };
  if (r.documentRoot && !equal(r.documentRoot, b.documentRoot)) return { fail: [INVALID, "its documentRoot is not the bundle's"] };
  if (!equal(r.batch.batchRoot, b.batch.batchRoot) || r.batch.index !== BigInt(b.batch.index) || r.batch.size !== BigInt(b.batch.size)) {
    return { fail: [INVALID, "its batch (batch.batchRoot, index or size) is not the bundle's"] };
  }
  if (r.issuer.nodeId !== b.issuer.nodeId) return { fail: [INVALID, `it is signed for node '${shorten(r.issuer.nodeId)}', not the bundle's issuer`] };
  const checked = checkSignedStatus(r.status, ctx, aboutBundle(b, certificate));
  if (checked.fail) return { fail: checked.fail };
  // A revocation proof in the live status means revoked, as in a bundle.
  const status = r.status.revocation ? { ...r.status, state: 'Revoked', revocationReason: r.status.revocationReason || checked.leaf.reasonCode || '' } : r.status;
  return { status, source: LIVE_SOURCE };
}

/**
 * Checks a node's public status response on its own (a link QR, a #doc=…&root=… URL): the statement is signed by the
 * batch key or a later certified key, the leaf is in the status tree at the batch index and names the asked document
 * id and root. Who the signer is can be established only by a certificate path to a trust anchor: a status signed by
 * an uncertified batch key (no signerCertificates) is at best UNVERIFIED here — verify the bundle for more.
 * Returns { verdict, reason, state, asOf, revocationReason, supersededBy, issuer, documentId, documentRoot }.
 */
export async function verifyPublicStatus(json, { trust = null, now = new Date(), documentId = null, documentRoot = null } = {}) {
  const out = (verdict, reason, extra = {}) => ({ verdict, reason, state: null, asOf: null, revocationReason: null, supersededBy: null, issuer: null, documentId, documentRoot, ...extra });
  let raw;
  try {
    raw = asObject(json);
  } catch {
    return out(INVALID, 'the node did not answer with JSON');
  }
  if (raw && typeof raw === 'object' && 'error' in raw) return out(ERROR, `the issuing node could not be asked: ${shorten(String(raw.error))}`);
  if (raw && typeof raw === 'object' && raw.notFound) return out(INVALID, `the node holds no document ${shorten(documentId ?? '')}`);
  let r;
  try {
    r = readResponse(raw);
  } catch (e) {
    return out(INVALID, `the status response is malformed: ${e.message}`);
  }
  if (documentId !== null && r.documentId !== documentId) return out(INVALID, `the node answered about document '${shorten(r.documentId)}', not '${shorten(documentId)}'`);
  const ctx = { trust, nowMs: now.getTime() };
  // The document root the leaf must name: the asked one, else whatever the leaf names (checked below for consistency).
  let root = documentRoot ? fromHex(documentRoot) : null;
  if (documentRoot && (!root || root.length !== 32)) return out(INVALID, `the asked document root '${shorten(documentRoot)}' is not 32 bytes of hex`);
  if (root && r.documentRoot && !equal(root, r.documentRoot)) return out(INVALID, `the node answered about another document root (${toHex(r.documentRoot)})`);
  root ??= r.documentRoot;
  if (!root) {
    const leaf = decodeStatusLeaf(r.status.leaf);
    if (leaf.error) return out(INVALID, leaf.error);
    root = leaf.documentRoot;
  }
  const checked = checkSignedStatus(r.status, ctx, {
    documentId: r.documentId,
    documentRoot: root,
    batchRoot: r.batch.batchRoot,
    index: r.batch.index,
    size: r.batch.size,
    nodeId: r.issuer.nodeId,
    batchKey: r.publicKey,
    certificate: null,
    stated: r.issuer,
  });
  const issuer = `${shorten(r.issuer.country)}/${shorten(r.issuer.agency)}/${shorten(r.issuer.nodeId)}`;
  const base = { issuer, documentId: r.documentId, documentRoot: toHex(root) };
  if (checked.fail) return out(checked.fail[0], checked.fail[1], base);
  const s = r.status;
  const state = s.revocation ? 'Revoked' : s.state;
  const details = { ...base, state, asOf: new Date(s.asOfMs).toISOString(), revocationReason: s.revocationReason || checked.leaf.reasonCode || null, supersededBy: s.supersededBy || null };
  if (!trust) return out(UNVERIFIED, `the status verifies, but no trust anchor was given, so nothing shows that ${issuer} signed it`, details);
  if (s.signerCertificates.length === 0) {
    return out(UNVERIFIED, `the status is signed by the batch key, which only the document's bundle (its certificate chain) ties to ${issuer}: verify the bundle for a VALID`, details);
  }
  const when = formatU(s.asOfMs);
  switch (state) {
    case 'Anchored':
      return out(VALID, `in force as of ${when} (${LIVE_SOURCE}, signed by ${r.issuer.nodeId} ${checked.signer.reason})`, details);
    case 'Revoked':
      return out(INVALID, `revoked (reason ${details.revocationReason ?? 'unspecified'}) as of ${when} (${LIVE_SOURCE})`, details);
    case 'Superseded':
      return out(INVALID, `superseded by ${s.supersededBy} as of ${when} (${LIVE_SOURCE})`, details);
    default:
      return out(INVALID, `not anchored yet (${state}) as of ${when} (${LIVE_SOURCE})`, details);
  }
}

