/**
 * @module definition/profiles/sonataflow/findings
 * What normalizing a SonataFlow document reports: diagnostics (at pointers of the document as
 * written), diagnostics of the standard checks that the profile answers for (suppressed), and for
 * `swirl migrate` the conversions made and the ones it could not make.
 */
import type { DiagnosticCode, Severity } from '../../diagnostic.js';

/** One diagnostic of the profile, placed by the caller's reporter. */
export interface Finding {
  severity: Severity;
  code: DiagnosticCode;
  pointer: string;
  message: string;
  hint?: string;
}

/** A standard diagnostic that does not apply under the profile: `code` at `pointer` (exactly). */
export interface Suppression {
  pointer: string;
  code: DiagnosticCode;
}

/** A change `swirl migrate` made or could not make, at a pointer of the original document. */
export interface MigrationNote {
  pointer: string;
  message: string;
}

/** Everything normalizing collects besides the document. */
export class Findings {
  readonly diagnostics: Finding[] = [];
  readonly suppressed: Suppression[] = [];
  /** Conversions made (migrate prints them). */
  readonly converted: MigrationNote[] = [];
  /** What could not be converted to standard 0.8 (migrate prints them; the profile runs them). */
  readonly unconverted: MigrationNote[] = [];

  add(severity: Severity, code: DiagnosticCode, pointer: string, message: string, hint?: string): void {
    this.diagnostics.push({ severity, code, pointer, message, ...(hint ? { hint } : {}) });
  }

  suppress(pointer: string, code: DiagnosticCode): void {
    this.suppressed.push({ pointer, code });
  }

  isSuppressed(pointer: string, code: string): boolean {
    return this.suppressed.some((s) => s.pointer === pointer && s.code === code);
  }
}
