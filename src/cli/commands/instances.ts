/**
 * @module cli/commands/instances
 * `swirl instances …`: instances of a running server, over its HTTP API. This file holds the
 * group and the reading/starting commands (`list`, `start`); the commands that change an
 * instance are in instances-control.ts. Output and exit codes: specs/cli.md.
 */
import type { Command } from 'commander';
import { clientCommand, runClient, type ClientContext, type ClientFlags } from '../client/client-command.js';
import { ClientError } from '../client/client-error.js';
import { INSTANCE_COLUMNS, TERMINAL_STATUSES, type InstanceDetail, type InstanceSummary } from '../client/instance-views.js';
import { jsonArgument } from '../client/json-argument.js';
import { OutputFormat, print, renderData } from '../client/output.js';
import { parseMoment } from '../client/since.js';
import { renderTable } from '../client/table.js';
import { ExitCode } from '../exit.js';
import { registerInstanceControl } from './instances-control.js';
import { registerInstanceState } from './instances-state.js';

/** The API's largest page; `--limit` above it pages through. */
const MAX_PAGE = 1000;
/**
 * `start --wait` asks the server to answer once the instance finishes (`?wait=`), in slices
 * shorter than one request's timeout.
 */
const WAIT_SLICE = '25s';
/** Least time between two asks: a server without `?wait=` answers at once, and is then polled at this pace. */
const WAIT_MIN_INTERVAL_MS = 200;

interface ListFlags extends ClientFlags {
  workflow?: string;
  status: string[];
  since?: string;
  idPrefix?: string;
  limit: string;
}

interface StartFlags extends ClientFlags {
  input?: string;
  instanceId?: string;
  wait?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Adds `swirl instances` and its subcommands; returns the group so others can add theirs. */
export function registerInstances(program: Command): Command {
  const group = program.command('instances').description('list, start and control the instances of a running Swirl server (swirl serve)');
  clientCommand(group, 'list', 'list instances, oldest first')
    .option('--workflow <id>', 'only instances of this workflow')
    .option('--status <status>', 'only instances with this status (repeatable, or comma-separated): RUNNING, PENDING, SUSPENDED, COMPLETED, FAILED, TERMINATED', collect, [])
    .option('--since <age|time>', 'only instances created since: 30m, 2h, 7d, PT2H, or a date-time')
    .option('--id-prefix <prefix>', 'only instances whose id starts with this (case-sensitive)')
    .option('--limit <n>', 'show at most n instances', '50')
    .action((flags: ListFlags, command: Command) => runClient(command, flags, (ctx) => list(ctx, flags)));
  clientCommand(group, 'start', 'start an instance; prints its id (with --wait, its output)')
    .argument('<workflow>', 'workflow id')
    .option('-i, --input <json>', 'input JSON, or @file to read it from a file (@- reads stdin)')
    .option('--id, --instance-id <id>', 'instance id (default: the server makes one)')
    .option('--wait', 'wait until the instance finishes and print its output; exit 0 when COMPLETED, 1 when FAILED or TERMINATED')
    .action((workflow: string, flags: StartFlags, command: Command) => runClient(command, flags, (ctx) => start(ctx, workflow, flags)));
  registerInstanceControl(group);
  registerInstanceState(group);
  return group;
}

async function list(ctx: ClientContext, flags: ListFlags): Promise<void> {
  const limit = Number(flags.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ClientError(`--limit must be a positive whole number, not '${flags.limit}'`, ExitCode.Usage);
  const query = new URLSearchParams();
  if (flags.workflow) query.set('workflow', flags.workflow);
  for (const s of flags.status) query.append('status', s);
  if (flags.since !== undefined) query.set('createdFrom', parseMoment(flags.since, '--since'));
  if (flags.idPrefix !== undefined) {
    // The characters of an instance id (engine/validation.ts); the server says the same, as a 400.
    if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(flags.idPrefix)) throw new ClientError(`--id-prefix must be 1-200 characters from A-Z a-z 0-9 _ - . :, not '${flags.idPrefix.slice(0, 60)}'`, ExitCode.Usage);
    query.set('idPrefix', flags.idPrefix);
  }
  const instances: InstanceSummary[] = [];
  let token: string | undefined;
  do {
    query.set('pageSize', String(Math.min(MAX_PAGE, limit - instances.length)));
    if (token !== undefined) query.set('pageToken', token);
    const page = (await ctx.api.get(`/api/v1/instances?${query}`)) as { instances: InstanceSummary[]; nextPageToken?: string };
    instances.push(...page.instances);
    token = page.nextPageToken;
  } while (token !== undefined && instances.length < limit);
  const data = { instances, ...(token !== undefined ? { nextPageToken: token } : {}) };
  print(ctx.format, data, () => {
    if (instances.length === 0) return 'no instances found\n';
    // The table says when there are more, so a person never reads a cut list as the whole.
    return renderTable(INSTANCE_COLUMNS, instances) + (token !== undefined ? `(showing the first ${instances.length}; more match: raise --limit or narrow the filter)\n` : '');
  });
}

async function start(ctx: ClientContext, workflow: string, flags: StartFlags): Promise<ExitCode> {
  const input = flags.input !== undefined ? jsonArgument(flags.input, '--input') : undefined;
  // An unknown workflow is "not found" (exit 4), which the Dapr start route cannot tell apart.
  await ctx.api.get(`/api/v1/workflows/${encodeURIComponent(workflow)}`);
  const query = flags.instanceId !== undefined ? `?instanceID=${encodeURIComponent(flags.instanceId)}` : '';
  const answer = await ctx.api.post(`/v1.0/workflows/dapr/${encodeURIComponent(workflow)}/start${query}`, input !== undefined ? { json: input } : undefined);
  const id = (answer.body as { instanceID: string }).instanceID;
  if (!flags.wait) {
    print(ctx.format, { instanceID: id }, () => `${id}\n`);
    return ExitCode.Ok;
  }
  process.stderr.write(`started instance ${id} of '${workflow}'; waiting for it to finish (Ctrl-C stops waiting, the instance goes on)\n`);
  const done = await waitUntilFinished(ctx, id);
  if (done === 'interrupted') {
    process.stderr.write(`interrupted; instance ${id} goes on running on the server (swirl instances list --workflow ${workflow})\n`);
    return ExitCode.Interrupted;
  }
  return reportFinished(ctx, done);
}

/**
 * Waits until the instance is COMPLETED, FAILED or TERMINATED — long-polling GET with `?wait=`,
 * so the server answers the moment it finishes — or the user presses Ctrl-C.
 */
async function waitUntilFinished(ctx: ClientContext, id: string): Promise<InstanceDetail | 'interrupted'> {
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    while (!interrupt.signal.aborted) {
      const asked = Date.now();
      let detail: InstanceDetail;
      try {
        detail = (await ctx.api.get(`/api/v1/instances/${encodeURIComponent(id)}?wait=${WAIT_SLICE}`, interrupt.signal)) as InstanceDetail;
      } catch (err) {
        if (interrupt.signal.aborted) break;
        throw err;
      }
      if (TERMINAL_STATUSES.has(detail.runtimeStatus)) return detail;
      const left = WAIT_MIN_INTERVAL_MS - (Date.now() - asked);
      if (left > 0) {
        await new Promise<void>((res) => {
          const timer = setTimeout(res, left);
          interrupt.signal.addEventListener('abort', () => (clearTimeout(timer), res()), { once: true });
        });
      }
    }
    return 'interrupted';
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** The output (as `swirl run` prints it) or the failure; the exit code by outcome. */
function reportFinished(ctx: ClientContext, detail: InstanceDetail): ExitCode {
  if (ctx.format !== OutputFormat.Table) process.stdout.write(renderData(ctx.format, detail));
  if (detail.runtimeStatus === 'COMPLETED') {
    if (ctx.format === OutputFormat.Table) process.stdout.write(`${JSON.stringify(detail.output ?? null)}\n`);
    return ExitCode.Ok;
  }
  const f = detail.failure;
  const why = detail.runtimeStatus === 'FAILED' ? `${f?.code ? ` (code ${f.code})` : ''}: ${f?.message ?? 'no failure details'}` : '';
  process.stderr.write(`instance ${detail.instanceID} ${detail.runtimeStatus}${why}\n`);
  return ExitCode.Failure;
}
