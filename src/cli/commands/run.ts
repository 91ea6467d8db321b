/**
 * @module cli/commands/run
 * `swirl run <file> [--input <json>|@file] [--workflows <dir>] [--store sqlite:<path>|postgres://…|memory]
 * [--instance-id <id>]`: runs one workflow instance to completion on an embedded engine. Prints
 * ONLY the workflow output JSON on stdout; progress goes to stderr. Exit 0 COMPLETED, 1 FAILED or
 * TERMINATED (or interrupted), 2 usage or definition errors. With a persistent store, re-running
 * with the same --instance-id resumes the instance instead of starting over.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  DefinitionError,
  createEngine,
  findDefinitionFiles,
  initExpressions,
  inputProblems,
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

interface RunOptions {
  input?: string;
  workflows?: string;
  store: string;
  instanceId?: string;
  verbose?: boolean;
  profile: string;
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

async function loadWorkflowsDir(dir: string | undefined, profile: Profile): Promise<WorkflowGraph[]> {
  if (!dir) return [];
  const files = await findDefinitionFiles([dir], { profile });
  const graphs = await Promise.all(files.map((f) => loadWorkflow(f, { profile })));
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

async function execute(file: string, opts: RunOptions): Promise<ExitCode> {
  let input: unknown;
  let graph: WorkflowGraph;
  let others: WorkflowGraph[];
  const p = parseProfile(opts.profile);
  if (!p.ok) {
    process.stderr.write(`swirl run: --profile: ${p.message}\n`);
    return ExitCode.Usage;
  }
  const profile = p.profile;
  try {
    input = parseInput(opts.input);
    await initExpressions();
    graph = await loadWorkflow(file, { profile });
    others = await loadWorkflowsDir(opts.workflows, profile);
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
  await engine.start();
  const instanceId = opts.instanceId ?? randomUUID();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  const stop = new Promise<'interrupted'>((res) => {
    process.once('SIGINT', () => {
      onSigint();
      res('interrupted');
    });
  });
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
    const outcome = await Promise.race([engine.client.waitForCompletion(instanceId), stop]);
    if (outcome === 'interrupted' || interrupted) {
      process.stderr.write(`swirl run: interrupted; instance ${instanceId} is still running in '${opts.store}'. Re-run with --store ${opts.store} --instance-id ${instanceId} to resume.\n`);
      return ExitCode.Failure;
    }
    return report(outcome);
  } finally {
    process.removeAllListeners('SIGINT');
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
    .option('--instance-id <id>', 'instance id (re-run with the same id and store to resume)')
    .option('--verbose', 'also log debug progress')
    .option('--profile <profile>', `${PROFILES.join(' or ')}: sonataflow runs SonataFlow's extensions (specs/sonataflow-profile.md)`, 'standard')
    .action(async (file: string, opts: RunOptions, command: Command) => {
      setExitCode(command, await execute(file, opts));
    });
}
