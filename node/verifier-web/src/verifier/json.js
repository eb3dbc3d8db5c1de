// A strict JSON reader (RFC 8259) that keeps what JSON.parse loses and the C# verifier relies on: duplicate member
// detection, a nesting limit, and numbers as their exact text (int64 values exceed 2^53; "1.0" is not an integer to
// System.Text.Json). Objects become Maps (member order kept), arrays Arrays, numbers JsonNumber, strings strings.

export class JsonError extends Error {}

/** A JSON number, kept as written. */
export class JsonNumber {
  constructor(raw) {
    this.raw = raw;
  }

  /** The value as a BigInt when the text is a plain integer (no fraction, no exponent), else null. */
  integer() {
    return /^-?(0|[1-9][0-9]*)$/.test(this.raw) ? BigInt(this.raw) : null;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** BigInt of an integer number within int64 (System.Text.Json TryGetInt64), else null. */
export function int64Of(value) {
  if (!(value instanceof JsonNumber)) return null;
  const n = value.integer();
  return n !== null && n >= INT64_MIN && n <= INT64_MAX ? n : null;
}

/**
 * Pull tokenizer: next() returns { t, v } with t one of '{' '}' '[' ']' 'key' 'str' 'num' 'lit' ('lit' v = true,
 * false or null), or null at the end of the text. Structure (commas, colons, nesting) is validated as it goes, like
 * System.Text.Json's Utf8JsonReader: nothing after a token is looked at before it is asked for.
 */
export class JsonTokenizer {
  constructor(text, { maxDepth = 64 } = {}) {
    this.s = text;
    this.i = 0;
    this.maxDepth = maxDepth;
    this.stack = []; // '{' or '['
    this.expect = 'value'; // 'value' | 'key-or-end' | 'comma-or-end' | 'value-or-end' | 'done'
  }

  get depth() {
    return this.stack.length;
  }

  fail(what) {
    throw new JsonError(`${what} at offset ${this.i}`);
  }

  ws() {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  next() {
    this.ws();
    const s = this.s;
    if (this.expect === 'done') {
      if (this.i < s.length) this.fail('unexpected data after the JSON value');
      return null;
    }
    if (this.i >= s.length) this.fail('unexpected end of JSON');
    let c = s[this.i];
    const top = this.stack[this.stack.length - 1];
    if (this.expect === 'comma-or-end') {
      if ((c === '}' && top === '{') || (c === ']' && top === '[')) return this.close();
      if (c !== ',') this.fail("expected ',' or the end of the container");
      this.i++;
      this.ws();
      if (this.i >= s.length) this.fail('unexpected end of JSON');
      c = s[this.i];
      if (top === '{') {
        if (c !== '"') this.fail('expected a member name');
        return this.key();
      }
      return this.value(c);
    }
    if (this.expect === 'key-or-end') {
      if (c === '}') return this.close();
      if (c !== '"') this.fail('expected a member name');
      return this.key();
    }
    if (this.expect === 'value-or-end') {
      if (c === ']') return this.close();
      return this.value(c);
    }
    return this.value(c);
  }

  key() {
    const name = this.string();
    this.ws();
    if (this.s[this.i] !== ':') this.fail("expected ':'");
    this.i++;
    this.expect = 'value';
    return { t: 'key', v: name };
  }

  close() {
    const c = this.s[this.i++];
    this.stack.pop();
    this.afterValue();
    return { t: c };
  }

  afterValue() {
    this.expect = this.stack.length === 0 ? 'done' : 'comma-or-end';
  }

  value(c) {
    const s = this.s;
    if (c === '{' || c === '[') {
      if (this.stack.length + 1 > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
      this.stack.push(c);
      this.i++;
      this.expect = c === '{' ? 'key-or-end' : 'value-or-end';
      return { t: c };
    }
    if (c === '"') {
      const v = this.string();
      this.afterValue();
      return { t: 'str', v };
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (s.startsWith(word, this.i)) {
        this.i += word.length;
        this.afterValue();
        return { t: 'lit', v };
      }
    }
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(s.slice(this.i, this.i + 400));
    if (!m || m[0].length === 0) this.fail('invalid JSON value');
    this.i += m[0].length;
    this.afterValue();
    return { t: 'num', v: new JsonNumber(m[0]) };
  }

  string() {
    const s = this.s;
    this.i++; // opening quote
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 34) {
        out += s.slice(start, this.i);
        this.i++;
        break;
      }
      if (c < 0x20) this.fail('control character in a string');
      if (c === 92) {
        out += s.slice(start, this.i);
        const e = s[this.i + 1];
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e];
        if (simple !== undefined) {
          out += simple;
          this.i += 2;
        } else if (e === 'u') {
          const hex = s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
        } else {
          this.fail('invalid escape');
        }
        start = this.i;
        continue;
      }
      this.i++;
    }
    if (!wellFormed(out)) this.fail('invalid UTF-16 in a string (unpaired surrogate)');
    return out;
  }
}

function wellFormed(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/**
 * Parses a whole JSON text. Options: maxDepth (default 64, System.Text.Json's), duplicates: 'refuse' (throw) or
 * 'last' (the last member wins, as Google.Protobuf's parser merges).
 */
export function parseJson(text, { maxDepth = 64, duplicates = 'refuse' } = {}) {
  const tz = new JsonTokenizer(text, { maxDepth });
  const value = readValue(tz, tz.next(), duplicates);
  tz.next(); // must be the end
  return value;
}

function readValue(tz, tok, duplicates) {
  switch (tok.t) {
    case '{': {
      const map = new Map();
      for (;;) {
        const k = tz.next();
        if (k.t === '}') return map;
        if (map.has(k.v) && duplicates === 'refuse') throw new JsonError(`duplicate member '${k.v.slice(0, 80)}'`);
        map.delete(k.v);
        map.set(k.v, readValue(tz, tz.next(), duplicates));
      }
    }
    case '[': {
      const arr = [];
      for (;;) {
        const t = tz.next();
        if (t.t === ']') return arr;
        arr.push(readValue(tz, t, duplicates));
      }
    }
    case 'str':
    case 'num':
    case 'lit':
      return tok.v;
    default:
      throw new JsonError('unexpected token');
  }
}

export const isObject = (v) => v instanceof Map;
