/**
 * @module graph/input
 * Whether a workflow accepts an input, decided before an instance starts (spec §Workflow Data
 * Input): the input must be a JSON object, and it must match `dataInputSchema` when that schema
 * has `failOnValidationErrors` (the default). The host and `swirl run` refuse such input at start
 * instead of starting an instance that can only fail.
 */
import { compileUserSchema } from '../definition/json-schema.js';
import type { WorkflowGraph } from './types.js';

/** One reason an input is refused: where in the input (a JSON pointer, `''` for the whole input) and why. */
export interface InputProblem {
  pointer: string;
  message: string;
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return 'a string';
  return `a ${typeof v}`;
}

/**
 * The problems that make `graph` refuse `input` (empty when it is accepted). An absent or `null`
 * input is `{}`, as at run time. A mismatch with a schema whose `failOnValidationErrors` is false
 * is no problem (the run logs a warning and goes on).
 */
export function inputProblems(graph: WorkflowGraph, input: unknown): InputProblem[] {
  const data = input === undefined || input === null ? {} : input;
  if (typeof data !== 'object' || Array.isArray(data)) {
    return [{ pointer: '', message: `workflow input must be a JSON object, not ${kindOf(data)}` }];
  }
  const dis = graph.dataInputSchema;
  if (!dis || !dis.failOnValidationErrors) return [];
  // The same compiled schema (draft, $ref files) the interpreter validates with at run time.
  const validate = compileUserSchema(dis);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => ({ pointer: e.instancePath, message: e.message ?? 'is invalid' }));
}

/** The problems as one line: `/age must be >= 0; /name must be string` (`/` for the whole input). */
export function formatInputProblems(problems: readonly InputProblem[]): string {
  return problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ');
}
