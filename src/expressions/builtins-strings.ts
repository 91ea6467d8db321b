/**
 * @module expressions/builtins-strings
 * Native string builtins: prefixes/suffixes, trimming, case, split/join, explode/implode, formats.
 */
import { define0, defineN, onLoad } from './builtins.js';
import { applyFormat } from './formats.js';
import { splitString } from './operators.js';
import { fail } from './runtime.js';
import { describe, type Value } from './values.js';

function requireStrings(x: Value, s: Value, what: string): void {
  if (typeof x !== 'string' || typeof s !== 'string') fail(`${what}() requires string inputs`);
}

const WS = /^\s+|\s+$/g;

onLoad(() => {
  defineN('startswith', 1, (x, s) => {
    requireStrings(x, s, 'startswith');
    return (x as string).startsWith(s as string);
  });
  defineN('endswith', 1, (x, s) => {
    requireStrings(x, s, 'endswith');
    return (x as string).endsWith(s as string);
  });
  defineN('ltrimstr', 1, (x, s) => {
    requireStrings(x, s, 'startswith');
    return (x as string).startsWith(s as string) ? (x as string).slice((s as string).length) : x;
  });
  defineN('rtrimstr', 1, (x, s) => {
    requireStrings(x, s, 'endswith');
    return (x as string).endsWith(s as string) && (s as string).length > 0 ? (x as string).slice(0, (x as string).length - (s as string).length) : x;
  });
  defineN('trimstr', 1, (x, s) => {
    requireStrings(x, s, 'startswith');
    let r = x as string;
    const t = s as string;
    if (r.startsWith(t)) r = r.slice(t.length);
    if (t.length > 0 && r.endsWith(t)) r = r.slice(0, r.length - t.length);
    return r;
  });
  const trimmer = (name: string, re: RegExp) =>
    define0(name, (x) => (typeof x === 'string' ? x.replace(re, '') : fail(`${name} input must be a string`)));
  trimmer('trim', WS);
  trimmer('ltrim', /^\s+/);
  trimmer('rtrim', /\s+$/);
  define0('ascii_downcase', (x) => (typeof x === 'string' ? x.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : fail('explode input must be a string')));
  define0('ascii_upcase', (x) => (typeof x === 'string' ? x.replace(/[a-z]+/g, (m) => m.toUpperCase()) : fail('explode input must be a string')));
  define0('explode', (x) => (typeof x === 'string' ? Array.from(x, (c) => c.codePointAt(0)!) : fail('explode input must be a string')));
  define0('implode', (x) => {
    if (!Array.isArray(x)) return fail('implode input must be an array');
    let out = '';
    for (const c of x) {
      if (typeof c !== 'number') return fail(`${describe(c)} can't be imploded, unicode codepoint needs to be numeric`);
      const n = Math.trunc(c);
      out += n < 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) ? '\ufffd' : String.fromCodePoint(n);
    }
    return out;
  });
  defineN('split', 1, (x, sep) => {
    if (typeof x !== 'string' || typeof sep !== 'string') return fail('split input and separator must be strings');
    return splitString(x, sep);
  });
  defineN('format', 1, (x, f) => (typeof f === 'string' ? applyFormat(f, x) : fail(`${describe(f)} is not a valid format`)));
});
