// Verdicts, reasons and the overall verdict (docs/TRUST.md "Verdicts and exit codes").

export const VALID = 'VALID';
export const INVALID = 'INVALID';
export const ERROR = 'ERROR';
export const UNVERIFIED = 'UNVERIFIED';

export const CHECK_NAMES = ['integrity', 'inclusion', 'signature', 'issuer', 'anchored', 'status'];

const RANK = { VALID: 0, UNVERIFIED: 1, ERROR: 2, INVALID: 3 };

/** VALID only when every verdict is; else INVALID if any, else ERROR if any, else UNVERIFIED. */
export function combine(verdicts) {
  let result = VALID;
  for (const v of verdicts) if (RANK[v] > RANK[result]) result = v;
  return result;
}

/** Values quoted from a bundle are capped at 80 characters: a hostile bundle must not fill a report. */
export function shorten(value) {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return s.length <= 80 ? s : s.slice(0, 80) + '…';
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

function parts(ms) {
  const d = new Date(ms);
  return [pad(d.getUTCFullYear(), 4), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours()), pad(d.getUTCMinutes()), pad(d.getUTCSeconds())];
}

/** .NET's "u" format: 2026-05-01 12:00:00Z. */
export function formatU(ms) {
  const [y, mo, d, h, mi, s] = parts(ms);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}Z`;
}

/** 2026-05-01T12:00:00Z (certificate and CRL times in reasons). */
export function formatIso(ms) {
  const [y, mo, d, h, mi, s] = parts(ms);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
}

/** How the C# describes a duration in reasons. */
export function describeDuration(ms) {
  const s = ms / 1000;
  if (s / 86400 >= 2) return `${Math.round(s / 86400)} days`;
  if (s / 3600 >= 2) return `${Math.round(s / 3600)} hours`;
  if (s / 60 >= 2) return `${Math.round(s / 60)} minutes`;
  return `${Math.round(s)} seconds`;
}

export const check = (name, verdict, reason) => ({ name, verdict, reason });
