/**
 * @module host/catalog
 * The workflow definitions a host serves: loaded from a folder at start or registered over the
 * API, validated (diagnostics as `swirl validate` prints them), compiled and registered on the
 * engine by id. The workflow name in the Dapr API is the definition id.
 *
 * Definition versions (DESIGN §6, specs/engine.md "Definition versions"): every definition is
 * kept in the store by hash (`putDefinition`) before it is registered — before the API answers.
 * Registering a changed definition under an id makes it the *current* version (new instances
 * start on it); the earlier versions stay registered for the instances that run them. At start
 * the host registers every stored version that unfinished instances run, then the folder's and
 * the API's current ones, and deletes stored versions nobody runs any more.
 */
import type { Profile } from '../definition/profiles/profile.js';
import { FolderProfiles, profileOf, type ProfileChoice } from '../definition/profiles/folder-profile.js';
import { dirname } from 'node:path';
import { readFile } from 'node:fs/promises';
import { DefinitionError } from '../errors.js';
import { formatDiagnostic } from '../definition/diagnostic.js';
import { validateFiles, validateText, type ValidationResult } from '../definition/validate.js';
import { compileWorkflow } from '../graph/compile.js';
import { loadWorkflow, loadWorkflowText } from '../graph/load.js';
import type { WorkflowGraph } from '../graph/types.js';
import { registerWorkflow, secretsReady } from '../interpreter/index.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../engine/logger.js';
import { RuntimeStatus, type Store } from '../store/index.js';
import type { ComponentHost } from '../components/index.js';
import { urlRefusal, type ReachPolicy } from '../definition/reach.js';
import type { DefinitionStore } from './definition-store.js';
import { DEFAULT_SECRET_ENV, hostSecretSource, type SecretEnvPolicy } from './secret-env.js';

/** A definition version as the store keeps it. */
type DefinitionRecord = NonNullable<Awaited<ReturnType<Store['getDefinition']>>>;

/** The source of definitions registered over HTTP. */
const API_SOURCE = '<api>';

/** Statuses of instances that may still replay their definition. */
const UNFINISHED = [RuntimeStatus.PENDING, RuntimeStatus.RUNNING, RuntimeStatus.SUSPENDED, RuntimeStatus.CONTINUED_AS_NEW];

/** An earlier version of a workflow, kept registered for the instances that run it. */
export interface WorkflowVersionInfo {
  hash: string;
  version?: string;
  /** The file it was loaded from, or `<api>`. */
  source: string;
}

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
  /**
   * Earlier versions of this id still registered here: run by unfinished instances at start, or
   * replaced since (oldest first). New instances always start on the current version above.
   */
  olderVersions?: WorkflowVersionInfo[];
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

/**
 * Runs one definition's load step; the diagnostics it returns, or the error it throws, refuse that
 * definition in `report` (named `label`) — never the whole start (a bad stored definition must
 * not keep the server from serving the rest).
 */
async function refusing(report: CatalogLoadReport, label: string, load: () => Promise<string[] | undefined>): Promise<void> {
  try {
    const refused = await load();
    if (refused) report.refused.push({ file: label, messages: refused });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    report.refused.push({ file: label, messages: [`${label}: error ${typeof code === 'string' ? code : 'INVALID_DEFINITION'} ${(err as Error).message}`] });
  }
}

/** The definitions of one host, registered on its engine. */
export class WorkflowCatalog {
  /** The current version of each id. */
  private readonly entries = new Map<string, Entry>();
  /** Earlier versions registered for their running instances: id → hash → version. */
  private readonly older = new Map<string, Map<string, WorkflowVersionInfo>>();
  private readonly listeners: ((graph: WorkflowGraph, replaced: WorkflowGraph | undefined) => void)[] = [];
  /** The store's definitions stamp when {@link refresh} last read the definitions. */
  private stamp: string | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly components: ComponentHost | undefined,
    private readonly logger: Logger | undefined,
    /**
     * The folder where API-registered definitions were kept before they moved into the store:
     * read once at start ({@link loadPersisted}), migrated, and renamed `*.yaml.migrated`.
     */
    private readonly legacy?: DefinitionStore,
    /**
     * What definitions registered over the API may reach (specs/security.md): files under a root,
     * URLs with an allowed prefix. @default nothing
     */
    private readonly apiReach: ReachPolicy = { urlPrefixes: [] },
    /** The environment variables `$SECRETS` may read (after the secret stores). @default `SWIRL_SECRET_*` */
    private readonly secretEnv: SecretEnvPolicy = DEFAULT_SECRET_ENV,
    /**
     * The profile every definition is validated and run under (`--profile` on the command line),
     * folder files unread (specs/sonataflow-profile.md). @default none: each folder's swirl.yaml
     */
    private readonly profile?: Profile,
    /** Without {@link profile}: the profile of API definitions and of files no folder file covers. @default 'standard' */
    private readonly defaultProfile?: Profile,
    /** The swirl.yaml configuring this server: not read as a folder file (its profile is {@link defaultProfile}). */
    private readonly configFile?: string,
  ) {}

  /** How the folder's definitions get their profile (a fresh lookup: folder files are read again on each load). */
  private profileChoice(): ProfileChoice & { folders: FolderProfiles } {
    return { ...(this.profile ? { profile: this.profile } : {}), ...(this.defaultProfile ? { defaultProfile: this.defaultProfile } : {}), folders: new FolderProfiles(undefined, this.configFile) };
  }

  /**
   * The reach policy of a definition from `source`: the API's for `<api>`; none for the folder's
   * files, which are the operator's own (they read what the operator put beside them).
   */
  private reachOf(source: string): { reach?: ReachPolicy; profile?: Profile } {
    // The host's profile travels with the reach policy: every validation site spreads both.
    const p = this.profile ?? this.defaultProfile;
    const profile = p ? { profile: p } : {};
    return source === API_SOURCE ? { reach: this.apiReach, ...profile } : profile;
  }

  private get store(): Store {
    return this.engine.store;
  }

  /**
   * Called for every definition that becomes current from now on (the scheduler and event router
   * listen); `replaced` is the version it supersedes under the same id.
   */
  onRegistered(fn: (graph: WorkflowGraph, replaced: WorkflowGraph | undefined) => void): void {
    this.listeners.push(fn);
  }

  /** Every registered definition (its current version, plus the older ones still registered), by id. */
  list(): WorkflowInfo[] {
    return [...this.entries.values()]
      .map((e) => {
        const older = [...(this.older.get(e.info.id)?.values() ?? [])];
        return older.length > 0 ? { ...e.info, olderVersions: older } : e.info;
      })
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The graph registered under `id` (its current version). */
  graph(id: string): WorkflowGraph | undefined {
    return this.entries.get(id)?.graph;
  }

  /** Every registered graph (current versions). */
  graphs(): WorkflowGraph[] {
    return [...this.entries.values()].map((e) => e.graph);
  }

  /** Ids known here (current or older versions): subflow references to them validate. */
  private knownIds(): Set<string> {
    return new Set([...this.entries.keys(), ...this.older.keys()]);
  }

  /**
   * Registers, for replay only, every stored definition version that unfinished instances run
   * (at start, before {@link loadFolder}): they keep replaying it whatever the folder or the API
   * now defines under the same id. A version that no longer compiles is refused with its
   * diagnostics; its instances wait (they never fail for it).
   */
  async loadInUse(): Promise<CatalogLoadReport> {
    const report: CatalogLoadReport = { loaded: [], refused: [], warnings: [] };
    const records = await this.store.listDefinitions();
    const ids = new Set([...this.knownIds(), ...records.map((r) => r.id)]);
    for (const record of records) {
      if (!(await this.inUse(record.hash))) continue;
      const file = record.source === API_SOURCE ? API_SOURCE : record.source;
      const label = `${record.id} (definition ${record.hash.slice(0, 12)}, from ${record.source})`;
      // One stored version that cannot be registered is refused and logged; the rest still load.
      await refusing(report, label, async () => {
        // A folder's file runs under its folder's profile, as when it was loaded.
        const choice = this.profileChoice();
        const chosen = record.source === API_SOURCE ? undefined : await profileOf(record.source, choice, choice.folders);
        if (chosen !== undefined && 'diagnostic' in chosen) return [formatDiagnostic(chosen.diagnostic)];
        const options = { workflowIds: ids, ...this.reachOf(record.source), ...(chosen ? { profile: chosen.profile } : {}) };
        const result = await validateText(record.text, file, options);
        if (!result.valid) return result.diagnostics.map(formatDiagnostic);
        let graph = await loadWorkflowText(record.text, file, options);
        if (graph.hash !== record.hash) {
          // The text compiles differently now (a file it references changed): its instances recorded
          // the stored hash, so register it under that one.
          report.warnings.push(`${record.source}: warning definition ${record.hash.slice(0, 12)} of '${record.id}' now compiles to ${graph.hash.slice(0, 12)} (a referenced file changed?); its running instances use the stored text`);
          graph = Object.freeze({ ...graph, hash: record.hash });
        }
        this.addOlder(graph, record.source);
        report.loaded.push(describe(graph, record.source));
        return undefined;
      });
    }
    if (report.loaded.length > 0) await secretsReady(this.engine);
    return report;
  }

  /**
   * Validates and registers every definition under `dir` as the current version of its id (each
   * kept in the store first). Invalid definitions are refused (with their diagnostics); the rest
   * load. A second file with an id already loaded from this folder is refused.
   */
  async loadFolder(dir: string): Promise<CatalogLoadReport> {
    const results = await validateFiles([dir], this.profileChoice());
    // Subflow targets may live in sibling files: validate once more knowing every id.
    const ids = new Set([...this.knownIds(), ...results.flatMap((r) => (r.workflow?.id !== undefined ? [r.workflow.id] : []))]);
    const report: CatalogLoadReport = { loaded: [], refused: [], warnings: [] };
    const fromFolder = new Map<string, string>();
    for (const r of results) {
      if (!r.valid) {
        report.refused.push({ file: r.file, messages: r.diagnostics.map(formatDiagnostic) });
        continue;
      }
      try {
        const graph = await loadWorkflow(r.file, { workflowIds: ids, ...(r.profileName ? { profile: r.profileName } : {}) });
        const first = fromFolder.get(graph.id);
        if (first !== undefined) throw new DefinitionError('WORKFLOW_REGISTERED', `workflow '${graph.id}' is already defined by ${first}`);
        fromFolder.set(graph.id, r.file);
        await this.keep(graph, await readFile(r.file, 'utf8'), r.file);
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
   * Registers the definitions registered over the API earlier (at start, after
   * {@link loadFolder}): for each id, its newest API version is current — unless the folder
   * serves that id, which wins (a warning says so when they differ). Definitions still in the
   * legacy folder (`<sqlite file>.workflows/`, from before they were kept in the store) are moved
   * into the store first, once.
   */
  async loadPersisted(): Promise<CatalogLoadReport> {
    const report: CatalogLoadReport = { loaded: [], refused: [], warnings: [] };
    await this.migrateLegacy(report);
    const newest = new Map<string, DefinitionRecord>();
    for (const r of await this.store.listDefinitions()) if (r.source === API_SOURCE) newest.set(r.id, r); // oldest first: the last one wins
    const ids = new Set([...this.knownIds(), ...(await this.store.listDefinitions()).map((r) => r.id)]);
    for (const record of newest.values()) {
      const existing = this.entries.get(record.id);
      if (existing && existing.graph.hash !== record.hash) {
        report.warnings.push(`${API_SOURCE}: warning workflow '${record.id}' registered over the API is not served: ${existing.info.source} defines the same id and wins`);
        continue;
      }
      // Validated as '<api>', like when it was posted, so relative references resolve the same way.
      // Not `unanchored`: a version stored before relative references were refused at registration
      // keeps loading (against the working directory) rather than stranding its instances.
      await refusing(report, `${record.id} (${API_SOURCE})`, async () => {
        const result = await validateText(record.text, API_SOURCE, { workflowIds: ids, ...this.reachOf(API_SOURCE) });
        if (!result.valid) return result.diagnostics.map(formatDiagnostic);
        const graph = await loadWorkflowText(record.text, API_SOURCE, { workflowIds: ids, ...this.reachOf(API_SOURCE) });
        report.loaded.push(this.add(graph, API_SOURCE));
        return undefined;
      });
    }
    if (report.loaded.length > 0) await secretsReady(this.engine);
    return report;
  }

  /**
   * Learns the definitions other nodes on the store registered over the API since the last call
   * (specs/multi-node.md "Definitions"): cheap when nothing changed (one read of the store's
   * definitions stamp). For each id, the newest API version becomes current here unless this
   * node's folder serves the id; every other unknown API version is registered for replay (its
   * running instances). A version that does not compile here is logged and skipped: this node
   * then lacks it and does not claim its instances. Returns the ids whose current version changed.
   */
  async refresh(): Promise<string[]> {
    const stamp = await this.store.definitionsStamp();
    if (stamp === this.stamp) return [];
    const records = (await this.store.listDefinitions()).filter((r) => r.source === API_SOURCE);
    const newest = new Map<string, DefinitionRecord>();
    for (const r of records) newest.set(r.id, r); // oldest first: the last one wins
    const ids = new Set([...this.knownIds(), ...records.map((r) => r.id)]);
    const changed: string[] = [];
    for (const record of records) {
      const existing = this.entries.get(record.id);
      if (existing?.graph.hash === record.hash || this.older.get(record.id)?.has(record.hash)) continue;
      const current = newest.get(record.id) === record && (existing === undefined || existing.info.source === API_SOURCE);
      const result = await validateText(record.text, API_SOURCE, { workflowIds: ids, ...this.reachOf(API_SOURCE) });
      if (!result.valid) {
        this.logger?.warn(`workflow '${record.id}' (definition ${record.hash.slice(0, 12)}) registered on another node does not load here: ${result.diagnostics.map(formatDiagnostic).join('; ')}`, { workflow: record.id });
        continue;
      }
      const graph = await loadWorkflowText(record.text, API_SOURCE, { workflowIds: ids, ...this.reachOf(API_SOURCE) });
      if (current) {
        this.add(graph, API_SOURCE);
        changed.push(graph.id);
      } else this.addOlder(graph, API_SOURCE);
    }
    if (changed.length > 0) {
      await secretsReady(this.engine);
      this.logger?.info(`learned ${changed.length} workflow definition(s) registered on another node: ${changed.join(', ')}`, { event: 'host.definitions-refreshed' });
    }
    // Set last: a failure above retries on the next call.
    this.stamp = stamp;
    return changed;
  }

  /**
   * Deletes the stored definition versions that are not current here, not the newest of their
   * id (what a node without a folder makes current at start), registered (or registered again)
   * more than `graceMs` before `now`, and that no unfinished instance runs. The store checks the
   * last two in the delete's transaction, so a version another node sharing the store has just
   * stored — and is about to start instances on — is kept. Returns the hashes deleted. The host
   * calls it at start, once every current version is registered.
   */
  async collectUnused(now: number, graceMs: number): Promise<string[]> {
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError(`unusedDefinitionGraceMs must be a non-negative number of milliseconds, got ${graceMs}`);
    const current = new Set([...this.entries.values()].map((e) => e.graph.hash));
    const stored = await this.store.listDefinitions(); // oldest first
    const newest = new Map<string, string>();
    for (const r of stored) newest.set(r.id, r.hash);
    const candidates = stored.filter((r) => !current.has(r.hash) && newest.get(r.id) !== r.hash).map((r) => r.hash);
    if (candidates.length === 0) return [];
    const deleted = await this.store.deleteUnusedDefinitions(candidates, now - graceMs);
    const gone = new Set(deleted);
    for (const versions of this.older.values()) for (const h of [...versions.keys()]) if (gone.has(h)) versions.delete(h);
    return deleted;
  }

  /**
   * Validates a definition given as text without registering it. Text from the API (`file`
   * `<api>`) has no folder: relative file references in it are refused (RELATIVE_REFERENCE).
   */
  validate(text: string, file = API_SOURCE): Promise<ValidationResult> {
    return validateText(text, file, { workflowIds: this.knownIds(), unanchored: file === API_SOURCE, ...this.reachOf(file) });
  }

  /**
   * Validates and registers a definition given as text. Returns the validation result and, when
   * it was valid, the registered workflow. A changed definition under a registered id becomes its
   * new current version; the instances already running keep the version they started on.
   */
  async register(text: string, file = API_SOURCE): Promise<{ result: ValidationResult; workflow?: WorkflowInfo }> {
    const result = await this.validate(text, file);
    if (!result.valid) return { result };
    // Compiled from the validated document: validating again would read (or fetch) its references twice.
    const graph = compileWorkflow(result.workflow!, result.profile);
    const existing = this.entries.get(graph.id);
    if (existing?.graph.hash === graph.hash) return { result, workflow: existing.info };
    // Durable before it is registered (and before the API answers): a crash after the answer
    // must not lose a version whose instances may already be running.
    await this.keepNewest(graph, text, file);
    return { result, workflow: this.add(graph, file) };
  }

  /**
   * Stores a version as the newest of its id (at start, the newest API version is current). A
   * version stored before (a rollback to an earlier text) gets its registration time moved
   * forward by putDefinition, so it stays current across restarts — whether or not instances run it.
   */
  private async keepNewest(graph: WorkflowGraph, text: string, source: string): Promise<void> {
    await this.keep(graph, text, source);
  }

  /** Whether an unfinished instance runs definition `hash`. */
  private async inUse(hash: string): Promise<boolean> {
    const page = await this.store.queryInstances({ definitionHash: hash, statuses: UNFINISHED, pageSize: 1 });
    return page.instances.length > 0;
  }

  /** Stores a definition version (idempotent by hash). */
  private async keep(graph: WorkflowGraph, text: string, source: string): Promise<void> {
    const record: DefinitionRecord = { hash: graph.hash, id: graph.id, text, source, registeredAt: Date.now() };
    if (graph.version !== undefined) record.version = graph.version;
    await this.store.putDefinition(record);
  }

  /** Moves the legacy folder's definitions into the store, renaming each file once it is stored. */
  private async migrateLegacy(report: CatalogLoadReport): Promise<void> {
    if (!this.legacy) return;
    const files = this.legacy.load();
    if (files.length === 0) return;
    // Validated as '<api>', like when they were posted; they may refer to each other.
    const checked = await Promise.all(files.map(async (f) => ({ ...f, first: await validateText(f.text, API_SOURCE, this.reachOf(API_SOURCE)) })));
    const ids = new Set([...this.knownIds(), ...checked.flatMap((c) => (c.first.workflow?.id !== undefined ? [c.first.workflow.id] : []))]);
    for (const { file, text } of checked) {
      await refusing(report, file, async () => {
        const result = await validateText(text, API_SOURCE, { workflowIds: ids, ...this.reachOf(API_SOURCE) });
        if (!result.valid) return result.diagnostics.map(formatDiagnostic);
        const graph = await loadWorkflowText(text, API_SOURCE, { workflowIds: ids, ...this.reachOf(API_SOURCE) });
        await this.keep(graph, text, API_SOURCE);
        this.legacy!.markMigrated(file);
        this.logger?.info(`moved workflow '${graph.id}' from ${file} into the store`, { workflow: graph.id, definitionHash: graph.hash });
        return undefined;
      });
    }
  }

  /** Registers an older version for replay only (its instances), not as the id's current one. */
  private addOlder(graph: WorkflowGraph, source: string): void {
    if (this.entries.get(graph.id)?.graph.hash === graph.hash) return;
    registerWorkflow(this.engine, graph, { ...this.registrationOptions(source), current: false });
    let versions = this.older.get(graph.id);
    if (!versions) this.older.set(graph.id, (versions = new Map()));
    const v: WorkflowVersionInfo = { hash: graph.hash, source };
    if (graph.version !== undefined) v.version = graph.version;
    versions.set(graph.hash, v);
  }

  /** Registers `graph` as the current version of its id; the version it replaces stays registered. */
  private add(graph: WorkflowGraph, source: string): WorkflowInfo {
    const existing = this.entries.get(graph.id);
    if (existing?.graph.hash === graph.hash) return existing.info;
    registerWorkflow(this.engine, graph, this.registrationOptions(source));
    const info = describe(graph, source);
    this.entries.set(graph.id, { graph, info });
    const versions = this.older.get(graph.id) ?? new Map<string, WorkflowVersionInfo>();
    versions.delete(graph.hash);
    if (existing) {
      const v: WorkflowVersionInfo = { hash: existing.graph.hash, source: existing.info.source };
      if (existing.graph.version !== undefined) v.version = existing.graph.version;
      versions.set(existing.graph.hash, v);
    }
    if (versions.size > 0) this.older.set(graph.id, versions);
    else this.older.delete(graph.id);
    for (const l of this.listeners) l(graph, existing?.graph);
    return info;
  }

  private registrationOptions(source: string) {
    return {
      ...(this.components ? { components: this.components } : {}),
      ...(this.logger ? { logger: this.logger } : {}),
      secrets: hostSecretSource(this.components, this.secretEnv),
      workflows: (id: string) => this.entries.get(id)?.graph,
      baseDir: source.startsWith('<') ? process.cwd() : dirname(source),
      ...(source === API_SOURCE ? { reach: (url: string) => urlRefusal(this.apiReach, url) } : {}),
    };
  }
}
