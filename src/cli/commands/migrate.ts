/**
 * @module cli/commands/migrate
 * `swirl migrate --from sonataflow <dir|file>... [--write | --out <dir>]`: rewrites SonataFlow
 * workflows into standard 0.8 documents (specs/sonataflow-profile.md "Migration"). Prints a unified
 * diff per file, then what was converted and what could not be; the migrated documents are
 * validated under the standard profile. Without --write/--out nothing is written (a dry run).
 * Exit 0 when every migrated document is valid standard 0.8, 1 otherwise, 2 on usage errors.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { Profile, findDefinitionFiles, formatDiagnostic, migrateSonataflow, validateText, type Migration } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';
import { unifiedDiff } from '../unified-diff.js';

interface MigrateOptions {
  from: string;
  write?: boolean;
  out?: string;
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('rewrite workflows of another runtime into standard Serverless Workflow 0.8 (prints a diff and what could not be converted)')
    .argument('<paths...>', 'workflow files or project folders')
    .requiredOption('--from <runtime>', "the runtime the workflows were written for: 'sonataflow'")
    .option('--write', 'overwrite the files in place (generated OpenAPI documents are written next to them)')
    .option('--out <dir>', 'write the migrated files under this folder instead, keeping their paths relative to the first path given')
    .action(async (paths: string[], opts: MigrateOptions, command: Command) => {
      if (opts.from.toLowerCase() !== Profile.Sonataflow) {
        process.stderr.write(`error: --from '${opts.from}' is not supported; Swirl migrates from 'sonataflow'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      if (opts.write && opts.out) {
        process.stderr.write('error: give --write or --out, not both\n');
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const files = await findDefinitionFiles(paths, { profile: Profile.Sonataflow });
      if (files.length === 0) {
        process.stderr.write(`error: no workflow definitions found in ${paths.join(', ')}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const root = resolve(paths[0]);
      const target = (f: string) => (opts.out ? join(resolve(opts.out), relative(dirname(root) === root ? root : isFileArg(root, files) ? dirname(root) : root, resolve(f))) : f);
      let invalid = 0;
      for (const file of files) {
        const m = await migrateSonataflow(readFileSync(file, 'utf8'), file);
        if (m.error) {
          process.stdout.write(`${file}: not migrated: ${m.error}\n`);
          invalid++;
          continue;
        }
        const out = target(file);
        process.stdout.write(unifiedDiff(m.before, m.after, file, out));
        for (const g of m.generated) process.stdout.write(unifiedDiff('', g.text, '/dev/null', target(g.file)));
        if (opts.write || opts.out) write(m, out, target);
        invalid += (await report(m, out)) ? 0 : 1;
      }
      process.stdout.write(`${files.length} file(s) migrated${opts.write || opts.out ? '' : ' (dry run: nothing written; --write or --out <dir> writes them)'}; ${files.length - invalid} valid standard 0.8\n`);
      setExitCode(command, invalid === 0 ? ExitCode.Ok : ExitCode.Failure);
    });
}

function isFileArg(root: string, files: string[]): boolean {
  return files.includes(root) || files.some((f) => resolve(f) === root);
}

function write(m: Migration, out: string, target: (f: string) => string): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, m.after);
  for (const g of m.generated) {
    mkdirSync(dirname(target(g.file)), { recursive: true });
    writeFileSync(target(g.file), g.text);
  }
}

/** Prints the conversion notes and the standard validation of the migrated text; true when valid. */
async function report(m: Migration, out: string): Promise<boolean> {
  for (const c of m.converted) process.stdout.write(`${m.file}: converted ${c.pointer || '/'}: ${c.message}\n`);
  for (const u of m.unconverted) process.stdout.write(`${m.file}: NOT converted ${u.pointer || '/'}: ${u.message}\n`);
  // Validated where it is (or would be) written, so relative references resolve as they will;
  // a dry run validates next to the original, where generated documents do not exist yet.
  const generatedMissing = m.generated.length > 0 && out === m.file && !m.generated.every((g) => exists(g.file));
  if (generatedMissing) {
    process.stdout.write(`${m.file}: standard validation after writing (its generated OpenAPI document is not written in a dry run)\n`);
    return true;
  }
  const result = await validateText(m.after, out);
  for (const d of result.diagnostics.filter((x) => x.severity === 'error')) process.stdout.write(`${formatDiagnostic(d)}\n`);
  process.stdout.write(`${m.file}: ${result.valid ? 'valid standard 0.8' : 'NOT valid standard 0.8 (see above)'}\n`);
  return result.valid;
}

function exists(p: string): boolean {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
}
