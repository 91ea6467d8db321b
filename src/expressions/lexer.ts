/**
 * @module expressions/lexer
 * Tokenizer for jq 1.8 source. String literals keep their interpolations as source ranges that the
 * parser parses recursively, so every AST node keeps an absolute offset into the original source.
 */

/** Kinds of token. */
export const TokenKind = {
  Punct: 'punct',
  Ident: 'ident',
  Keyword: 'keyword',
  Field: 'field',
  Var: 'var',
  Format: 'format',
  Number: 'number',
  String: 'string',
  End: 'end',
} as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/** A piece of a string literal: literal text, or the source range of an interpolation `\(…)`. */
export type StringPart = string | { readonly start: number; readonly end: number };

/** One token; `pos`/`end` are absolute offsets into the expression source. */
export interface Token {
  readonly kind: TokenKind;
  /** Punctuation text, identifier/keyword/field/var/format name, or number text. */
  readonly value: string;
  readonly pos: number;
  readonly end: number;
  /** String literals only. */
  readonly parts?: readonly StringPart[];
}

/** A syntax error at an absolute source offset; the compiler turns it into an ExpressionError. */
export class SyntaxErrorAt extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'SyntaxErrorAt';
  }
}

const KEYWORDS = new Set([
  'def', 'if', 'then', 'elif', 'else', 'end', 'as', 'reduce', 'foreach', 'try', 'catch', 'label',
  'import', 'include', 'and', 'or', '__loc__',
]);

const OP_ASSIGN: Record<string, string> = { '|': '|=', '+': '+=', '-': '-=', '*': '*=', '%': '%=', '=': '==', '!': '!=', '<': '<=', '>': '>=' };

/** The punctuation token at `i`, longest match first (`?//` over `?`, `//=` over `//`). */
function punctAt(src: string, i: number, end: number): string | undefined {
  const c = src[i];
  const n = i + 1 < end ? src[i + 1] : '';
  switch (c) {
    case '?':
      return n === '/' && i + 2 < end && src[i + 2] === '/' ? '?//' : '?';
    case '/':
      if (n === '/') return i + 2 < end && src[i + 2] === '=' ? '//=' : '//';
      return n === '=' ? '/=' : '/';
    case '.':
      return n === '.' ? '..' : '.';
    case '|':
    case '+':
    case '-':
    case '*':
    case '%':
    case '=':
    case '<':
    case '>':
      return n === '=' ? OP_ASSIGN[c] : c;
    case '!':
      return n === '=' ? '!=' : undefined;
    case '[':
    case ']':
    case '{':
    case '}':
    case '(':
    case ')':
    case ',':
    case ':':
    case ';':
    case '$':
      return c;
    default:
      return undefined;
  }
}

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentChar = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Tokenizes `src[start, end)`; the last token is always an End token at `end`. */
export function tokenize(src: string, start = 0, end = src.length): Token[] {
  const tokens: Token[] = [];
  let i = start;
  while (true) {
    i = skipSpace(src, i, end);
    if (i >= end) {
      tokens.push({ kind: TokenKind.End, value: '', pos: end, end });
      return tokens;
    }
    const tok = lexOne(src, i, end);
    tokens.push(tok);
    i = tok.end;
  }
}

function skipSpace(src: string, i: number, end: number): number {
  while (i < end) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else if (c === 35) {
      // `#` comment to end of line; jq 1.8 continues it when the line ends in an odd number of `\`.
      while (i < end) {
        const d = src.charCodeAt(i);
        if (d === 10) {
          let k = i - 1;
          if (k >= 0 && src.charCodeAt(k) === 13) k--;
          let slashes = 0;
          while (k >= 0 && src.charCodeAt(k) === 92) {
            slashes++;
            k--;
          }
          if (slashes % 2 === 0) break;
        }
        i++;
      }
    } else break;
  }
  return i;
}

function lexOne(src: string, i: number, end: number): Token {
  const c = src.charCodeAt(i);
  if (c === 34) return lexString(src, i, end);
  if (isDigit(c) || (c === 46 && i + 1 < end && isDigit(src.charCodeAt(i + 1)))) return lexNumber(src, i, end);
  if (isIdentStart(c)) {
    let j = i + 1;
    while (j < end) {
      if (isIdentChar(src.charCodeAt(j))) j++;
      else if (src.charCodeAt(j) === 58 && src.charCodeAt(j + 1) === 58 && j + 2 < end && isIdentStart(src.charCodeAt(j + 2))) j += 2;
      else break;
    }
    const word = src.slice(i, j);
    return { kind: KEYWORDS.has(word) ? TokenKind.Keyword : TokenKind.Ident, value: word, pos: i, end: j };
  }
  if (c === 46 && i + 1 < end && isIdentStart(src.charCodeAt(i + 1))) {
    let j = i + 2;
    while (j < end && isIdentChar(src.charCodeAt(j))) j++;
    return { kind: TokenKind.Field, value: src.slice(i + 1, j), pos: i, end: j };
  }
  if (c === 36 && i + 1 < end && isIdentStart(src.charCodeAt(i + 1))) {
    let j = i + 2;
    while (j < end) {
      if (isIdentChar(src.charCodeAt(j))) j++;
      else if (src.charCodeAt(j) === 58 && src.charCodeAt(j + 1) === 58 && j + 2 < end && isIdentStart(src.charCodeAt(j + 2))) j += 2;
      else break;
    }
    return { kind: TokenKind.Var, value: src.slice(i + 1, j), pos: i, end: j };
  }
  if (c === 64) {
    let j = i + 1;
    while (j < end && isIdentChar(src.charCodeAt(j))) j++;
    if (j === i + 1) throw new SyntaxErrorAt('syntax error: @ must be followed by a format name', i);
    return { kind: TokenKind.Format, value: src.slice(i + 1, j), pos: i, end: j };
  }
  const p = punctAt(src, i, end);
  if (p !== undefined) return { kind: TokenKind.Punct, value: p, pos: i, end: i + p.length };
  throw new SyntaxErrorAt(`syntax error: unexpected character ${JSON.stringify(src[i])}`, i);
}

function lexNumber(src: string, i: number, end: number): Token {
  let j = i;
  while (j < end && isDigit(src.charCodeAt(j))) j++;
  if (j < end && src.charCodeAt(j) === 46) {
    j++;
    while (j < end && isDigit(src.charCodeAt(j))) j++;
  }
  if (j < end && (src.charCodeAt(j) === 101 || src.charCodeAt(j) === 69)) {
    let k = j + 1;
    if (k < end && (src.charCodeAt(k) === 43 || src.charCodeAt(k) === 45)) k++;
    if (k < end && isDigit(src.charCodeAt(k))) {
      while (k < end && isDigit(src.charCodeAt(k))) k++;
      j = k;
    }
  }
  return { kind: TokenKind.Number, value: src.slice(i, j), pos: i, end: j };
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function lexString(src: string, start: number, end: number): Token {
  const parts: StringPart[] = [];
  let text = '';
  let i = start + 1;
  while (true) {
    if (i >= end) throw new SyntaxErrorAt('syntax error: unterminated string literal', start);
    const c = src[i];
    if (c === '"') {
      i++;
      break;
    }
    if (c !== '\\') {
      text += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === '(') {
      if (text) parts.push(text);
      text = '';
      const close = findClosingParen(src, i + 2, end);
      parts.push({ start: i + 2, end: close });
      i = close + 1;
    } else if (e === 'u') {
      const hex = src.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new SyntaxErrorAt('syntax error: invalid \\u escape in string literal', i);
      text += String.fromCharCode(parseInt(hex, 16));
      i += 6;
    } else if (e !== undefined && ESCAPES[e] !== undefined) {
      text += ESCAPES[e];
      i += 2;
    } else {
      throw new SyntaxErrorAt(`syntax error: invalid escape \\${e ?? ''} in string literal`, i);
    }
  }
  if (text || parts.length === 0) parts.push(text);
  return { kind: TokenKind.String, value: '', pos: start, end: i, parts };
}

/** Finds the `)` closing an interpolation that starts at `i`, skipping nested strings and parens. */
function findClosingParen(src: string, i: number, end: number): number {
  let depth = 0;
  while (true) {
    i = skipSpace(src, i, end);
    if (i >= end) throw new SyntaxErrorAt('syntax error: unterminated string interpolation', i);
    const tok = lexOne(src, i, end);
    if (tok.kind === TokenKind.Punct) {
      if (tok.value === '(') depth++;
      else if (tok.value === ')') {
        if (depth === 0) return tok.pos;
        depth--;
      }
    }
    i = tok.end;
  }
}
