/**
 * @module host/catalog
 * The workflow definitions a host serves: loaded from a folder at start or registered over the
 * API, validated (diagnostics as `swirl validate` prints them), compiled and registered on the
 * engine by id. The workflow name in the Dapr API is the definition id. Definitions registered
 * over the API are persisted (host/definition-store) before the registration is answered, and
 * reloaded at start after the folder; an id the folder also defines is served from the folder.
 */
import { dirname } from 'node:path';
import {
  DefinitionError,
  formatDiagnostic,
  loadWorkflow,
  loadWorkflowText,
  registerWorkflow,
  secretsReady,
  validateFiles,
  validateText,
  type Engine,
  type Logger,
  type ValidationResult,
  type WorkflowGraph,
} from '../index.js';
import type { ComponentHost } from '../components/index.js';
import type { DefinitionStore } from './definition-store.js';

/** A registered definition, as the API lists it. */
export interface WorkflowInfo {
  id: string;
  version?: string;
  name?: string;
  /** sha256 of the definition (recorded by every instance it starts). */
  hash: string;
  /** The file it was loaded from, or `<api>` when registered over HTTP. */
  source: string;
  /** The start state is an event state: matching CloudEvents start instances. */
  startEvents: string[];
  /** `start.schedule`, when the definition has one. */
  schedule?: { interval?: string; cron?: string; validUntil?: string };
}

/** What loading a folder produced. */
export interface CatalogLoadReport {
  loaded: WorkflowInfo[];
  /** Invalid or refused definitions, each with its diagnostics (already formatted). */
  refused: { file: string; messages: string[] }[];
  /** Warnings of the definitions that loaded (formatted like `swirl validate`). */
  warnings: string[];
}

interface Entry {
  graph: WorkflowGraph;
  info: WorkflowInfo;
}

/** Event refs of the start state when it is an event state (spec §Event State, "start event"). */
function startEventRefs(graph: WorkflowGraph): string[] {
  const node = graph.nodes.get(graph.start);
  if (!node || node.type !== 'event') return [];
  const def = node.definition as { onEvents?: { eventRefs?: string[] }[] };
  return (def.onEvents ?? []).flatMap((e) => e.eventRefs ?? []);
}

function describe(graph: WorkflowGraph, source: string): WorkflowInfo {
  const info: WorkflowInfo = { id: graph.id, hash: graph.hash, source, startEvents: startEventRefs(graph) };
  if (graph.version !== undefined) info.version = graph.version;
  if (graph.name !== undefined) info.name = graph.name;
  if (graph.schedule) {
    const s: NonNullable<WorkflowInfo['schedule']> = {};
    if (graph.schedule.interval !== undefined) s.interval = graph.schedule.interval;
    if (graph.schedule.cron !== undefined) s.cron = graph.schedule.cron;
    if (graph.schedule.validUntil !== undefined) s.validUntil = graph.schedule.validUntil;
    info.schedule = s;
  }
  return info;
}

/** The definitions of one host, registered on its engine. */
export class WorkflowCatalog {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ((graph: WorkflowGraph) => void)[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly components: ComponentHost | undefined,
    private readonly logger: Logger | undefined,
    /** Where definitions registered over the API are kept; none: they live as long as the process. */
    private readonly persisted?: DefinitionStore,
  ) {}

  /** Called for every definition registered from now on (the scheduler and event router listen). */
  onRegistered(fn: (graph: WorkflowGraph) => void): void {
    this.listeners.push(fn);
  }

  /** Every registered definition, by id. */
  list(): WorkflowInfo[] {
    return [...this.entries.values()].map((e) => e.info).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The graph registered under `id`. */
  graph(id: string): WorkflowGraph | undefined {
    return this.entries.get(id)?.graph;
  }

  /** Every registered graph. */
  graphs(): WorkflowGraph[] {
    return [...this.entries.values()].map((e) => e.graph);
  }

  /**
   * Validates and registers every definition under `dir`. Invalid definitions are refused (with
   * their diagnostics); the rest load. A second definition with an id already taken is refused.
   */
  async loadFolder(dir: string): Promise<CatalogLoadReport> {
    const results = await validateFiles([dir]);
    // Subflow targets may live in sibling files: validate once more knowing every id.
    const ids = new Set(results.flatMap((r) => (r.workflow?.id !== undefined ? [r.workflow.id] : [])));
    const report: CatalogLoadReport = { loaded: [], refused: [], warnings: [] };
    for (const r of results) {
      if (!r.valid) {
        report.refused.push({ file: r.file, messages: r.diagnostics.map(formatDiagnostic) });
        continue;
      }
      try {
        const graph = await loadWorkflow(r.file, { workflowIds: ids });
        report.loaded.push(this.add(graph, r.file));
        report.warnings.push(...r.diagnostics.map(formatDiagnostic));
      } catch (err) {
        report.refused.push({ file: r.file, messages: [`${r.file}: error ${(err as DefinitionError).code ?? 'INVALID_DEFINITION'} ${(err as Error).message}`] });
      }
    }
    // $SECRETS from the components are prefetched at registration: have them before the engine starts.
    await secretsReady(this.engine);
    return report;
  }

  /**
   * Registers the definitions persisted by earlier {@link register} calls (at start, after
   * {@link loadFolder}). One whose id the folder already serves with a different definition is
   * not registered: the folder wins (a warning says so); the file stays, so removing the folder's
   * copy brings it back. One that no longer validates is refused with its diagnostics.
   */
  async loadPersisted(): Promise<CatalogLoadReport> {
    const report: CatalogLoadReport = { loaded: [], refused: [], warnings: [] };
    if (!this.persisted) return report;
    const files = this.persisted.load();
    const ids = new Set(this.entries.keys());
    const graphs: { file: string; text: string; result: ValidationResult }[] = [];
    for (const f of files) graphs.push({ ...f, result: await validateText(f.text, '<api>') });
    for (const g of graphs) if (g.result.workflow?.id !== undefined) ids.add(g.result.workflow.id);
    for (const { file, text } of graphs) {
      // Validated as '<api>', like when it was posted, so relative references resolve the same way.
      const result = await validateText(text, '<api>', { workflowIds: ids });
      if (!result.valid) {
        report.refused.push({ file, messages: result.diagnostics.map(formatDiagnostic) });
        continue;
      }
      const graph = await loadWorkflowText(text, '<api>', { workflowIds: ids });
      const existing = this.entries.get(graph.id);
      if (existing && existing.graph.hash !== graph.hash) {
        report.warnings.push(`${file}: warning workflow '${graph.id}' registered over the API is not served: ${existing.info.source} defines the same id and wins`);
        continue;
      }
      report.loaded.push(this.add(graph, '<api>'));
    }
    if (report.loaded.length > 0) await secretsReady(this.engine);
    return report;
  }

  /** Validates a definition given as text without registering it. */
  validate(text: string, file = '<api>'): Promise<ValidationResult> {
    return validateText(text, file, { workflowIds: new Set(this.entries.keys()) });
  }

  /**
   * Validates and registers a definition given as text. Returns the validation result and, when
   * it was valid, the registered workflow.
   * @throws DefinitionError WORKFLOW_REGISTERED when another definition already has this id
   */
  async register(text: string, file = '<api>'): Promise<{ result: ValidationResult; workflow?: WorkflowInfo }> {
    const result = await this.validate(text, file);
    if (!result.valid) return { result };
    const graph = await loadWorkflowText(text, file, { workflowIds: new Set(this.entries.keys()) });
    const existing = this.entries.get(graph.id);
    if (existing?.graph.hash === graph.hash) return { result, workflow: existing.info };
    this.refuseConflict(graph);
    // Durable before it is registered (and before the API answers): a crash after the answer
    // must not lose a workflow whose instances may already be running.
    this.persisted?.save(graph.id, text);
    return { result, workflow: this.add(graph, file) };
  }

  /** @throws DefinitionError WORKFLOW_REGISTERED when another definition has the id of `graph` */
  private refuseConflict(graph: WorkflowGraph): void {
    const existing = this.entries.get(graph.id);
    if (existing && existing.graph.hash !== graph.hash) {
      throw new DefinitionError('WORKFLOW_REGISTERED', `workflow '${graph.id}' is already registered from ${existing.info.source}; a changed definition needs a new id`);
    }
  }

  private add(graph: WorkflowGraph, source: string): WorkflowInfo {
    const existing = this.entries.get(graph.id);
    if (existing?.graph.hash === graph.hash) return existing.info;
    this.refuseConflict(graph);
    registerWorkflow(this.engine, graph, {
      ...(this.components ? { components: this.components } : {}),
      ...(this.logger ? { logger: this.logger } : {}),
      workflows: (id) => this.entries.get(id)?.graph,
      baseDir: source.startsWith('<') ? process.cwd() : dirname(source),
    });
    const info = describe(graph, source);
    this.entries.set(graph.id, { graph, info });
    for (const l of this.listeners) l(graph);
    return info;
  }
}
