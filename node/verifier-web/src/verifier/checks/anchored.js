// Check 5, anchored (docs/TRUST.md): every anchor the bundle names must verify, be written by the certified ledger key
// (the batch key when uncertified) and sit on a ledger bound to the certified issuer; at least one must verify (and
// every required ledger). An anchor that cannot be checked here is "not checked" and never counted; one whose ledger
// cannot be reached is an ERROR. An embedded anchor whose block verified is also checked against its ledger's witnessed
// log (transparency.js): under the trust list's witness policy a missing or under-cosigned checkpoint is "not checked"
// (never counted), a wrong one a problem; a verified one adds its note.
import { VALID, INVALID, ERROR, UNVERIFIED, shorten, formatU } from '../report.js';
import { canVerifyEmbedded, verifyEmbeddedAnchor } from '../embedded-anchor.js';
import { logOrigin, checkLogInclusion } from '../transparency.js';

/** Without a certificate only the issuer's own embedded ledger can be tied to it (by name). */
function uncertifiedBinding(b, ledgerId) {
  return ledgerId.startsWith('embedded:') && ledgerId !== 'embedded:' + b.issuer.nodeId
    ? { bound: false, reason: `an embedded ledger of another node than ${shorten(b.issuer.nodeId)}` }
    : { bound: true, reason: 'named by the bundle (no certificate)' };
}

/** Why an anchor on this ledger cannot be checked here. */
function notCheckedReason(ledgerId) {
  if (ledgerId.startsWith('eip155:')) return 'an Ethereum anchor needs a chain node: give --rpc';
  if (ledgerId.startsWith('fabric:')) return "a Fabric anchor needs the network's MSP certificates: verify with the CLI";
  return 'no verifier for this ledger';
}

/** The verifier for a ledger id: embedded always, Ethereum only with an RPC endpoint. Returns an async function or null. */
export function anchorVerifierFor(ledgerId, ctx) {
  if (canVerifyEmbedded(ledgerId)) return async (anchor, root, keys) => verifyEmbeddedAnchor(anchor, root, keys);
  if (ctx.ethereum && ctx.ethereum.canVerify(ledgerId)) return (anchor, root, keys) => ctx.ethereum.verify(anchor, root, keys);
  return null;
}

/** Returns [verdict, reason, anchoredAtMs|null]. */
export async function anchored(b, ctx, certificate) {
  if (b.anchors.length === 0) return [INVALID, 'the bundle carries no anchor', null];
  const certified = certificate?.verdict === VALID;
  const expectedKeys = [certified ? certificate.ledgerKey : b.issuer.publicKey];
  const valid = [];
  const problems = [];
  const unavailable = [];
  const notChecked = [];
  const logged = [];
  const witnesses = ctx.witnesses ?? null;
  for (const anchor of b.anchors) {
    const id = shorten(anchor.ledgerId);
    const binding = certified ? ctx.trust.bindsLedger(certificate, anchor.ledgerId) : uncertifiedBinding(b, anchor.ledgerId);
    if (!binding.bound) {
      problems.push(`${id}: ${binding.reason}`);
      continue;
    }
    const verifier = anchorVerifierFor(anchor.ledgerId, ctx);
    if (!verifier) {
      notChecked.push(`${id}: not checked (${notCheckedReason(anchor.ledgerId)})`);
      continue;
    }
    const result = await verifier(anchor, b.batch.batchRoot, expectedKeys);
    if (result.valid) {
      const [logVerdict, logReason] = logOrigin(anchor.ledgerId) === null ? [VALID, ''] : checkLogInclusion(anchor, expectedKeys[0], witnesses);
      if (logVerdict === VALID) {
        valid.push(anchor);
        if (logReason.length > 0) logged.push(`${id}: ${logReason}`);
      } else if (logVerdict === UNVERIFIED) {
        notChecked.push(`${id}: ${logReason}`);
      } else {
        problems.push(`${id}: ${logReason}`);
      }
    } else if (result.unavailable) unavailable.push(`${id}: ${result.reason}`);
    else problems.push(`${id}: ${result.reason}`);
  }
  const validIds = [...new Set(valid.map((a) => a.ledgerId))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const missing = (ctx.requiredLedgers ?? []).filter((l) => !validIds.includes(l));
  const notes = [...problems, ...unavailable, ...notChecked, ...logged].join('; ');
  if (problems.length > 0) return [INVALID, `an anchor does not verify: ${notes}`, null];
  if (unavailable.length > 0) return [ERROR, `a ledger could not be checked: ${notes}`, null];
  if (missing.length > 0) return [INVALID, `required ledger(s) without a valid anchor: ${missing.map(shorten).join(', ')}${notes ? '; ' + notes : ''}`, null];
  if (valid.length === 0) return [UNVERIFIED, `no anchor could be checked: ${notes}`, null];
  const at = Math.min(...valid.map((a) => a.timestampMs));
  return [VALID, `batch root anchored on ${validIds.join(', ')} at ${formatU(at)} by the ${certified ? 'certified' : 'batch'} key${notes ? '; ' + notes : ''}`, at];
}
