// Customs.Ledger proof-bundle verifier (independent JavaScript implementation).
// verifyBundle runs the six checks of docs/TRUST.md — integrity, inclusion, signature, issuer, anchored, status — on a
// bundle file (WIRE-FORMATS.md #14) and never throws for a malformed bundle: what is wrong is reported per check.
import { readBundle, MalformedBundle } from './proto-json.js';
import { readRecordIdentity } from './formats.js';
import { integrity } from './checks/integrity.js';
import { inclusion } from './checks/inclusion.js';
import { signature } from './checks/signature.js';
import { issuer } from './checks/issuer.js';
import { anchored } from './checks/anchored.js';
import { status } from './checks/status.js';
import { liveForBundle } from './live-status.js';
import { EthereumVerifier } from './ethereum-anchor.js';
import { VALID, INVALID, CHECK_NAMES, combine, check, shorten } from './report.js';
import { toHex } from './bytes.js';
import { LEAF_TYPES } from './dotnet-enum.js';

export { parseTrust, TrustError } from './trust.js';
export { verifyPublicStatus } from './live-status.js';
export { decodeQrText, encodeQrBundle, QrPayloadError } from './qr-payload.js';
export { describeField } from './wco-names.js';
export { jsonRpcOverHttp } from './json-rpc.js';
export { witnessPolicy, parseNoteKey } from './transparency.js';
export { VALID, INVALID, ERROR, UNVERIFIED, combine } from './report.js';

/** Runs one check; an exception (where the C# verifier would throw on malformed data) makes it INVALID. */
async function run(name, fn) {
  try {
    const [verdict, reason] = await fn();
    return check(name, verdict, reason);
  } catch (e) {
    return check(name, INVALID, 'malformed bundle: ' + (e?.message || String(e)));
  }
}

function documentOf(b) {
  if (!b) return null;
  return {
    id: b.documentId,
    kind: b.kind.name,
    profile: b.profile,
    documentRoot: toHex(b.documentRoot),
    issuer: { country: b.issuer.country, agency: b.issuer.agency, nodeId: b.issuer.nodeId },
    fields: b.leaves.map((l, index) =>
      l.disclosed
        ? { index, path: l.disclosed.path, type: LEAF_TYPES[l.disclosed.type], value: l.disclosed.value, qualifier: l.disclosed.qualifier, hidden: false }
        : { index, path: null, type: null, value: null, qualifier: null, hidden: true },
    ),
  };
}

/**
 * Verifies one bundle.
 * @param {string|object} input bundle JSON text, or its parsed object
 * @param {{ trust?: import('./trust.js').Trust, now?: Date, requiredLedgers?: string[], maxStatusAgeMs?: number,
 *           liveStatus?: object, ethereumRpc?: (method: string, params: any[]) => Promise<any>,
 *           witnesses?: object }} options  witnesses: a witness policy (transparency.js witnessPolicy) that replaces the
 *           trust list's
 * @returns {Promise<{ verdict: string, checks: {name: string, verdict: string, reason: string}[], document: object|null }>}
 */
export async function verifyBundle(input, options = {}) {
  let b;
  try {
    b = readBundle(input);
  } catch (e) {
    const reason = 'malformed bundle: ' + (e instanceof MalformedBundle ? e.message : shorten(String(e?.message ?? e)));
    return { verdict: INVALID, checks: CHECK_NAMES.map((n) => check(n, INVALID, reason)), document: null, malformed: true };
  }
  const ctx = {
    trust: options.trust ?? null,
    nowMs: (options.now ?? new Date()).getTime(),
    requiredLedgers: options.requiredLedgers ?? [],
    maxStatusAgeMs: options.maxStatusAgeMs ?? null,
    ethereum: options.ethereumRpc ? new EthereumVerifier(options.ethereumRpc) : null,
    // VerificationPolicy.Witnesses ?? the trust list's (null: a log proof is still checked, cosignatures are not counted).
    witnesses: options.witnesses ?? options.trust?.list?.witnesses ?? null,
  };
  const record = readRecordIdentity(b.ledgerRecord);
  const certificate = ctx.trust && b.issuer.certificateChain.length > 0 ? ctx.trust.resolve(b.issuer.certificateChain) : null;
  const cIntegrity = await run('integrity', () => integrity(b));
  const cInclusion = await run('inclusion', () => inclusion(b, record));
  const cSignature = await run('signature', () => signature(b));
  let anchoredAt = null;
  const cAnchored = await run('anchored', async () => {
    const [v, r, at] = await anchored(b, ctx, certificate);
    anchoredAt = at;
    return [v, r];
  });
  const cIssuer = await run('issuer', () => issuer(b, ctx, certificate, anchoredAt, record));
  const live = options.liveStatus !== undefined && options.liveStatus !== null ? liveForBundle(b, options.liveStatus, ctx, certificate) : null;
  const cStatus = await run('status', () => status(b, ctx, certificate, live));
  const checks = [cIntegrity, cInclusion, cSignature, cIssuer, cAnchored, cStatus];
  return { verdict: combine(checks.map((c) => c.verdict)), checks, document: documentOf(b) };
}
