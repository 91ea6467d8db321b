/**
 * @module cli/commands/instances-state
 * The state-level `swirl instances` commands (specs/timeline.md): `get` (the instance, the
 * state(s) it is in and what each waits for, its children — for people first), `history` (the
 * timeline of states, actions, events and transitions; `--data` adds the data) and `rerun` (a new
 * instance from a finished one at a state it entered). `-o json|yaml` prints the API's answer.
 */
import type { Command } from 'commander';
import { clientCommand, runClient, type ClientContext, type ClientFlags } from '../client/client-command.js';
import { ClientError } from '../client/client-error.js';
import { shortTime, type InstanceDetail } from '../client/instance-views.js';
import { jsonArgument } from '../client/json-argument.js';
import { print } from '../client/output.js';
import { renderFields, renderTable, type Column } from '../client/table.js';
import { ExitCode } from '../exit.js';

/** What `GET /api/v1/instances/{id}` adds for the state-level view. */
interface StateDetail extends InstanceDetail {
  parentInstanceID?: string;
  definition?: { id: string; version?: string; hash?: string };
  currentStates?: CurrentState[];
  currentStatesError?: string;
  children?: { instanceID: string; workflowName: string; runtimeStatus: string }[];
}

interface CurrentState {
  state: string;
  type: string;
  enteredAt: string;
  branch?: string;
  iteration?: number;
  waitingFor?: Record<string, any>;
}

/** A timeline item (the fields depend on `kind`; specs/timeline.md §2). */
type Item = Record<string, any> & { seq: number; time: string; kind: string };

interface HistoryFlags extends ClientFlags {
  data?: boolean;
}
interface RerunFlags extends ClientFlags {
  from: string;
  input?: string;
  instanceId?: string;
}

/** The largest timeline page the API gives; `history` pages through all of them. */
const PAGE = 1000;

const instanceUrl = (id: string, rest = '') => `/api/v1/instances/${encodeURIComponent(id)}${rest}`;

/** Adds get, history and rerun to the `instances` group. */
export function registerInstanceState(group: Command): void {
  clientCommand(group, 'get', 'show an instance: status, the state(s) it is in and what each waits for, its children')
    .argument('<id>', 'instance id')
    .action((id: string, flags: ClientFlags, command: Command) => runClient(command, flags, (ctx) => get(ctx, id)));
  clientCommand(group, 'history', 'the state-level timeline of an instance: states, actions, events, timers, transitions')
    .argument('<id>', 'instance id')
    .option('--data', 'show the data: state input/output, action input/result, event data')
    .action((id: string, flags: HistoryFlags, command: Command) => runClient(command, flags, (ctx) => history(ctx, id, flags)));
  clientCommand(group, 'rerun', 'start a new instance from a finished one at a state it entered (with that state\'s recorded input, or --input)')
    .argument('<id>', 'the finished instance')
    .requiredOption('--from <state>', 'the state to start at (one the instance entered)')
    .option('-i, --input <json>', "the state's input, JSON or @file (default: the input it was entered with)")
    .option('--id, --instance-id <id>', 'id of the new instance (default: the server makes one)')
    .action((id: string, flags: RerunFlags, command: Command) => runClient(command, flags, (ctx) => rerun(ctx, id, flags)));
}

/** What a current state waits for, in words. */
export function describeWait(w: Record<string, any> | undefined): string {
  if (!w) return '-';
  switch (w.kind) {
    case 'activity':
      return `activity ${w.function} (attempt ${w.attempt})`;
    case 'subflow':
      return `subflow ${w.workflow} (instance ${w.instanceId})`;
    case 'event': {
      const corr = (w.correlation ?? []) as { attribute: string; value?: string }[];
      const c = corr.length > 0 ? ` where ${corr.map((x) => `${x.attribute}=${x.value ?? '<first event>'}`).join(', ')}` : '';
      return `event ${(w.events as string[]).join(' or ')}${c}`;
    }
    case 'timer':
      return `timer until ${shortTime(w.until)}`;
    case 'retry':
      return `retry of ${w.function} (attempt ${w.attempt}) at ${shortTime(w.until)}`;
    default:
      return String(w.kind);
  }
}

const STATE_COLUMNS: readonly Column<CurrentState>[] = [
  { header: 'state', cell: (s) => s.state + (s.branch !== undefined ? ` [branch ${s.branch}]` : s.iteration !== undefined ? ` [iteration ${s.iteration}]` : '') },
  { header: 'type', cell: (s) => s.type },
  { header: 'since', cell: (s) => shortTime(s.enteredAt) },
  { header: 'waiting for', cell: (s) => describeWait(s.waitingFor) },
];

const CHILD_COLUMNS: readonly Column<{ instanceID: string; workflowName: string; runtimeStatus: string }>[] = [
  { header: 'child', cell: (c) => c.instanceID },
  { header: 'workflow', cell: (c) => c.workflowName },
  { header: 'status', cell: (c) => c.runtimeStatus },
];

async function get(ctx: ClientContext, id: string): Promise<void> {
  const d = (await ctx.api.get(instanceUrl(id))) as StateDetail;
  print(ctx.format, d, () => {
    const def = d.definition;
    const failure = d.failure ? `${d.failure.code !== undefined ? `(code ${d.failure.code}) ` : ''}${d.failure.message ?? ''}` : undefined;
    let out = renderFields([
      ['ID', d.instanceID],
      ['Workflow', def ? `${def.id}${def.version !== undefined ? ` version ${def.version}` : ''}${def.hash !== undefined ? ` (definition ${def.hash.slice(0, 12)})` : ''}` : d.workflowName],
      ['Status', d.runtimeStatus],
      ['Created', shortTime(d.createdAt)],
      ['Updated', shortTime(d.lastUpdatedAt)],
      ['Parent', d.parentInstanceID],
      ['Failure', failure],
    ]);
    const states = d.currentStates ?? [];
    if (d.currentStatesError !== undefined) out += `\ncurrent states unknown: ${d.currentStatesError}\n`;
    else if (states.length > 0) out += `\n${renderTable(STATE_COLUMNS, states)}`;
    if ((d.children ?? []).length > 0) out += `\n${renderTable(CHILD_COLUMNS, d.children!)}`;
    return out;
  });
}

/** One timeline item in words (the STATE column carries the state). */
export function describeItem(i: Item): string {
  const place = i.branch !== undefined ? ` [branch ${i.branch}]` : i.iteration !== undefined ? ` [iteration ${i.iteration}]` : '';
  const took = i.durationMs !== undefined ? ` in ${i.durationMs} ms` : '';
  switch (i.kind) {
    case 'rerunStarted':
      return `rerun from state ${i.fromState}`;
    case 'stateEntered':
      return `entered (${i.type})${i.compensation ? ' to compensate' : ''}`;
    case 'stateExited':
      return `exited${took}`;
    case 'stateFailed':
      return `failed${took}: (code ${i.error.code}) ${i.error.message}`;
    case 'transition': {
      const how = i.via === 'condition' || i.via === 'error' ? ` (${i.via} ${i.condition})` : i.via === 'default' ? ' (default)' : '';
      return `${i.to !== undefined ? `-> ${i.to}` : '-> end'}${how}${i.compensate ? ', compensating' : ''}`;
    }
    case 'workflowTimedOut':
      return `stopped${took}: ${i.timeout}`;
    case 'errorHandled':
      return `error (code ${i.error.code}) handled by onErrors -> ${i.to ?? 'end'}`;
    case 'compensationStarted':
      return `compensated by ${i.by}`;
    case 'actionStarted': {
      const what = i.function !== undefined ? `function ${i.function}` : i.subflow !== undefined ? `subflow ${i.subflow} (instance ${i.instanceId})` : `event ${i.triggerEvent}`;
      return `action ${i.action}${place} started: ${what}${i.attempt > 1 ? `, attempt ${i.attempt}` : ''}`;
    }
    case 'actionCompleted':
      return `action ${i.action}${place} completed${took}`;
    case 'actionFailed':
      return `action ${i.action}${place} failed${took} (attempt ${i.attempt}): (code ${i.error.code}) ${i.error.message}`;
    case 'actionRetried':
      return `action ${i.action}${place} retried in ${i.delayMs} ms`;
    case 'eventWaiting': {
      const corr = (i.correlation ?? []) as { attribute: string; value?: string }[];
      return `waiting for event ${(i.events as string[]).join(' or ')}${corr.length > 0 ? ` where ${corr.map((x) => `${x.attribute}=${x.value ?? '<first event>'}`).join(', ')}` : ''}`;
    }
    case 'eventReceived':
      return `event ${i.event} received`;
    case 'eventTimedOut':
      return 'eventTimeout passed';
    case 'timerStarted':
      return `sleeping until ${shortTime(i.until)}`;
    case 'timerFired':
      return 'woke up';
    case 'eventProduced':
      return `produced event ${i.event}`;
    default:
      return i.kind;
  }
}

/** The data an item carries, for `--data`. */
function dataOf(i: Item): string | undefined {
  for (const k of ['input', 'output', 'result', 'data'] as const) if (k in i) return `${k}=${JSON.stringify(i[k] ?? null)}`;
  return undefined;
}

async function history(ctx: ClientContext, id: string, flags: HistoryFlags): Promise<void> {
  const items: Item[] = [];
  let token: string | undefined;
  do {
    const page = (await ctx.api.get(instanceUrl(id, `/timeline?limit=${PAGE}${token !== undefined ? `&pageToken=${encodeURIComponent(token)}` : ''}`))) as { items: Item[]; nextPageToken?: string };
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token !== undefined);
  print(ctx.format, { items }, () => {
    if (items.length === 0) return `instance ${id} has no state-level history yet\n`;
    const columns: Column<Item>[] = [
      { header: 'time', cell: (i) => i.time },
      { header: 'state', cell: (i) => i.state ?? i.from ?? i.fromState },
      { header: 'event', cell: describeItem },
    ];
    if (flags.data) columns.push({ header: 'data', cell: dataOf });
    return renderTable(columns, items);
  });
}

async function rerun(ctx: ClientContext, id: string, flags: RerunFlags): Promise<void> {
  const input = flags.input !== undefined ? jsonArgument(flags.input, '--input') : undefined;
  if (flags.from === '') throw new ClientError('--from needs a state name', ExitCode.Usage);
  const body = { fromState: flags.from, ...(input !== undefined ? { input } : {}), ...(flags.instanceId !== undefined ? { instanceID: flags.instanceId } : {}) };
  const answer = (await ctx.api.post(instanceUrl(id, '/rerun'), { json: body })).body as { instanceID: string };
  print(ctx.format, answer, () => `${answer.instanceID}\n`);
}
