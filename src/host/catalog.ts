/**
 * @module host/catalog
 * The workflow definitions a host serves: loaded from a folder at start or registered over the
 * API, validated (diagnostics as `swirl validate` prints them), compiled and registered on the
 * engine by id. The workflow name in the Dapr API is the definition id.
 */
import { dirname } from 'node:path';
import {
  DefinitionError,
  formatDiagnostic,
  loadWorkflow,
  loadWorkflowText,
  registerWorkflow,
  validateFiles,
  validateText,
  type Engine,
  type Logger,
  type ValidationResult,
  type WorkflowGraph,
} from '../index.js';
import type { ComponentHost } from '../components/index.js';

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
    return { result, workflow: this.add(graph, file) };
  }

  private add(graph: WorkflowGraph, source: string): WorkflowInfo {
    const existing = this.entries.get(graph.id);
    if (existing) {
      if (existing.graph.hash === graph.hash) return existing.info;
      throw new DefinitionError('WORKFLOW_REGISTERED', `workflow '${graph.id}' is already registered from ${existing.info.source}; a changed definition needs a new version or a restart`);
    }
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
