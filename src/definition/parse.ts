/**
 * @module definition/parse
 * Text → plain object, keeping source positions. YAML and JSON both go through js-yaml (JSON is
 * YAML); `.json` files are additionally checked with JSON.parse so JSON-only mistakes (comments,
 * trailing commas) are reported as such.
 */
import { load, YAMLException, JSON_SCHEMA, CORE_SCHEMA } from 'js-yaml';
import { DiagnosticCode, Severity, type Diagnostic } from './diagnostic.js';
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
}

/** Result of parsing: the document, or the syntax diagnostic that stopped it. */
export type ParseResult = { ok: true; document: ParsedDocument } | { ok: false; diagnostic: Diagnostic };

/** Parses YAML or JSON text. `file` is used in diagnostics and to pick JSON mode by extension. */
export function parseDocument(text: string, file = '<input>'): ParseResult {
  const isJson = /\.json$/i.test(file) || /^\s*[{[]/.test(text);
  const source = SourceMap.build(text);
  if (isJson) {
    try {
      return { ok: true, document: { file, value: JSON.parse(text), source } };
    } catch (err) {
      // Fall through to YAML only for files that do not claim to be JSON (flow-style YAML).
      if (/\.json$/i.test(file)) return { ok: false, diagnostic: jsonError(err, text, file, source) };
    }
  }
  try {
    const value = load(text, { filename: file, schema: isJson ? JSON_SCHEMA : CORE_SCHEMA });
    return { ok: true, document: { file, value, source } };
  } catch (err) {
    return { ok: false, diagnostic: yamlError(err, file, text) };
  }
}

function yamlError(err: unknown, file: string, text: string): Diagnostic {
  if (err instanceof YAMLException) {
    const line = (err.mark?.line ?? 0) + 1;
    const d: Diagnostic = {
      severity: Severity.Error,
      code: DiagnosticCode.Syntax,
      message: `invalid YAML: ${err.reason}`,
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

function syntax(message: string, file: string, line: number, column: number): Diagnostic {
  return { severity: Severity.Error, code: DiagnosticCode.Syntax, message, file, line, column, pointer: '' };
}
