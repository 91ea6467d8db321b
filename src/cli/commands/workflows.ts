/**
 * @module cli/commands/workflows
 * `swirl workflows list|get|register|validate`: the workflow definitions of a running server,
 * over `/api/v1/workflows`. `register` and `validate` send a local file and print the server's
 * diagnostics as `swirl validate` does (file:line:col, naming the local file); an invalid
 * definition exits 1. Output and exit codes: specs/cli.md.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { dump } from 'js-yaml';
import { formatDiagnostic, type Diagnostic } from '../../index.js';
import { clientCommand, runClient, type ClientContext, type ClientFlags } from '../client/client-command.js';
import { ClientError } from '../client/client-error.js';
import { print } from '../client/output.js';
import { renderFields, renderTable, type Column } from '../client/table.js';
import { ExitCode } from '../exit.js';

/** `GET /api/v1/workflows` rows (host WorkflowInfo). */
interface WorkflowRow {
  id: string;
  version?: string;
  name?: string;
  hash: string;
  source: string;
  startEvents: string[];
  schedule?: { interval?: string; cron?: string; validUntil?: string };
  olderVersions?: unknown[];
}

interface Diagnosed {
  valid: boolean;
  diagnostics: Diagnostic[];
}

const COLUMNS: readonly Column<WorkflowRow>[] = [
  { header: 'id', cell: (w) => w.id },
  { header: 'version', cell: (w) => w.version },
  { header: 'name', cell: (w) => w.name },
  { header: 'hash', cell: (w) => w.hash.slice(0, 12) },
  { header: 'starts on', cell: (w) => startsOn(w) },
  { header: 'source', cell: (w) => w.source },
];

function startsOn(w: WorkflowRow): string | undefined {
  if (w.startEvents.length > 0) return `event ${w.startEvents.join(', ')}`;
  if (w.schedule?.cron) return `cron ${w.schedule.cron}`;
  if (w.schedule?.interval) return `every ${w.schedule.interval}`;
  return 'request';
}

/** Adds `swirl workflows` and its subcommands. */
export function registerWorkflows(program: Command): Command {
  const group = program.command('workflows').description('list, show, register and validate the workflow definitions of a running Swirl server');
  clientCommand(group, 'list', 'list the registered workflow definitions')
    .action((flags: ClientFlags, command: Command) =>
      runClient(command, flags, async (ctx) => {
        const body = (await ctx.api.get('/api/v1/workflows')) as { workflows: WorkflowRow[] };
        print(ctx.format, body, () => (body.workflows.length === 0 ? 'no workflows registered\n' : renderTable(COLUMNS, body.workflows)));
      }),
    );
  clientCommand(group, 'get', 'show one workflow definition: its versions and its document')
    .argument('<id>', 'workflow id')
    .action((id: string, flags: ClientFlags, command: Command) =>
      runClient(command, flags, async (ctx) => {
        const body = (await ctx.api.get(`/api/v1/workflows/${encodeURIComponent(id)}`)) as WorkflowRow & { definition: unknown };
        print(ctx.format, body, () => describe(body));
      }),
    );
  clientCommand(group, 'register', 'register (or update) a definition from a file; running instances keep their version')
    .argument('<file>', 'definition file (YAML or JSON)')
    .action((file: string, flags: ClientFlags, command: Command) => runClient(command, flags, (ctx) => send(ctx, file, 'register')));
  clientCommand(group, 'validate', "validate a definition file with the server's catalog (subflow ids it knows, its limits)")
    .argument('<file>', 'definition file (YAML or JSON)')
    .action((file: string, flags: ClientFlags, command: Command) => runClient(command, flags, (ctx) => send(ctx, file, 'validate')));
  return group;
}

function describe(w: WorkflowRow & { definition: unknown }): string {
  const head = renderFields([
    ['Id', w.id],
    ['Version', w.version],
    ['Name', w.name],
    ['Hash', w.hash],
    ['Source', w.source],
    ['Starts on', startsOn(w)],
    ['Older versions', w.olderVersions && w.olderVersions.length > 0 ? String(w.olderVersions.length) : undefined],
  ]);
  const doc = dump(w.definition ?? null).replace(/^(?=.)/gm, '  ');
  return `${head}Definition:\n${doc}`;
}

async function send(ctx: ClientContext, file: string, what: 'register' | 'validate'): Promise<ExitCode> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClientError(`cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.Usage);
  }
  const contentType = extname(file).toLowerCase() === '.json' ? 'application/json' : 'application/yaml';
  const path = what === 'register' ? '/api/v1/workflows' : '/api/v1/workflows/validate';
  // 400 on register is the invalid definition with its diagnostics: read, not thrown.
  const answer = await ctx.api.send('POST', path, { text, contentType }, [400]);
  const body = answer.body as Diagnosed & { workflow?: WorkflowRow; errorCode?: string; message?: string };
  if (!Array.isArray(body?.diagnostics)) throw new ClientError(body?.message ?? `the server answered HTTP ${answer.status}`, ExitCode.Usage, body?.errorCode);
  // The server saw text, not a file: name the file the user gave.
  const diagnostics = body.diagnostics.map((d) => ({ ...d, file }));
  print(ctx.format, { ...body, diagnostics }, () => {
    const lines = diagnostics.map((d) => formatDiagnostic(d) + '\n').join('');
    if (!body.valid) return `${lines}${file}: invalid definition${what === 'register' ? '; not registered' : ''}\n`;
    if (what === 'validate') return `${lines}${file}: valid\n`;
    const w = body.workflow!;
    return `${lines}registered workflow '${w.id}'${w.version ? ` version ${w.version}` : ''} (${w.hash.slice(0, 12)})\n`;
  });
  return body.valid ? ExitCode.Ok : ExitCode.Failure;
}
