// .NET's Enum.TryParse rules, which the C# bundle reader applies to `kind` and leaf `type` (WIRE-FORMATS.md #14: "a
// numeric string is also accepted"): surrounding whitespace ignored; a leading digit, '+' or '-' tries an integer of
// the underlying type; otherwise comma-separated names (case-sensitive here), OR-ed together. A verifier that refused
// what the issuer's own tool accepts would disagree with it on the same file, so the quirks are reproduced.

/**
 * @param {string} text
 * @param {string[]} names names by value (index = value)
 * @param {{min:number,max:number}} range of the underlying integer type
 * @returns {number|null}
 */
export function enumTryParse(text, names, range) {
  if (typeof text !== 'string') return null;
  const t = text.trim();
  if (t.length === 0) return null;
  const c = t[0];
  if ((c >= '0' && c <= '9') || c === '-' || c === '+') {
    if (/^[+-]?[0-9]+$/.test(t)) {
      const n = BigInt(t);
      if (n >= BigInt(range.min) && n <= BigInt(range.max)) return Number(n);
    }
  }
  let value = 0;
  for (const part of t.split(',')) {
    const name = part.trim();
    const index = names.indexOf(name);
    if (index < 0) return null;
    value |= index;
  }
  return value;
}

/** What .NET's Enum.ToString gives for a value of a non-[Flags] enum: its name, or the number when undefined. */
export function enumName(value, names) {
  return value >= 0 && value < names.length ? names[value] : String(value);
}

export const MESSAGE_KINDS = ['Declaration', 'Response', 'LpcoCertificate', 'PhytosanitaryCertificate'];
export const LEAF_TYPES = ['Empty', 'Text', 'Code', 'Number', 'Boolean', 'Amount', 'Measure', 'DateTime'];
/** DocumentState values start at 1 (Accepted). */
export const DOCUMENT_STATES = [null, 'Accepted', 'Batched', 'Anchored', 'Revoked', 'Superseded'];

export const INT32 = { min: -2147483648, max: 2147483647 };
export const BYTE = { min: 0, max: 255 };
