/**
 * @module cli/commands/validate
 * `swirl validate <file|dir>...` — diagnostics like a compiler: `file:line:col: error CODE message`,
 * a summary line, exit 0 when valid, 1 on any error, 2 on usage errors; `--format json` for tools.
 */
import type { Command } from 'commander';
import { formatDiagnostic, validateFiles, type ValidationResult } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate Serverless Workflow 0.8 definitions (YAML or JSON); directories are searched for *.yaml, *.yml, *.json')
    .argument('<paths...>', 'definition files or directories')
    .option('--format <format>', 'output format: text or json', 'text')
    .option('--quiet', 'print only errors and warnings, no summary')
    .action(async (paths: string[], opts: { format: string; quiet?: boolean }, command: Command) => {
      if (opts.format !== 'text' && opts.format !== 'json') {
        process.stderr.write(`error: --format must be 'text' or 'json', not '${opts.format}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const results = await validateFiles(paths);
      if (results.length === 0) {
        process.stderr.write(`error: no workflow definitions (*.yaml, *.yml, *.json with specVersion and states) found in ${paths.join(', ')}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const failed = results.some((r) => !r.valid);
      if (opts.format === 'json') process.stdout.write(JSON.stringify(toJson(results), null, 2) + '\n');
      else printText(results, opts.quiet === true);
      setExitCode(command, failed ? ExitCode.Failure : ExitCode.Ok);
    });
}

function toJson(results: ValidationResult[]) {
  return {
    valid: results.every((r) => r.valid),
    files: results.map((r) => ({ file: r.file, valid: r.valid, diagnostics: r.diagnostics })),
  };
}

function printText(results: ValidationResult[], quiet: boolean): void {
  let errors = 0;
  let warnings = 0;
  for (const r of results) {
    for (const d of r.diagnostics) {
      process.stdout.write(formatDiagnostic(d) + '\n');
      if (d.severity === 'error') errors++;
      else warnings++;
    }
  }
  if (quiet) return;
  const invalid = results.filter((r) => !r.valid).length;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const summary =
    invalid === 0
      ? `${plural(results.length, 'definition')} valid` + (warnings ? `, ${plural(warnings, 'warning')}` : '')
      : `${plural(invalid, 'definition')} of ${results.length} invalid: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  process.stdout.write(summary + '\n');
}
