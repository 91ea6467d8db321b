/**
 * @module cli/commands/graph
 * `swirl graph <file>` — prints the workflow as a Mermaid flowchart (paste into any Mermaid viewer,
 * or a Markdown file between ```mermaid fences), as an SVG image laid out by ELK
 * (`--format svg`, the dashboard's drawing), or as that layout in JSON (`--format json`).
 */
import { Option, type Command } from 'commander';
import { DefinitionError, formatDiagnostic, layoutDiagram, loadWorkflow, renderMermaid, renderSvg, type Diagnostic, type WorkflowGraph } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';

const FORMATS = ['mermaid', 'svg', 'json'] as const;
type GraphFormat = (typeof FORMATS)[number];

async function draw(graph: WorkflowGraph, format: GraphFormat): Promise<string> {
  switch (format) {
    case 'mermaid':
      return renderMermaid(graph);
    case 'svg':
      return renderSvg(await layoutDiagram(graph));
    case 'json':
      return JSON.stringify(await layoutDiagram(graph), null, 2) + '\n';
  }
}

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('print a workflow definition as a Mermaid flowchart, an SVG diagram or its layout as JSON')
    .argument('<file>', 'definition file (YAML or JSON)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('mermaid'))
    .action(async (file: string, opts: { format: GraphFormat }, command: Command) => {
      try {
        const graph = await loadWorkflow(file);
        process.stdout.write(await draw(graph, opts.format));
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
