// Base45 (RFC 9285), strict: every character in the alphabet, every triple ≤ 65535 and every final pair ≤ 255, no
// dangling single character. Written here because the npm `base45` package decodes with Node's Buffer (not available
// in browsers) and accepts invalid input silently.
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

export function base45Encode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = bytes[i] * 256 + bytes[i + 1];
      const c = n % 45;
      n = (n - c) / 45;
      const d = n % 45;
      const e = (n - d) / 45;
      out += ALPHABET[c] + ALPHABET[d] + ALPHABET[e];
    } else {
      const n = bytes[i];
      out += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
    }
  }
  return out;
}

/** Decodes base45; throws Error on invalid input. */
export function base45Decode(text) {
  if (text.length % 3 === 1) throw new Error('base45: the length leaves a dangling character');
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  const digit = (c) => {
    const v = INDEX.get(c);
    if (v === undefined) throw new Error(`base45: invalid character '${c}'`);
    return v;
  };
  for (let i = 0; i < text.length; i += 3) {
    if (i + 2 < text.length) {
      const n = digit(text[i]) + digit(text[i + 1]) * 45 + digit(text[i + 2]) * 2025;
      if (n > 0xffff) throw new Error('base45: a triple exceeds 65535');
      out[o++] = n >> 8;
      out[o++] = n & 255;
    } else {
      const n = digit(text[i]) + digit(text[i + 1]) * 45;
      if (n > 0xff) throw new Error('base45: a final pair exceeds 255');
      out[o++] = n;
    }
  }
  return out;
}
