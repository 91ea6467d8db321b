/**
 * @module swirl
 * The public door: everything users, `api/` and `cli/` may use. Sections follow the pipeline.
 */

// ── errors ──────────────────────────────────────────────────────────────────────────────────────
export { SwirlError, DefinitionError, WorkflowError, InfrastructureError, NonDeterminismError } from './errors.js';
export type { WorkflowErrorData } from './errors.js';

// ── definitions and validation (src/definition) ────────────────────────────────────────────────

// ── graph (src/graph) ───────────────────────────────────────────────────────────────────────────

// ── expressions (src/expressions) ─────────────────────────────────────────────────────────────

// ── engine and stores (src/engine, src/store) ──────────────────────────────────────────────────

export const VERSION: string = '0.1.0';
