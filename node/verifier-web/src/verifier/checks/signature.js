// Check 3, signature (WIRE-FORMATS.md #3): the issuer key's secp256k1 signature over the 32-byte batch root itself.
import { VALID, INVALID } from '../report.js';
import { parseSignature, parsePublicKey, verify } from '../secp256k1.js';

export function signature(b) {
  const sig = parseSignature(b.batch.signature);
  if (b.batch.batchRoot.length !== 32 || !sig) return [INVALID, 'batch signature is missing or malformed'];
  const key = parsePublicKey(b.issuer.publicKey);
  if (!key) return [INVALID, 'issuer public key is malformed'];
  return verify(key, b.batch.batchRoot, sig)
    ? [VALID, 'batch root signed by the issuer key (secp256k1)']
    : [INVALID, 'batch signature does not match the issuer key'];
}
