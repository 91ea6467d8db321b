/**
 * @module expressions/formats
 * jq's `@format` string formatters: @text @json @html @uri @urid @csv @tsv @sh @base64 @base64d.
 * Any other name is "not a valid format" at run time, as in jq-wasm 1.8.2 (which lacks @base32).
 */
import { fail } from './runtime.js';
import { describe, formatNumber, toJson, toStringValue, typeOf, type Value } from './values.js';

const KNOWN = new Set(['text', 'json', 'html', 'uri', 'urid', 'csv', 'tsv', 'sh', 'base64', 'base64d']);

/**
 * One field of an @csv / @tsv row: numbers, booleans and null print alike; strings are quoted the
 * row's way.
 */
function rowField(v: Value, quote: (s: string) => string): string {
  switch (typeOf(v)) {
    case 'number':
      return formatNumber(v as number);
    case 'string':
      return quote(v as string);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'null':
      return '';
    default:
      return fail(`${describe(v)} is not valid in a csv row`);
  }
}

const csvQuote = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const tsvQuote = (s: string): string => s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));

function shWord(v: Value): string {
  switch (typeOf(v)) {
    case 'string':
      return `'${(v as string).replace(/'/g, "'\\''")}'`;
    case 'array':
    case 'object':
      return fail(`${describe(v)} can not be escaped for shell`);
    default:
      return toJson(v);
  }
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/**
 * Applies format `name` to `v`. With `checkOnly`, only verifies at compile time that the format is
 * handled natively (an unknown one throws Unsupported, so jq-wasm reports it exactly like jq).
 */
export function applyFormat(name: string, v: Value, checkOnly = false): Value {
  if (checkOnly) return null;
  if (!KNOWN.has(name)) return fail(`${name} is not a valid format`);
  switch (name) {
    case 'text':
      return toStringValue(v);
    case 'json':
      return toJson(v);
    case 'html':
      return toStringValue(v).replace(/[<>&'"]/g, (c) =>
        c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === "'" ? '&apos;' : '&quot;',
      );
    case 'uri': {
      let out = '';
      for (const ch of toStringValue(v)) {
        if (UNRESERVED.test(ch)) out += ch;
        else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
      }
      return out;
    }
    case 'urid': {
      const s = toStringValue(v);
      const bytes: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (s[i] === '%') {
          const hex = s.slice(i + 1, i + 3);
          if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return fail(`${describe(v)} is not a valid uri encoding`);
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else {
          const cp = s.codePointAt(i)!;
          if (cp > 0xffff) i++;
          bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
        }
      }
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
      } catch {
        return fail(`${describe(v)} is not a valid uri encoding`);
      }
    }
    case 'csv':
      if (!Array.isArray(v)) return fail(`${describe(v)} cannot be csv-formatted, only array`);
      return v.map((f) => rowField(f, csvQuote)).join(',');
    case 'tsv':
      if (!Array.isArray(v)) return fail(`${describe(v)} cannot be tsv-formatted, only array`);
      return v.map((f) => rowField(f, tsvQuote)).join('\t');
    case 'sh':
      return Array.isArray(v) ? v.map(shWord).join(' ') : shWord(v);
    case 'base64':
      return Buffer.from(toStringValue(v), 'utf8').toString('base64');
    case 'base64d': {
      const s = toStringValue(v);
      if (!/^[A-Za-z0-9+/]*=*$/.test(s)) return fail(`${describe(v)} is not valid base64 data`);
      return Buffer.from(s, 'base64').toString('utf8');
    }
    default:
      return fail(`${name} is not a valid format`);
  }
}
