/**
 * @module cli/commands/validate
 * `swirl validate <file|dir>...` — diagnostics like a compiler: `file:line:col: error CODE message`,
 * a summary line, exit 0 when valid, 1 on any error, 2 on usage errors; `--format json` for tools.
 */
import type { Command } from 'commander';
import { FolderProfiles, PROFILES, findDefinitionCandidates, formatDiagnostic, parseProfile, validateFiles, type SkippedFile, type ValidationResult } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate Serverless Workflow 0.8 definitions (YAML or JSON); directories are searched for *.yaml, *.yml, *.json')
    .argument('<paths...>', 'definition files or directories')
    .option('--format <format>', 'output format: text or json', 'text')
    .option('--quiet', 'print only errors and warnings, no summary')
    .option('--verbose', 'also list the files of searched directories that are not workflow definitions')
    .option('--profile <profile>', `${PROFILES.join(' or ')}: sonataflow accepts SonataFlow's extensions (specs/sonataflow-profile.md)`, 'standard')
    .action(async (paths: string[], opts: { format: string; quiet?: boolean; verbose?: boolean; profile: string }, command: Command) => {
      if (opts.format !== 'text' && opts.format !== 'json') {
        process.stderr.write(`error: --format must be 'text' or 'json', not '${opts.format}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const p = parseProfile(opts.profile);
      if (!p.ok) {
        process.stderr.write(`error: --profile: ${p.message}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      // --profile given: every definition; otherwise each folder's swirl.yaml `profile:` (specs/sonataflow-profile.md).
      const choice = { ...(command.getOptionValueSource('profile') === 'cli' ? { profile: p.profile } : {}), folders: new FolderProfiles() };
      const { files, skipped } = await findDefinitionCandidates(paths, choice);
      const results = files.length > 0 ? await validateFiles(files, choice) : [];
      if (results.length === 0) {
        process.stderr.write(`error: no workflow definitions (*.yaml, *.yml, *.json with specVersion and states) found in ${paths.join(', ')}${skipped.length > 0 ? ` (${skippedSummary(skipped)})` : ''}\n`);
        if (opts.verbose) for (const s of skipped) process.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const failed = results.some((r) => !r.valid);
      if (opts.format === 'json') process.stdout.write(JSON.stringify(toJson(results, skipped), null, 2) + '\n');
      else printText(results, skipped, opts.quiet === true, opts.verbose === true);
      setExitCode(command, failed ? ExitCode.Failure : ExitCode.Ok);
    });
}

function toJson(results: ValidationResult[], skipped: SkippedFile[]) {
  return {
    valid: results.every((r) => r.valid),
    files: results.map((r) => ({ file: r.file, valid: r.valid, ...(r.profileName ? { profile: r.profileName } : {}), diagnostics: r.diagnostics })),
    skipped,
  };
}

/** `12 other files skipped: no 'specVersion'` — so a folder of 73 files never silently reads as "3 valid". */
function skippedSummary(skipped: SkippedFile[]): string {
  const reasons = [...new Set(skipped.map((s) => s.reason))].join('; ');
  return `${skipped.length} other file${skipped.length === 1 ? '' : 's'} skipped, not workflow definitions: ${reasons}`;
}

function printText(results: ValidationResult[], skipped: SkippedFile[], quiet: boolean, verbose: boolean): void {
  let errors = 0;
  let warnings = 0;
  for (const r of results) {
    for (const d of r.diagnostics) {
      process.stdout.write(formatDiagnostic(d) + '\n');
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
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
  if (skipped.length > 0) {
    process.stdout.write(`${skippedSummary(skipped)}${verbose ? '' : ' (--verbose lists them)'}\n`);
    if (verbose) for (const s of skipped) process.stdout.write(`  skipped ${s.file}: ${s.reason}\n`);
  }
}
