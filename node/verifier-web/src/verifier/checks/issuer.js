// Check 4, issuer (docs/TRUST.md): from the certificate only — the chain leads to a trust anchor, certifies the key that
// signed the batch (ledger-key extension), names the same country, agency and node id as the bundle and its ledger
// record, and every certificate of the path was valid and not revoked when the batch was anchored.
import { VALID, INVALID, UNVERIFIED, shorten, formatU } from '../report.js';
import { equal } from '../bytes.js';

export function issuer(b, ctx, certificate, anchoredAtMs, record) {
  const stated = `${shorten(b.issuer.country)}/${shorten(b.issuer.agency)}/${shorten(b.issuer.nodeId)}`;
  const trust = ctx.trust;
  if (!trust) {
    return [UNVERIFIED, `issuer ${stated} is UNVERIFIED: no trust anchor was given, so nothing shows who made this bundle — pass --trust with the consortium CA certificate(s) or trust list (a node: 'trust' in node.json)`];
  }
  if (!certificate) return [INVALID, `the bundle carries no issuer certificate: ${stated} is not certified by a trust anchor (${trust.description})`];
  if (certificate.verdict !== VALID) return [certificate.verdict, certificate.reason];
  if (!equal(certificate.ledgerKey, b.issuer.publicKey)) {
    return [INVALID, `the batch was signed with a key that is not the ledger key certified for ${certificate.name} (certificate ${certificate.serial}): an impostor key, or issuer.publicKey was edited`];
  }
  const edits = [];
  const compare = (field, stated, certified) => {
    if (stated !== certified) edits.push(`${field} says '${shorten(stated)}' but the certificate says '${certified}'`);
  };
  compare('issuer.country', b.issuer.country, certificate.country);
  compare('issuer.agency', b.issuer.agency, certificate.agency);
  compare('issuer.nodeId', b.issuer.nodeId, certificate.nodeId);
  if (record) {
    compare('ledgerRecord.country', record.country, certificate.country);
    compare('ledgerRecord.agency', record.agency, certificate.agency);
  }
  if (edits.length > 0) return [INVALID, edits.join('; ')];
  const certified = `${certificate.name} certified by '${certificate.anchorSubject}' (certificate ${certificate.serial})`;
  if (anchoredAtMs === null) return [VALID, certified + '; not checked at the anchor time, since no anchor verified'];
  const standing = trust.standingAt(certificate, anchoredAtMs, ctx.nowMs);
  return standing.verdict === VALID
    ? [VALID, `${certified}; ${standing.reason}`]
    : [standing.verdict, `${certificate.name} (certificate ${certificate.serial}) when the batch was anchored (${formatU(anchoredAtMs)}): ${standing.reason}`];
}
