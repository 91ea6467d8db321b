/**
 * @module expressions/parser-structures
 * The parts of the jq grammar with their own sub-syntax: object construction (`{a, $x, "b": 1,
 * (.k): v, @base64 "k": v, $__loc__}`, values above `,`) and destructuring patterns.
 */
import type { Node, ObjectEntry, Pattern, PObjectEntry } from './ast.js';
import { TokenKind, type Token } from './lexer.js';
import type { Parser } from './parser.js';

export function parseObject(p: Parser, open: Token): Node {
  const entries: ObjectEntry[] = [];
  while (!p.isPunct('}')) {
    const t = p.next();
    let key: Node;
    let shorthand: Node | undefined;
    switch (t.kind) {
      case TokenKind.Var:
        if (p.isPunct(':')) p.fail(p.peek(), "'}'");
        if (t.value === '__loc__') {
          key = { kind: 'Literal', value: '__loc__', pos: t.pos };
          shorthand = { kind: 'Loc', line: p.lineOf(t.pos), pos: t.pos };
        } else {
          key = { kind: 'Literal', value: t.value, pos: t.pos };
          shorthand = { kind: 'Var', name: t.value, pos: t.pos };
        }
        break;
      case TokenKind.Ident:
      case TokenKind.Keyword:
        key = { kind: 'Literal', value: t.value, pos: t.pos };
        shorthand = { kind: 'Index', target: { kind: 'Identity', pos: t.pos }, index: key, pos: t.pos };
        break;
      case TokenKind.String:
      case TokenKind.Format: {
        key = t.kind === TokenKind.String ? p.parseString(t, undefined) : formatKey(p, t);
        shorthand = { kind: 'Index', target: { kind: 'Identity', pos: t.pos }, index: key, pos: t.pos };
        break;
      }
      case TokenKind.Number:
        key = { kind: 'Literal', value: Number(t.value), pos: t.pos };
        break;
      case TokenKind.Punct:
        if (t.value !== '(') p.fail(t);
        key = p.parsePipe();
        p.expectPunct(')');
        break;
      default:
        return p.fail(t);
    }
    let value: Node;
    if (p.isPunct(':')) {
      p.next();
      value = parseObjectValue(p);
    } else {
      if (!shorthand) p.fail(p.peek(), "':'");
      value = shorthand;
    }
    entries.push({ key, value });
    if (p.isPunct(',')) p.next();
    else if (!p.isPunct('}')) p.fail(p.peek(), "',' or '}'");
  }
  p.next();
  return { kind: 'Object', entries, pos: open.pos };
}

function formatKey(p: Parser, t: Token): Node {
  if (p.peek().kind !== TokenKind.String) p.fail(p.peek(), 'a string after the format');
  return p.parseString(p.next(), t.value);
}

/** Object values (jq 1.8): expressions above `,`, joined by `|`, without `as`, `def` or `label`. */
function parseObjectValue(p: Parser): Node {
  const saved = p.noAs;
  p.noAs = true;
  try {
    const t = p.peek();
    if (t.kind === TokenKind.Keyword && (t.value === 'label' || t.value === 'def')) p.fail(t);
    let left = p.parseBinary(3);
    while (p.isPunct('|')) {
      const bar = p.next();
      left = { kind: 'Pipe', left, right: p.parseBinary(3), pos: bar.pos };
    }
    return left;
  } finally {
    p.noAs = saved;
  }
}

/** A destructuring pattern: `$x`, `[p, …]` or `{key: p, $x, (expr): p, …}`. */
export function parsePattern(p: Parser): Pattern {
  const t = p.next();
  if (t.kind === TokenKind.Var) return { kind: 'PVar', name: t.value, pos: t.pos };
  if (t.kind === TokenKind.Punct && t.value === '[') {
    const items: Pattern[] = [];
    while (true) {
      items.push(parsePattern(p));
      if (p.isPunct(',')) p.next();
      else break;
    }
    p.expectPunct(']');
    return { kind: 'PArray', items, pos: t.pos };
  }
  if (t.kind === TokenKind.Punct && t.value === '{') {
    const entries: PObjectEntry[] = [];
    while (true) {
      const k = p.next();
      if (k.kind === TokenKind.Var) {
        const key: Node = { kind: 'Literal', value: k.value, pos: k.pos };
        if (p.isPunct(':')) {
          p.next();
          entries.push({ key, bindVar: k.value, pattern: parsePattern(p) });
        } else entries.push({ key, bindVar: k.value });
      } else {
        let key: Node;
        if (k.kind === TokenKind.Ident || k.kind === TokenKind.Keyword) key = { kind: 'Literal', value: k.value, pos: k.pos };
        else if (k.kind === TokenKind.String) key = p.parseString(k, undefined);
        else if (k.kind === TokenKind.Punct && k.value === '(') {
          key = p.parsePipe();
          p.expectPunct(')');
        } else return p.fail(k, 'an object pattern key');
        p.expectPunct(':');
        entries.push({ key, pattern: parsePattern(p) });
      }
      if (p.isPunct(',')) p.next();
      else break;
    }
    p.expectPunct('}');
    return { kind: 'PObject', entries, pos: t.pos };
  }
  return p.fail(t, 'a pattern');
}
