/**
 * @module cli/commands/instances-control
 * The `swirl instances` commands that change an instance: `raise`, `suspend`, `resume`,
 * `terminate`, `purge` — each one request to the Dapr workflow routes of the server (bulk purge:
 * Swirl's `/api/v1/instances/purge`). They print one confirmation line (or `-o json|yaml` of
 * what was done) and exit 4 when the instance does not exist.
 */
import type { Command } from 'commander';
import { clientCommand, runClient, type ClientContext, type ClientFlags } from '../client/client-command.js';
import { ClientError } from '../client/client-error.js';
import { jsonArgument } from '../client/json-argument.js';
import { print } from '../client/output.js';
import { parseMoment } from '../client/since.js';
import { ExitCode } from '../exit.js';

interface RaiseFlags extends ClientFlags {
  data?: string;
}
interface TerminateFlags extends ClientFlags {
  recursive?: boolean;
}
interface PurgeFlags extends ClientFlags {
  status: string[];
  before?: string;
  workflow?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const instancePath = (id: string, action: string) => `/v1.0/workflows/dapr/${encodeURIComponent(id)}/${action}`;

/**
 * daprd answers raise/pause/resume of an unknown instance with 500, not 404: ask first, so a
 * script gets exit 4 (not found) rather than 1.
 */
async function requireInstance(ctx: ClientContext, id: string): Promise<string | undefined> {
  const got = (await ctx.api.get(`/api/v1/instances/${encodeURIComponent(id)}`)) as { runtimeStatus?: unknown } | null;
  return typeof got?.runtimeStatus === 'string' ? got.runtimeStatus : undefined;
}

/** Statuses an instance never leaves: terminate, suspend and resume change nothing there. */
const FINISHED: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'TERMINATED']);

/** Adds the control commands to the `instances` group. */
export function registerInstanceControl(group: Command): void {
  clientCommand(group, 'raise', 'deliver an event to a waiting instance (an event state or a callback)')
    .argument('<id>', 'instance id')
    .argument('<event>', 'event name (the event definition name the state waits for)')
    .option('-d, --data <json>', 'event data JSON, or @file to read it from a file (@- reads stdin)')
    .action((id: string, event: string, flags: RaiseFlags, command: Command) =>
      runClient(command, flags, async (ctx) => {
        const data = flags.data !== undefined ? jsonArgument(flags.data, '--data') : undefined;
        await requireInstance(ctx, id);
        await ctx.api.post(`${instancePath(id, 'raiseEvent')}/${encodeURIComponent(event)}`, data !== undefined ? { json: data } : undefined);
        print(ctx.format, { instanceID: id, raised: event }, () => `raised event '${event}' on instance ${id}\n`);
      }),
    );
  for (const [name, route, done, what] of [
    ['suspend', 'pause', 'suspended', 'suspend an instance: it keeps the events it receives but acts on none until resumed'],
    ['resume', 'resume', 'resumed', 'resume a suspended instance'],
  ] as const) {
    clientCommand(group, name, what)
      .argument('<id>', 'instance id')
      .action((id: string, flags: ClientFlags, command: Command) =>
        runClient(command, flags, async (ctx) => {
          const status = await requireInstance(ctx, id);
          // The server accepts it (202, as daprd) and changes nothing: do not claim it did.
          if (status !== undefined && FINISHED.has(status)) {
            print(ctx.format, { instanceID: id, [done]: false, runtimeStatus: status }, () => `instance ${id} is already ${status}: nothing to ${name}\n`);
            return;
          }
          await ctx.api.post(instancePath(id, route));
          print(ctx.format, { instanceID: id, [done]: true }, () => `instance ${id} ${done}\n`);
        }),
      );
  }
  clientCommand(group, 'terminate', 'terminate a running instance (a finished one is left as it is)')
    .argument('<id>', 'instance id')
    .option('--recursive', 'also terminate its running sub-workflows (default: only this instance)')
    .action((id: string, flags: TerminateFlags, command: Command) =>
      runClient(command, flags, async (ctx) => {
        const recursive = flags.recursive === true;
        const status = await requireInstance(ctx, id);
        await ctx.api.post(`${instancePath(id, 'terminate')}?recursive=${recursive}`);
        // A finished instance is left as it is (the server answers 202 all the same): say so.
        if (status !== undefined && FINISHED.has(status)) {
          print(ctx.format, { instanceID: id, terminated: false, runtimeStatus: status, recursive }, () => `instance ${id} was already ${status}: left as it is\n`);
          return;
        }
        print(ctx.format, { instanceID: id, terminated: true, recursive }, () => `instance ${id} terminated${recursive ? ' with its sub-workflows' : ''}\n`);
      }),
    );
  clientCommand(group, 'purge', 'delete finished instances: one by id, or every one matching --status/--before/--workflow')
    .argument('[id]', 'instance id (deleted with its sub-workflows)')
    .option('--status <status>', 'bulk: only instances with this status (repeatable): COMPLETED, FAILED, TERMINATED', collect, [])
    .option('--before <age|time>', 'bulk: only instances created before this: 7d, P30D, or a date-time')
    .option('--workflow <id>', 'bulk: only instances of this workflow')
    .action((id: string | undefined, flags: PurgeFlags, command: Command) => runClient(command, flags, (ctx) => purge(ctx, id, flags)));
}

async function purge(ctx: ClientContext, id: string | undefined, flags: PurgeFlags): Promise<void> {
  const bulk = flags.status.length > 0 || flags.before !== undefined || flags.workflow !== undefined;
  if (id !== undefined && bulk) throw new ClientError('give an instance id or the bulk filters (--status, --before, --workflow), not both', ExitCode.Usage);
  if (id !== undefined) {
    await ctx.api.post(instancePath(id, 'purge'));
    print(ctx.format, { instanceID: id, deletedInstanceCount: 1 }, () => `purged instance ${id}\n`);
    return;
  }
  // A bare `purge` deleting every finished instance is too easy to type by mistake.
  if (flags.status.length === 0 && flags.before === undefined) throw new ClientError('give an instance id, or --status and/or --before to choose the instances to purge', ExitCode.Usage);
  const body: Record<string, unknown> = {};
  if (flags.status.length > 0) body.status = flags.status.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (flags.before !== undefined) body.createdTo = parseMoment(flags.before, '--before');
  if (flags.workflow !== undefined) body.workflow = flags.workflow;
  const answer = (await ctx.api.post('/api/v1/instances/purge', { json: body })).body as { deletedInstanceCount: number };
  const n = answer.deletedInstanceCount;
  print(ctx.format, answer, () => `purged ${n} instance${n === 1 ? '' : 's'}\n`);
}
