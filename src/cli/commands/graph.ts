/**
 * @module cli/commands/graph
 * `swirl graph <file>` — prints the workflow as a Mermaid flowchart (paste into any Mermaid viewer,
 * or a Markdown file between ```mermaid fences).
 */
import type { Command } from 'commander';
import { DefinitionError, formatDiagnostic, loadWorkflow, renderMermaid, type Diagnostic } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('print a workflow definition as a Mermaid flowchart')
    .argument('<file>', 'definition file (YAML or JSON)')
    .action(async (file: string, _opts: unknown, command: Command) => {
      try {
        const graph = await loadWorkflow(file);
        process.stdout.write(renderMermaid(graph));
        setExitCode(command, ExitCode.Ok);
      } catch (err) {
        if (!(err instanceof DefinitionError)) throw err;
        for (const d of err.diagnostics as Diagnostic[]) process.stderr.write(formatDiagnostic(d) + '\n');
        if (err.diagnostics.length === 0) process.stderr.write(err.message + '\n');
        process.stderr.write(`${file}: not a valid definition; nothing to draw\n`);
        setExitCode(command, ExitCode.Failure);
      }
    });
}
