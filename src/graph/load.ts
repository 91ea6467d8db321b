/**
 * @module graph/load
 * The one-call path from a file to a runnable graph: validate, refuse with every diagnostic when
 * invalid, compile when valid.
 */
import { formatDiagnostic } from '../definition/diagnostic.js';
import { validateFile, validateText, type ValidateOptions } from '../definition/validate.js';
import { DefinitionError } from '../errors.js';
import { compileWorkflow } from './compile.js';
import type { WorkflowGraph } from './types.js';

/** Loads, validates and compiles a definition file. Throws DefinitionError (code INVALID_DEFINITION) with the diagnostics. */
export async function loadWorkflow(path: string, options: ValidateOptions = {}): Promise<WorkflowGraph> {
  return compileValidated(await validateFile(path, options));
}

/** Same as loadWorkflow, from text. */
export async function loadWorkflowText(text: string, file = '<input>', options: ValidateOptions = {}): Promise<WorkflowGraph> {
  return compileValidated(await validateText(text, file, options));
}

function compileValidated(result: Awaited<ReturnType<typeof validateFile>>): WorkflowGraph {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.valid || !result.workflow) {
    throw new DefinitionError(
      'INVALID_DEFINITION',
      `${result.file} is not a valid workflow definition:\n${errors.map(formatDiagnostic).join('\n')}`,
      result.diagnostics,
    );
  }
  return compileWorkflow(result.workflow, result.profile);
}
