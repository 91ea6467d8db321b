/**
 * @module cli/commands/run
 * `swirl run <file> [--input <json>|@file] [--workflows <dir>] [--store sqlite:<path>|postgres://…|memory]
 * [--instance-id <id>] [--event name=<json>|@file]...`: runs one workflow instance to completion on
 * an embedded engine. Prints ONLY the workflow output JSON on stdout; progress goes to stderr. Exit
 * 0 COMPLETED, 1 FAILED or TERMINATED, 2 usage or definition errors, 130 interrupted (SIGINT or
 * SIGTERM). With a persistent store, re-running with the same --instance-id resumes the instance
 * instead of starting over. Events the instance waits for come from `--event` (run-events.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  DefinitionError,
  FolderProfiles,
  createEngine,
  findDefinitionFiles,
  formatDiagnostic,
  profileOf,
  type ProfileChoice,
  initExpressions,
  inputProblems,
  INSTANCE_ID_PATTERN,
  loadWorkflow,
  parseProfile,
  PROFILES,
  registerWorkflow,
  type Profile,
  validateFile,
  secretsReady,
  type InstanceMetadata,
  type Logger,
  type WorkflowGraph,
} from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';
import { collectEvent, parseEventArguments, watchEventWaits, type EventArgument } from './run-events.js';

interface RunOptions {
  input?: string;
  workflows?: string;
  store: string;
  instanceId?: string;
  verbose?: boolean;
  event: string[];
  profile: string;
}

/** Resolves with the signal's name when the process is asked to stop; `off()` removes the listeners. */
function interruption(): { signal: Promise<NodeJS.Signals>; off(): void } {
  let off: () => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((done) => {
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    off = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
  return { signal, off: () => off() };
}

/** How often each name occurs, in first-seen order. */
function count(names: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) m.set(n, (m.get(n) ?? 0) + 1);
  return m;
}

/** What an interrupted run says: how to resume from a persistent store; nothing to resume in memory. */
function interruptedMessage(signal: string, instanceId: string, store: string): string {
  if (store === 'memory') return `swirl run: interrupted (${signal}); instance ${instanceId} is gone with the memory store (nothing to resume: use --store sqlite:<file> for a resumable run)\n`;
  return `swirl run: interrupted (${signal}); instance ${instanceId} is kept in '${store}'. Re-run with --store ${store} --instance-id ${instanceId} to resume.\n`;
}

function stderrLogger(verbose: boolean): Logger {
  const line = (level: string, msg: string) => process.stderr.write(`[swirl] ${level === 'info' ? '' : `${level}: `}${msg}\n`);
  return {
    debug: (msg) => verbose && line('debug', msg),
    info: (msg) => line('info', msg),
    warn: (msg) => line('warn', msg),
    error: (msg) => line('error', msg),
  };
}

/** Engine-internal messages only matter when something is wrong. */
function engineLogger(): Logger {
  const line = (level: string, msg: string) => process.stderr.write(`[engine] ${level}: ${msg}\n`);
  return { debug: () => undefined, info: () => undefined, warn: (m) => line('warn', m), error: (m) => line('error', m) };
}

function parseInput(text: string | undefined): unknown {
  if (text === undefined) return {};
  const source = text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source);
  } catch (err) {
    throw new Error(`--input is not valid JSON: ${(err as Error).message}`);
  }
}

/** The profile `file` runs under (the flag's, else its folder's), or the broken folder file's diagnostic as an error. */
async function chosenProfile(file: string, choice: ProfileChoice & { folders: FolderProfiles }): Promise<Profile> {
  const chosen = await profileOf(file, choice, choice.folders);
  if ('diagnostic' in chosen) throw new Error(formatDiagnostic(chosen.diagnostic));
  return chosen.profile;
}

async function loadWorkflowsDir(dir: string | undefined, choice: ProfileChoice & { folders: FolderProfiles }): Promise<WorkflowGraph[]> {
  if (!dir) return [];
  const files = await findDefinitionFiles([dir], choice);
  const graphs = await Promise.all(files.map(async (f) => loadWorkflow(f, { profile: await chosenProfile(f, choice) })));
  // Subflows are looked up by id and version: two files defining the same pair make the choice silent.
  const seen = new Map<string, string>();
  graphs.forEach((g, i) => {
    const key = `${g.id}@${g.version ?? ''}`;
    const earlier = seen.get(key);
    if (earlier) throw new Error(`--workflows ${dir}: workflow '${g.id}'${g.version ? ` version '${g.version}'` : ''} is defined twice, in ${earlier} and ${files[i]}`);
    seen.set(key, files[i]);
  });
  return graphs;
}

/**
 * Subflows and continueAs targets that this run cannot find would fail the instance when reached:
 * say so before it starts, in terms of this command (the engine's own error names its options).
 */
async function warnUnknownSubflows(file: string, graph: WorkflowGraph, others: WorkflowGraph[], workflowsDir: string | undefined, profile: Profile): Promise<void> {
  const ids = new Set([graph.id, ...others.map((g) => g.id)]);
  const { diagnostics } = await validateFile(file, { workflowIds: ids, profile });
  for (const d of diagnostics.filter((x) => x.code === 'UNKNOWN_SUBFLOW')) {
    const where = workflowsDir ? `it is not in --workflows ${workflowsDir}` : 'no --workflows folder was given';
    process.stderr.write(`swirl run: warning: ${d.file}:${d.line}:${d.column}: ${d.message.replace(/ is not among the workflows validated together/, ' is not known')}: ${where}\n`);
    process.stderr.write(`    hint: pass the folder that holds it: swirl run ${file} --workflows <dir>\n`);
  }
}

function report(meta: InstanceMetadata): ExitCode {
  if (meta.runtimeStatus === 'COMPLETED') {
    process.stdout.write(`${JSON.stringify(meta.output ?? null)}\n`);
    return ExitCode.Ok;
  }
  if (meta.runtimeStatus === 'FAILED') {
    const f = meta.failure;
    process.stderr.write(`swirl run: instance ${meta.instanceId} FAILED${f?.code ? ` (code ${f.code})` : ''}: ${f?.message ?? 'unknown failure'}\n`);
  } else {
    process.stderr.write(`swirl run: instance ${meta.instanceId} ${meta.runtimeStatus}${meta.output !== undefined ? `; last data: ${JSON.stringify(meta.output)}` : ''}\n`);
  }
  return ExitCode.Failure;
}

async function execute(file: string, opts: RunOptions, profileFromCommandLine: boolean): Promise<ExitCode> {
  let input: unknown;
  let graph: WorkflowGraph;
  let others: WorkflowGraph[];
  // A malformed id is a usage mistake, said before the store is opened (or created).
  if (opts.instanceId !== undefined && !INSTANCE_ID_PATTERN.test(opts.instanceId)) {
    const id = opts.instanceId.length > 60 ? `${opts.instanceId.slice(0, 60)}…` : opts.instanceId;
    process.stderr.write(`swirl run: --instance-id '${id}' is not an instance id: use 1-200 characters from A-Z a-z 0-9 _ - . :\n`);
    return ExitCode.Usage;
  }
  const p = parseProfile(opts.profile);
  if (!p.ok) {
    process.stderr.write(`swirl run: --profile: ${p.message}\n`);
    return ExitCode.Usage;
  }
  // --profile given: every definition; otherwise each one's folder swirl.yaml `profile:` (specs/sonataflow-profile.md).
  const choice = { ...(profileFromCommandLine ? { profile: p.profile } : {}), folders: new FolderProfiles() };
  let profile: Profile;
  let events: EventArgument[];
  try {
    input = parseInput(opts.input);
    await initExpressions();
    profile = await chosenProfile(file, choice);
    graph = await loadWorkflow(file, { profile });
    others = await loadWorkflowsDir(opts.workflows, choice);
    events = parseEventArguments(opts.event, graph);
  } catch (err) {
    process.stderr.write(`swirl run: ${(err as Error).message}\n`);
    return ExitCode.Usage;
  }
  // Input the workflow can only fail on is refused before anything starts, as `swirl serve` does.
  const problems = inputProblems(graph, input);
  if (problems.length > 0) {
    process.stderr.write(`swirl run: --input is refused by workflow '${graph.id}':\n`);
    for (const p of problems) process.stderr.write(`    ${p.pointer || '/'}: ${p.message}\n`);
    return ExitCode.Usage;
  }
  await warnUnknownSubflows(file, graph, others, opts.workflows, profile);
  const logger = stderrLogger(opts.verbose ?? false);
  let engine;
  try {
    // One process owns the store: a short lease lets a re-run resume soon after a crash.
    engine = await createEngine({ store: opts.store, logger: engineLogger(), leaseMs: 10_000 });
  } catch (err) {
    process.stderr.write(`swirl run: cannot open store '${opts.store}': ${(err as Error).message}\n`);
    return ExitCode.Usage;
  }
  const workflows = (id: string, version?: string) => others.find((g) => g.id === id && (version === undefined || g.version === version));
  let name: string;
  try {
    name = registerWorkflow(engine, graph, { workflows, logger, baseDir: dirname(resolve(file)) });
  } catch (err) {
    process.stderr.write(`swirl run: ${(err as Error).message}\n`);
    await engine.stop();
    return err instanceof DefinitionError ? ExitCode.Usage : ExitCode.Failure;
  }
  // Asynchronous secret sources are prefetched at registration; a resumed instance needs them.
  await secretsReady(engine);
  const instanceId = opts.instanceId ?? randomUUID();
  const stop = interruption();
  let watch: { stop(): Promise<string[]> } | undefined;
  try {
    const existing = await engine.client.get(instanceId);
    if (existing && ['COMPLETED', 'FAILED', 'TERMINATED'].includes(existing.runtimeStatus)) {
      process.stderr.write(`[swirl] instance ${instanceId} already finished (${existing.runtimeStatus})\n`);
      return report(existing);
    }
    if (existing) process.stderr.write(`[swirl] resuming instance ${instanceId} (${existing.runtimeStatus})\n`);
    else {
      await engine.client.start(name, input, { instanceId });
      process.stderr.write(`[swirl] started instance ${instanceId} of '${name}'\n`);
    }
    // Workers start after the line above, so the instance's progress lines follow it.
    await engine.start();
    // Only a workflow with event definitions can wait for an event.
    if (graph.events.size > 0) watch = watchEventWaits(engine, graph, instanceId, events, process.stderr);
    const outcome = await Promise.race([engine.client.waitForCompletion(instanceId), stop.signal]);
    if (typeof outcome === 'string') {
      process.stderr.write(interruptedMessage(outcome, instanceId, opts.store));
      return ExitCode.Interrupted;
    }
    // An --event the instance never waited for is said, not dropped silently (a misread workflow).
    const undelivered = (await watch?.stop()) ?? [];
    watch = undefined;
    for (const [name, n] of count(undelivered)) {
      const what = n === 1 ? `one --event ${name} value was not delivered: the instance ended without waiting for it` : `${n} --event ${name} values were not delivered: the instance ended without waiting for them`;
      process.stderr.write(`swirl run: warning: ${what}\n`);
    }
    return report(outcome);
  } finally {
    stop.off();
    await watch?.stop();
    await engine.stop();
  }
}

/** Adds the `run` command to the program. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a workflow instance to completion; prints only the output JSON on stdout')
    .argument('<file>', 'workflow definition (YAML or JSON)')
    .option('-i, --input <json>', 'workflow input JSON, or @file to read it from a file')
    .option('-w, --workflows <dir>', 'directory with the definitions subflows and continueAs refer to')
    .option('-s, --store <url>', 'store: sqlite:<path> (embedded, durable: runs are resumable), postgres://user@host:port/db[?schema=name] or memory', 'sqlite:swirl.db')
    .option('--id, --instance-id <id>', 'instance id (re-run with the same id and store to resume)')
    .option('-e, --event <name=json>', "deliver this event when the instance waits for it: the event definition's name = its data as JSON, @file.json, or a whole CloudEvent (repeatable: one per wait)", collectEvent, [])
    .option('--verbose', 'also log debug progress')
    .option('--profile <profile>', `${PROFILES.join(' or ')}: sonataflow runs SonataFlow's extensions (specs/sonataflow-profile.md)`, 'standard')
    .action(async (file: string, opts: RunOptions, command: Command) => {
      setExitCode(command, await execute(file, opts, command.getOptionValueSource('profile') === 'cli'));
    });
}
