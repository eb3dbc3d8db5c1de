// Check 6, status (WIRE-FORMATS.md #7, docs/TRUST.md): the status statement is signed by the issuer (the batch key, or
// a later certified key of the same node after a rotation) about this batch; the bundle's status leaf is in the status
// tree it signs at the document's batch index and names this document's id and root; each readable status field says
// what the leaf and statement say. A revocation proof means revoked, whatever the statement says. Offline, VALID means
// "in force as of the statement's time"; a statement older than maxStatusAgeMs is UNVERIFIED. A live status from the
// issuing node, when given, must pass the same checks and then decides the state ("in force now").
import { VALID, INVALID, ERROR, UNVERIFIED, shorten, formatU, describeDuration } from '../report.js';
import { decodeStatement, decodeStatusLeaf } from '../formats.js';
import { leafHash, verifyInclusion } from '../merkle.js';
import { sha256 } from '../hash.js';
import { equal } from '../bytes.js';
import { parseSignature, recover, compressed } from '../secp256k1.js';
import { anchorVerifierFor } from './anchored.js';

const STATE_OF_LEAF = (s) => s; // leaf states are the DocumentState names

/**
 * Who signed the statement: the batch key, or a later certified key of the same node, valid and not revoked when the
 * statement was made. Returns { verdict, reason, key }.
 */
export function statementSigner(s, statement, ctx, { batchKey, certificate, stated }) {
  const sig = parseSignature(s.signature);
  const point = sig ? recover(sha256(s.statement), sig) : null;
  if (!point) return { verdict: INVALID, reason: "the status statement's signature is missing or malformed", key: null };
  const signerKey = compressed(point);
  if (s.signerCertificates.length === 0) {
    return equal(signerKey, batchKey)
      ? { verdict: VALID, reason: 'with the batch key', key: signerKey }
      : { verdict: INVALID, reason: 'the status statement is not signed by the issuer: its signature does not match the batch key (an edited or forged status)', key: null };
  }
  if (!ctx.trust) {
    return { verdict: UNVERIFIED, reason: 'the status statement is signed by a later key of the issuer, which only a trust anchor can certify (pass --trust)', key: null };
  }
  const signerCertificate = ctx.trust.resolve(s.signerCertificates);
  if (signerCertificate.verdict !== VALID) {
    return { verdict: signerCertificate.verdict, reason: "the status statement's signer: " + signerCertificate.reason, key: null };
  }
  if (!equal(signerCertificate.ledgerKey, signerKey)) {
    return { verdict: INVALID, reason: 'the status statement is not signed by the key its certificate certifies (an edited or forged status)', key: null };
  }
  const who = certificate?.verdict === VALID ? certificate : stated;
  if (signerCertificate.country !== who.country || signerCertificate.agency !== who.agency || signerCertificate.nodeId !== who.nodeId) {
    return { verdict: INVALID, reason: `the status statement is signed by ${signerCertificate.name}, not by the issuer`, key: null };
  }
  const standing = ctx.trust.standingAt(signerCertificate, statement.asOfMs, ctx.nowMs);
  return standing.verdict === VALID
    ? { verdict: VALID, reason: `with ${equal(signerKey, batchKey) ? 'the batch key' : 'its later key'} (certificate ${signerCertificate.serial})`, key: signerKey }
    : { verdict: standing.verdict, reason: `the status statement's signer certificate ${signerCertificate.serial} at ${formatU(statement.asOfMs)}: ${standing.reason}`, key: null };
}

/**
 * The checks a signed status must pass, for a bundle's own status or a node's live one. `about` = { documentId,
 * documentRoot, batchRoot, index, size, nodeId, batchKey, certificate, stated }. Returns { fail: [verdict, reason] }
 * or { statement, leaf, signer }.
 */
export function checkSignedStatus(s, ctx, about) {
  if (s.statement.length === 0 || s.leaf.length === 0) return { fail: [INVALID, 'the status is not signed: the bundle carries no status statement'] };
  const statement = decodeStatement(s.statement);
  if (statement.error) return { fail: [INVALID, statement.error] };
  const leaf = decodeStatusLeaf(s.leaf);
  if (leaf.error) return { fail: [INVALID, leaf.error] };
  if (!equal(statement.batchRoot, about.batchRoot) || statement.documentCount !== BigInt(about.size) || leaf.documentId !== about.documentId || !equal(leaf.documentRoot, about.documentRoot)) {
    return { fail: [INVALID, 'the status statement is about another document or batch'] };
  }
  if (statement.issuerNodeId !== about.nodeId) {
    return { fail: [INVALID, `the status statement is signed for node '${shorten(statement.issuerNodeId)}', not the bundle's issuer`] };
  }
  if (!verifyInclusion(leafHash(s.leaf), about.index, about.size, s.path, statement.statusRoot)) {
    return { fail: [INVALID, 'the status leaf is not in the status tree the issuer signed (its path was changed)'] };
  }
  const signer = statementSigner(s, statement, ctx, about);
  if (signer.verdict !== VALID) return { fail: [signer.verdict, signer.reason] };
  const edits = [];
  const compare = (field, stated, signed) => {
    if ((stated ?? '') !== (signed ?? '')) edits.push(`${field} says '${shorten(stated)}' but the issuer signed '${signed ?? ''}'`);
  };
  compare('status.state', s.state, STATE_OF_LEAF(leaf.state));
  compare('status.revocationReason', s.revocationReason, leaf.reasonCode);
  compare('status.supersededBy', s.supersededBy, leaf.supersededBy);
  compare('status.supersedes', s.supersedes, leaf.supersedes);
  if (s.asOfMs !== statement.asOfMs) edits.push(`status.asOf says ${formatU(s.asOfMs)} but the issuer signed ${formatU(statement.asOfMs)}`);
  if (edits.length > 0) return { fail: [INVALID, edits.join('; ')] };
  return { statement, leaf, signer };
}

/** A revocation proof revokes, whether or not it verifies: its reason is what differs. */
async function revocationProof(b, ctx, certificate, signerKey, proof, leaf) {
  const reason = leaf.reasonCode ?? 'unspecified';
  const verifier = anchorVerifierFor(proof.ledgerId, ctx);
  if (!verifier) return `revoked (reason ${reason}): the bundle carries a revocation on ${shorten(proof.ledgerId)}`;
  const keys = [certificate?.verdict === VALID ? certificate.ledgerKey : b.issuer.publicKey, signerKey];
  const check = await verifier(proof, b.documentRoot, keys);
  return check.valid
    ? `revoked (reason ${reason}): ${check.reason}`
    : `the bundle carries a revocation on ${shorten(proof.ledgerId)} that does not verify (${check.reason}); a bundle that says so is not valid`;
}

/** What the bundle says about itself, for checkSignedStatus. */
export function aboutBundle(b, certificate) {
  return {
    documentId: b.documentId,
    documentRoot: b.documentRoot,
    batchRoot: b.batch.batchRoot,
    index: b.batch.index,
    size: b.batch.size,
    nodeId: b.issuer.nodeId,
    batchKey: b.issuer.publicKey,
    certificate,
    stated: { country: b.issuer.country, agency: b.issuer.agency, nodeId: b.issuer.nodeId },
  };
}

/**
 * `live` (optional): { error } (the node could not be asked), { status: null, source } (it holds no such document),
 * { fail: [verdict, reason] } (its answer does not verify) or { status, source } (a verified live status).
 */
export async function status(b, ctx, certificate, live) {
  const s = b.status;
  const checked = checkSignedStatus(s, ctx, aboutBundle(b, certificate));
  if (checked.fail) return checked.fail;
  const { statement, leaf, signer } = checked;

  if (live && live.error !== undefined) return [ERROR, `the issuing node could not be asked for the current status: ${shorten(live.error)}`];
  if (live && live.fail) return [live.fail[0] === UNVERIFIED ? UNVERIFIED : INVALID, `the live status from the issuing node does not verify: ${live.fail[1]}`];
  if (live && live.status === null) {
    return [INVALID, `${live.source}: that node holds no document ${shorten(leaf.documentId)} with this root, so it did not issue this bundle`];
  }
  if (s.revocation) return [INVALID, await revocationProof(b, ctx, certificate, signer.key, s.revocation, leaf)];

  const ledgerNotes = [];
  const unavailable = [];
  if (ctx.ethereum) {
    for (const anchor of b.anchors) {
      if (!ctx.ethereum.canVerify(anchor.ledgerId)) continue;
      const answer = await ctx.ethereum.checkRevocation(anchor, b.documentRoot, b.batch.batchRoot);
      if (answer.status === 'revoked') return [INVALID, `revoked on ${shorten(anchor.ledgerId)}: ${answer.reason}`];
      if (answer.status === 'unavailable') unavailable.push(`${shorten(anchor.ledgerId)}: ${answer.reason}`);
      else ledgerNotes.push(`not revoked on ${shorten(anchor.ledgerId)} (checked online)`);
    }
  }

  const current = live ? live.status : s;
  const who = live ? live.source : `signed by ${statement.issuerNodeId} ${signer.reason}`;
  switch (current.state) {
    case 'Revoked':
      return [INVALID, `revoked (reason ${current.revocationReason || 'unspecified'}) as of ${formatU(current.asOfMs)} (${who})`];
    case 'Superseded':
      return [INVALID, `superseded by ${current.supersededBy} as of ${formatU(current.asOfMs)} (${who})`];
    case 'Anchored':
      break;
    default:
      return [INVALID, `not anchored yet (${current.state}) as of ${formatU(current.asOfMs)} (${who})`];
  }
  if (unavailable.length > 0) {
    return [ERROR, `in force as of ${formatU(statement.asOfMs)} (${who}), but a ledger could not be asked about revocations: ${unavailable.join('; ')}`];
  }
  const online = ledgerNotes.length > 0 ? '; ' + ledgerNotes.join('; ') : '';
  if (live) return [VALID, `in force now (${live.source})${online}`];
  const age = ctx.nowMs - statement.asOfMs;
  if (ctx.maxStatusAgeMs != null && age > ctx.maxStatusAgeMs) {
    return [UNVERIFIED, `in force as of ${formatU(statement.asOfMs)} (${who}), but that statement is ${describeDuration(age)} old, older than the ${describeDuration(ctx.maxStatusAgeMs)} accepted (--max-status-age): ask the issuer for a fresh status (verify --node)`];
  }
  return [VALID, `in force as of ${formatU(statement.asOfMs)} (${who})${online}${ledgerNotes.length === 0 ? '; a later revocation shows only with --node or --rpc' : ''}`];
}
