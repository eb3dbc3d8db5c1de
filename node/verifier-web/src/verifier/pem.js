// PEM (RFC 7468) blocks: every "-----BEGIN <label>-----" … "-----END <label>-----" with base64 content.
import { fromBase64 } from './bytes.js';

/** [{ label, der }] in order; a block whose base64 does not decode throws. */
export function pemBlocks(text) {
  const out = [];
  const re = /-----BEGIN ([A-Z0-9 ]*)-----([\s\S]*?)-----END \1-----/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const der = fromBase64(m[2].replace(/\s+/g, ''));
    if (!der) throw new Error(`a PEM '${m[1]}' block holds invalid base64`);
    out.push({ label: m[1], der });
  }
  return out;
}

export function toPem(label, der) {
  let b64 = '';
  const chars = [];
  for (const x of der) chars.push(String.fromCharCode(x));
  b64 = btoa(chars.join(''));
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`;
}
