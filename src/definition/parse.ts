/**
 * @module definition/parse
 * Text → plain object, keeping source positions. YAML and JSON both go through js-yaml (JSON is
 * YAML); `.json` files are additionally checked with JSON.parse so JSON-only mistakes (comments,
 * trailing commas) are reported as such.
 */
import { load, YAMLException, JSON_SCHEMA, CORE_SCHEMA } from 'js-yaml';
import { DiagnosticCode, Severity, type Diagnostic } from './diagnostic.js';
import type { ReachPolicy } from './reach.js';
import { SourceMap } from './source-map.js';

/** A parsed document: its value and where each part of it came from. */
export interface ParsedDocument {
  file: string;
  value: unknown;
  source: SourceMap;
  /**
   * The text has no location of its own (a definition registered over the HTTP API): relative
   * references from it cannot be resolved and are refused (RELATIVE_REFERENCE).
   */
  unanchored?: boolean;
  /**
   * The files and URLs its references may point at (definition/reach.ts); every document loaded
   * from it inherits the policy. Undefined: anything the process can read (the operator's own
   * files: `swirl validate`, `swirl run`, the `--workflows` folder).
   */
  reach?: ReachPolicy;
}

/** Result of parsing: the document, or the syntax diagnostic that stopped it. */
export type ParseResult = { ok: true; document: ParsedDocument } | { ok: false; diagnostic: Diagnostic };

/**
 * What one definition document may be: the parse is bounded so that a hostile document (a YAML
 * alias bomb, nesting thousands deep, megabytes of text) is refused quickly with DOCUMENT_LIMIT.
 */
export const DOCUMENT_LIMITS = {
  /** Characters of text (the API's body limit is 4 MiB; definitions are far smaller). */
  length: 4 * 1024 * 1024,
  /** YAML aliases (`*name`) in one document. */
  aliases: 1000,
  /** Depth of nested arrays and objects. */
  depth: 200,
  /** Values after aliases are expanded (each alias counts the whole subtree it repeats). */
  values: 1_000_000,
} as const;

/** Parses YAML or JSON text. `file` is used in diagnostics and to pick JSON mode by extension. */
export function parseDocument(text: string, file = '<input>'): ParseResult {
  if (text.length > DOCUMENT_LIMITS.length) {
    return { ok: false, diagnostic: limit(`the document is ${text.length.toLocaleString('en-US')} characters long; at most ${DOCUMENT_LIMITS.length.toLocaleString('en-US')} are accepted`, file, 1, 1) };
  }
  const isJson = /\.json$/i.test(file) || /^\s*[{[]/.test(text);
  const source = SourceMap.build(text);
  const deep = bracketDepthOffset(text);
  if (deep !== undefined) {
    const pos = source.positionOf(deep);
    return { ok: false, diagnostic: limit(`the document nests arrays/objects more than ${DOCUMENT_LIMITS.depth} deep`, file, pos.line, pos.column) };
  }
  if (isJson) {
    try {
      return checked({ file, value: JSON.parse(text), source });
    } catch (err) {
      // Fall through to YAML only for files that do not claim to be JSON (flow-style YAML).
      if (/\.json$/i.test(file)) return { ok: false, diagnostic: jsonError(err, text, file, source) };
    }
  }
  try {
    const value = load(text, { filename: file, schema: isJson ? JSON_SCHEMA : CORE_SCHEMA, maxAliases: DOCUMENT_LIMITS.aliases, maxDepth: DOCUMENT_LIMITS.depth });
    return checked({ file, value, source });
  } catch (err) {
    return { ok: false, diagnostic: yamlError(err, file, text) };
  }
}

/** The document, unless its value nests too deeply or expands to too many values (YAML aliases). */
function checked(document: ParsedDocument): ParseResult {
  let values = 0;
  // Iterative, so that depth itself cannot overflow the stack; shared (aliased) subtrees count each time.
  const stack: [unknown, number][] = [[document.value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++values > DOCUMENT_LIMITS.values) {
      return { ok: false, diagnostic: limit(`the document expands to more than ${DOCUMENT_LIMITS.values.toLocaleString('en-US')} values (YAML aliases repeat what they refer to)`, document.file, 1, 1) };
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > DOCUMENT_LIMITS.depth) {
      return { ok: false, diagnostic: limit(`the document nests arrays/objects more than ${DOCUMENT_LIMITS.depth} deep`, document.file, 1, 1) };
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return { ok: true, document };
}

/** Where flow-style brackets (`[`, `{`) first nest deeper than the limit, outside strings; undefined if never. */
function bracketDepthOffset(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      // A quote opens a string only where a scalar starts (YAML plain scalars may contain quotes).
      const before = text[i - 1];
      if (before === undefined || /[\s:,[{]/.test(before)) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > DOCUMENT_LIMITS.depth) return i;
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}

function yamlError(err: unknown, file: string, text: string): Diagnostic {
  if (err instanceof YAMLException) {
    const line = (err.mark?.line ?? 0) + 1;
    // js-yaml's own bounds (maxDepth, maxAliases, maxTotalMergeKeys) say "… exceeded max…".
    const overLimit = /exceeded max/.test(err.reason);
    const d: Diagnostic = {
      severity: Severity.Error,
      code: overLimit ? DiagnosticCode.DocumentLimit : DiagnosticCode.Syntax,
      message: overLimit ? `the document is too large: ${err.reason}` : `invalid YAML: ${err.reason}`,
      file,
      line,
      column: (err.mark?.column ?? 0) + 1,
      pointer: '',
    };
    // The most common YAML slip in workflows: an unquoted `${ {a: .b} }` (": " ends a plain scalar).
    if (/\$\{/.test(text.split('\n')[line - 1] ?? '')) {
      d.hint = "quote expressions that contain ': ', '{' or '#' in YAML, e.g. output: '${ {name: .name} }'";
    }
    return d;
  }
  return syntax(`cannot parse: ${err instanceof Error ? err.message : String(err)}`, file, 1, 1);
}

function jsonError(err: unknown, text: string, file: string, source: SourceMap): Diagnostic {
  const message = err instanceof Error ? err.message : String(err);
  const offset = jsonErrorOffset(message, text);
  const pos = source.positionOf(Math.min(offset, text.length));
  let reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
  reason = reason.replace(/^(Unexpected token '.'), .*$/s, '$1');
  const d = syntax(`invalid JSON: ${reason}`, file, pos.line, pos.column);
  if (/^[\]}]$/.test(text[offset] ?? '') && /,\s*$/.test(text.slice(0, offset))) d.hint = 'JSON allows no comma before a closing ] or }';
  return d;
}

/**
 * Where JSON.parse stopped. Node 20 says "at position N" for most errors, but for an unexpected
 * token only quotes the text around it ("Unexpected token ']', ...\"1 },\n ]\"... is not valid
 * JSON"): find that excerpt in the text.
 */
function jsonErrorOffset(message: string, text: string): number {
  const at = /position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  const m = /^Unexpected token '(.)', (\.\.\.)?"([\s\S]*?)"(\.\.\.)? is not valid JSON/.exec(message);
  if (!m) return 0;
  const [, token, cut, excerpt] = m;
  if (cut) {
    // V8 quotes 10 characters of context before the token.
    const start = text.indexOf(excerpt);
    return start >= 0 ? start + Math.min(10, excerpt.length - 1) : 0;
  }
  // The whole (short) text was quoted: the first such token outside a string literal.
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"' && token !== '"') inString = true;
    else if (c === token) return i;
  }
  return 0;
}

function limit(message: string, file: string, line: number, column: number): Diagnostic {
  return { severity: Severity.Error, code: DiagnosticCode.DocumentLimit, message, file, line, column, pointer: '', hint: 'definitions are limited in size, nesting and YAML alias expansion (specs/diagnostics.md)' };
}

function syntax(message: string, file: string, line: number, column: number): Diagnostic {
  return { severity: Severity.Error, code: DiagnosticCode.Syntax, message, file, line, column, pointer: '' };
}
