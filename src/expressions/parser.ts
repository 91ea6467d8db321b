/**
 * @module expressions/parser
 * Recursive-descent parser for jq 1.8 with the precedence of jq's yacc grammar (lowest first):
 * `def`, `|` (right), `,` (left), `//` (right), `=` `|=` `+=` … (nonassoc), `or`, `and`,
 * comparisons (nonassoc), `+ -`, `* / %`, unary `-`, postfix (`.a`, `[…]`, `?`), and `Term as $x | …`,
 * `label`, `def` which extend as far right as possible.
 */
import type { AssignOp, BinaryOp, Node, Param, Pattern } from './ast.js';
import { parseObject, parsePattern } from './parser-structures.js';
import { SyntaxErrorAt, TokenKind, tokenize, type Token } from './lexer.js';

interface OpInfo {
  readonly prec: number;
  readonly assoc: 'left' | 'right' | 'none';
}

const BINARY_OPS: Record<string, OpInfo> = {
  ',': { prec: 2, assoc: 'left' },
  '//': { prec: 3, assoc: 'right' },
  '=': { prec: 4, assoc: 'none' },
  '|=': { prec: 4, assoc: 'none' },
  '+=': { prec: 4, assoc: 'none' },
  '-=': { prec: 4, assoc: 'none' },
  '*=': { prec: 4, assoc: 'none' },
  '/=': { prec: 4, assoc: 'none' },
  '%=': { prec: 4, assoc: 'none' },
  '//=': { prec: 4, assoc: 'none' },
  or: { prec: 5, assoc: 'left' },
  and: { prec: 6, assoc: 'left' },
  '==': { prec: 7, assoc: 'none' },
  '!=': { prec: 7, assoc: 'none' },
  '<': { prec: 7, assoc: 'none' },
  '<=': { prec: 7, assoc: 'none' },
  '>': { prec: 7, assoc: 'none' },
  '>=': { prec: 7, assoc: 'none' },
  '+': { prec: 8, assoc: 'left' },
  '-': { prec: 8, assoc: 'left' },
  '*': { prec: 9, assoc: 'left' },
  '/': { prec: 9, assoc: 'left' },
  '%': { prec: 9, assoc: 'left' },
};

/** Parses a whole jq program. Throws {@link SyntaxErrorAt} with the offset of the offending token. */
export function parse(src: string): Node {
  const p = new Parser(src, tokenize(src));
  const node = p.parsePipe();
  p.expectEnd();
  return node;
}

/** The recursive-descent parser; object and pattern syntax live in parser-structures.ts. */
export class Parser {
  private i = 0;
  /** Set by parsePrimary when the term it returned is itself an index suffix (`.a`, `."a"`, `.[…]`). */
  private primarySuffix = false;
  /** Inside an object value, where jq's grammar has no `Term as $x | …`. */
  noAs = false;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  peek(): Token {
    return this.toks[this.i];
  }
  next(): Token {
    return this.toks[this.i++];
  }
  isPunct(v: string): boolean {
    const t = this.toks[this.i];
    return t.kind === TokenKind.Punct && t.value === v;
  }
  isKeyword(v: string): boolean {
    const t = this.toks[this.i];
    return t.kind === TokenKind.Keyword && t.value === v;
  }
  fail(t: Token, what?: string): never {
    const found = t.kind === TokenKind.End ? 'end of file' : JSON.stringify(this.src.slice(t.pos, t.end));
    throw new SyntaxErrorAt(`syntax error: unexpected ${found}${what ? `, expected ${what}` : ''}`, t.pos);
  }
  expectPunct(v: string): Token {
    if (!this.isPunct(v)) this.fail(this.peek(), `'${v}'`);
    return this.next();
  }
  private expectKeyword(v: string): Token {
    if (!this.isKeyword(v)) this.fail(this.peek(), `'${v}'`);
    return this.next();
  }
  expectEnd(): void {
    if (this.peek().kind !== TokenKind.End) this.fail(this.peek());
  }

  /** Pipe level: `a | b`, plus `def` which scopes over the rest of the pipe. */
  parsePipe(): Node {
    const saved = this.noAs;
    this.noAs = false;
    try {
      if (this.isKeyword('def')) return this.parseFuncDef();
      const left = this.parseBinary(2);
      if (this.isPunct('|')) {
        const t = this.next();
        return { kind: 'Pipe', left, right: this.parsePipe(), pos: t.pos };
      }
      return left;
    } finally {
      this.noAs = saved;
    }
  }

  private binaryOp(): OpInfo | undefined {
    const t = this.peek();
    if (t.kind === TokenKind.Punct || (t.kind === TokenKind.Keyword && (t.value === 'and' || t.value === 'or'))) {
      return Object.prototype.hasOwnProperty.call(BINARY_OPS, t.value) ? BINARY_OPS[t.value] : undefined;
    }
    return undefined;
  }

  parseBinary(minPrec: number): Node {
    let left = this.parseUnary();
    while (true) {
      const info = this.binaryOp();
      if (!info || info.prec < minPrec) return left;
      const t = this.next();
      const right = this.parseBinary(info.assoc === 'right' ? info.prec : info.prec + 1);
      left = this.combine(t, left, right);
      if (info.assoc === 'none') {
        const again = this.binaryOp();
        if (again && again.prec === info.prec) this.fail(this.peek());
      }
    }
  }

  private combine(t: Token, left: Node, right: Node): Node {
    const pos = t.pos;
    switch (t.value) {
      case ',':
        return { kind: 'Comma', left, right, pos };
      case '//':
        return { kind: 'Alt', left, right, pos };
      case 'and':
        return { kind: 'And', left, right, pos };
      case 'or':
        return { kind: 'Or', left, right, pos };
      case '=':
      case '|=':
      case '+=':
      case '-=':
      case '*=':
      case '/=':
      case '%=':
      case '//=':
        return { kind: 'Assign', op: t.value as AssignOp, left, right, pos };
      default:
        return { kind: 'Binary', op: t.value as BinaryOp, left, right, pos };
    }
  }

  parseUnary(): Node {
    const t = this.peek();
    if (t.kind === TokenKind.Punct && t.value === '-') {
      this.next();
      const saved = this.noAs;
      this.noAs = true;
      let operand: Node;
      try {
        operand = this.parseUnary();
      } finally {
        this.noAs = saved;
      }
      // jq folds a negated number literal into a literal (so `-0` prints as 0, not -0).
      const neg: Node =
        operand.kind === 'Literal' && typeof operand.value === 'number'
          ? { kind: 'Literal', value: operand.value === 0 ? 0 : -operand.value, pos: t.pos }
          : { kind: 'Neg', operand, pos: t.pos };
      // `-1 as $x | …` binds -1: unary minus is tighter than `as`.
      return this.noAs ? neg : this.parsePostfix(neg, true);
    }
    if (t.kind === TokenKind.Keyword) {
      if (t.value === 'def') return this.parseFuncDef();
      if (t.value === 'try') {
        // `try A catch B as $x | …` binds the whole try: neither A nor B takes the `as`.
        this.next();
        const saved = this.noAs;
        this.noAs = true;
        let body: Node;
        let handler: Node | undefined;
        try {
          body = this.parseUnary();
          if (this.isKeyword('catch')) {
            this.next();
            handler = this.parseUnary();
          }
        } finally {
          this.noAs = saved;
        }
        return this.parsePostfix({ kind: 'Try', body, handler, pos: t.pos }, true);
      }
      if (t.value === 'label') {
        this.next();
        const v = this.next();
        if (v.kind !== TokenKind.Var) this.fail(v, 'a $label name');
        this.expectPunct('|');
        return { kind: 'Label', name: v.value, body: this.parsePipe(), pos: t.pos };
      }
    }
    return this.parsePostfix(this.parsePrimary(), true);
  }

  private parseFuncDef(): Node {
    const t = this.expectKeyword('def');
    const nameTok = this.next();
    if (nameTok.kind !== TokenKind.Ident && nameTok.kind !== TokenKind.Keyword) this.fail(nameTok, 'a function name');
    const params: Param[] = [];
    if (this.isPunct('(')) {
      this.next();
      while (true) {
        const p = this.next();
        if (p.kind === TokenKind.Var) params.push({ name: p.value, isVar: true });
        else if (p.kind === TokenKind.Ident || p.kind === TokenKind.Keyword) params.push({ name: p.value, isVar: false });
        else this.fail(p, 'a parameter name');
        if (this.isPunct(';')) this.next();
        else break;
      }
      this.expectPunct(')');
    }
    this.expectPunct(':');
    const body = this.parsePipe();
    this.expectPunct(';');
    const rest = this.parsePipe();
    return { kind: 'FuncDef', name: nameTok.value, params, body, rest, pos: t.pos };
  }

  /** Postfix suffixes; with `allowAs`, also `Term as $x | body`. */
  private parsePostfix(term: Node, allowAs: boolean): Node {
    let node = term;
    // `?` right after an index suffix makes only that suffix optional (jq's gen_index_opt): errors
    // of the term before it still propagate. After anything else it is `try` of the whole term.
    let suffix = this.primarySuffix;
    this.primarySuffix = false;
    while (true) {
      const t = this.peek();
      const wasSuffix = suffix;
      suffix = false;
      if (t.kind === TokenKind.Punct && t.value === '?' && wasSuffix && (node.kind === 'Index' || node.kind === 'Slice' || node.kind === 'Iterate')) {
        this.next();
        node = { ...node, optional: true };
        continue;
      }
      if (t.kind !== TokenKind.Punct || t.value !== '?') suffix = true;
      if (t.kind === TokenKind.Field) {
        this.next();
        node = { kind: 'Index', target: node, index: { kind: 'Literal', value: t.value, pos: t.pos }, pos: t.pos };
      } else if (t.kind === TokenKind.Punct && t.value === '.') {
        const after = this.toks[this.i + 1];
        if (after.kind === TokenKind.String) {
          this.next();
          const s = this.parseString(this.next(), undefined);
          node = { kind: 'Index', target: node, index: s, pos: t.pos };
        } else if (after.kind === TokenKind.Punct && after.value === '[') {
          this.next();
        } else {
          this.fail(after);
        }
      } else if (t.kind === TokenKind.Punct && t.value === '[') {
        node = this.parseBracketSuffix(node);
      } else if (t.kind === TokenKind.Punct && t.value === '?') {
        this.next();
        node = { kind: 'Try', body: node, handler: undefined, pos: t.pos };
      } else if (allowAs && !this.noAs && t.kind === TokenKind.Keyword && t.value === 'as') {
        this.next();
        const patterns = [this.parsePattern()];
        while (this.isPunct('?//')) {
          this.next();
          patterns.push(this.parsePattern());
        }
        this.expectPunct('|');
        return { kind: 'As', source: node, patterns, body: this.parsePipe(), pos: t.pos };
      } else {
        return node;
      }
    }
  }

  private parseBracketSuffix(target: Node): Node {
    const open = this.expectPunct('[');
    if (this.isPunct(']')) {
      this.next();
      return { kind: 'Iterate', target, pos: open.pos };
    }
    if (this.isPunct(':')) {
      this.next();
      const to = this.parsePipe();
      this.expectPunct(']');
      return { kind: 'Slice', target, from: undefined, to, pos: open.pos };
    }
    const index = this.parsePipe();
    if (this.isPunct(':')) {
      this.next();
      let to: Node | undefined;
      if (!this.isPunct(']')) to = this.parsePipe();
      this.expectPunct(']');
      return { kind: 'Slice', target, from: index, to, pos: open.pos };
    }
    this.expectPunct(']');
    return { kind: 'Index', target, index, pos: open.pos };
  }

  private parsePrimary(): Node {
    const t = this.next();
    switch (t.kind) {
      case TokenKind.Number:
        return { kind: 'Literal', value: Number(t.value), pos: t.pos };
      case TokenKind.String:
        return this.parseString(t, undefined);
      case TokenKind.Format:
        if (this.peek().kind === TokenKind.String) return this.parseString(this.next(), t.value);
        return { kind: 'Format', name: t.value, pos: t.pos };
      case TokenKind.Field:
        this.primarySuffix = true;
        return { kind: 'Index', target: { kind: 'Identity', pos: t.pos }, index: { kind: 'Literal', value: t.value, pos: t.pos }, pos: t.pos };
      case TokenKind.Var:
        if (t.value === '__loc__') return { kind: 'Loc', line: this.lineOf(t.pos), pos: t.pos };
        return { kind: 'Var', name: t.value, pos: t.pos };
      case TokenKind.Ident:
        return this.parseCallOrBreak(t);
      case TokenKind.Keyword:
        return this.parseKeywordTerm(t);
      case TokenKind.Punct:
        return this.parsePunctTerm(t);
      case TokenKind.End:
        return this.fail(t);
    }
  }

  lineOf(pos: number): number {
    let line = 1;
    for (let i = 0; i < pos; i++) if (this.src.charCodeAt(i) === 10) line++;
    return line;
  }

  private parseCallOrBreak(t: Token): Node {
    if (t.value === 'break' && this.peek().kind === TokenKind.Var) {
      return { kind: 'Break', name: this.next().value, pos: t.pos };
    }
    if ((t.value === 'true' || t.value === 'false' || t.value === 'null') && !this.isPunct('(')) {
      return { kind: 'Literal', value: t.value === 'null' ? null : t.value === 'true', pos: t.pos };
    }
    const args: Node[] = [];
    if (this.isPunct('(')) {
      this.next();
      while (true) {
        args.push(this.parsePipe());
        if (this.isPunct(';')) this.next();
        else break;
      }
      this.expectPunct(')');
    }
    return { kind: 'Call', name: t.value, args, pos: t.pos };
  }

  private parseKeywordTerm(t: Token): Node {
    switch (t.value) {
      case 'if':
        return this.parseIfRest(t);
      case 'reduce': {
        const source = this.parsePostfix(this.parsePrimary(), false);
        this.expectKeyword('as');
        const pattern = this.parsePattern();
        this.expectPunct('(');
        const init = this.parsePipe();
        this.expectPunct(';');
        const update = this.parsePipe();
        this.expectPunct(')');
        return { kind: 'Reduce', source, pattern, init, update, pos: t.pos };
      }
      case 'foreach': {
        const source = this.parsePostfix(this.parsePrimary(), false);
        this.expectKeyword('as');
        const pattern = this.parsePattern();
        this.expectPunct('(');
        const init = this.parsePipe();
        this.expectPunct(';');
        const update = this.parsePipe();
        let extract: Node | undefined;
        if (this.isPunct(';')) {
          this.next();
          extract = this.parsePipe();
        }
        this.expectPunct(')');
        return { kind: 'Foreach', source, pattern, init, update, extract, pos: t.pos };
      }
      case 'def':
      case 'try':
      case 'label':
        this.i--;
        return this.parseUnary();
      default:
        return this.fail(t);
    }
  }

  private parseIfRest(t: Token): Node {
    const cond = this.parsePipe();
    this.expectKeyword('then');
    const then = this.parsePipe();
    let otherwise: Node | undefined;
    if (this.isKeyword('elif')) {
      otherwise = this.parseIfRest(this.next());
      return { kind: 'If', cond, then, otherwise, pos: t.pos };
    }
    if (this.isKeyword('else')) {
      this.next();
      otherwise = this.parsePipe();
    }
    this.expectKeyword('end');
    return { kind: 'If', cond, then, otherwise, pos: t.pos };
  }

  private parsePunctTerm(t: Token): Node {
    switch (t.value) {
      case '.': {
        const after = this.peek();
        if (after.kind === TokenKind.String) {
          const s = this.parseString(this.next(), undefined);
          this.primarySuffix = true;
          return { kind: 'Index', target: { kind: 'Identity', pos: t.pos }, index: s, pos: t.pos };
        }
        return { kind: 'Identity', pos: t.pos };
      }
      case '..':
        return { kind: 'RecurseAll', pos: t.pos };
      case '(': {
        const inner = this.parsePipe();
        this.expectPunct(')');
        return inner;
      }
      case '[': {
        if (this.isPunct(']')) {
          this.next();
          return { kind: 'Array', body: undefined, pos: t.pos };
        }
        const body = this.parsePipe();
        this.expectPunct(']');
        return { kind: 'Array', body, pos: t.pos };
      }
      case '{':
        return this.parseObject(t);
      default:
        return this.fail(t);
    }
  }

  /** Builds a Str node from a string token, parsing each interpolation as its own program. */
  parseString(t: Token, format: string | undefined): Node {
    const parts: (string | Node)[] = [];
    for (const part of t.parts ?? []) {
      if (typeof part === 'string') parts.push(part);
      else {
        const sub = new Parser(this.src, tokenize(this.src, part.start, part.end));
        parts.push(sub.parsePipe());
        sub.expectEnd();
      }
    }
    if (format === undefined && parts.length === 1 && typeof parts[0] === 'string') {
      return { kind: 'Literal', value: parts[0], pos: t.pos };
    }
    return { kind: 'Str', parts, format, pos: t.pos };
  }

  private parseObject(open: Token): Node {
    return parseObject(this, open);
  }

  parsePattern(): Pattern {
    return parsePattern(this);
  }
}
