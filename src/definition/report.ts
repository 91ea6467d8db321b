/**
 * @module definition/report
 * The reporter every check writes to: binds diagnostics to one file and its source map, and words
 * the owner of a pointer ("state 'Finish'", "function 'greet'") so messages read naturally.
 */
import { DiagnosticCode, Severity, type Diagnostic } from './diagnostic.js';
import { getAtPointer, splitPointer } from './json-pointer.js';
import type { SourceMap } from './source-map.js';

/** Options of one report. */
export interface ReportOptions {
  severity?: Severity;
  hint?: string;
  /** Point at the property name rather than its value (unknown/duplicate properties). */
  atKey?: boolean;
  /** Point at character `index` of the string value (a syntax error inside an expression). */
  within?: { value: string; index: number };
}

/** Collects diagnostics for one document. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly source: SourceMap,
    /** The parsed document, used to name owners in messages. */
    readonly document: unknown,
    /** For an external file that is a bare array: the section its items belong to (`functions`, …). */
    readonly rootSection?: string,
  ) {}

  report(code: DiagnosticCode, pointer: string, message: string, options: ReportOptions = {}): void {
    const { line, column } = options.within !== undefined ? this.source.locateWithin(pointer, options.within.value, options.within.index) : this.source.locate(pointer, options.atKey ?? false);
    const d: Diagnostic = {
      severity: options.severity ?? Severity.Error,
      code,
      message,
      file: this.file,
      line,
      column,
      pointer,
    };
    if (options.hint) d.hint = options.hint;
    this.diagnostics.push(d);
  }

  error(code: DiagnosticCode, pointer: string, message: string, options: Omit<ReportOptions, 'severity'> = {}): void {
    this.report(code, pointer, message, { ...options, severity: Severity.Error });
  }

  warning(code: DiagnosticCode, pointer: string, message: string, options: Omit<ReportOptions, 'severity'> = {}): void {
    this.report(code, pointer, message, { ...options, severity: Severity.Warning });
  }

  /**
   * Names the thing a pointer is inside of, for message prefixes: `state 'Finish'`,
   * `function 'greet'`, `event 'Order'`, `retry 'r'`, `error 'e'`, or `workflow`.
   */
  ownerOf(pointer: string): string {
    const parts = splitPointer(pointer);
    const bare = this.rootSection !== undefined && /^\d+$/.test(parts[0] ?? '');
    const [section, index] = bare ? [this.rootSection as string, parts[0]] : parts;
    const base = bare ? '' : `/${section}`;
    const kinds: Record<string, string> = {
      states: 'state',
      functions: 'function',
      events: 'event',
      retries: 'retry',
      errors: 'error',
      auth: 'auth',
    };
    const kind = kinds[section];
    if (kind && index !== undefined) {
      const name = getAtPointer(this.document, `${base}/${index}/name`);
      return typeof name === 'string' ? `${kind} '${name}'` : `${kind} #${Number(index) + 1}`;
    }
    return 'workflow';
  }
}
