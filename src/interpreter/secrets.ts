/**
 * @module interpreter/secrets
 * The in-process table of `$SECRETS` values of one registered workflow. Values are resolved outside
 * the orchestration (when the workflow is registered) so they never enter the instance history:
 * synchronous sources (a Record, process.env) at once, asynchronous ones (ComponentHost.getSecret, a
 * function) prefetched in the background; hosts `await secretsReady(engine)` before `engine.start()`.
 * The orchestration only records, through an activity, WHICH declared secrets are missing (names,
 * never values), so SECRET_NOT_FOUND stays a replayable decision.
 */
import type { ComponentHost } from '../components/types.js';
import { InfrastructureError } from '../errors.js';

/** Where `$SECRETS` values come from (InterpreterOptions.secrets). */
export type SecretSource = Record<string, string> | ((name: string) => Promise<string | undefined>);

/** The resolved values of the secrets a workflow declares, shared by its orchestration and activities. */
export class SecretTable {
  private values = new Map<string, string>();
  private pending: Promise<void> | undefined;
  private failure: unknown;
  private loaded = false;

  private constructor(
    private readonly names: readonly string[],
    private readonly fetch: ((name: string) => Promise<string | undefined>) | undefined,
  ) {}

  /**
   * A table for the declared `names`. Synchronous sources are read now; asynchronous ones start a
   * prefetch (see {@link SecretTable.ready}).
   */
  static create(names: readonly string[], source: SecretSource | undefined, components: ComponentHost | undefined): SecretTable {
    if (typeof source === 'function') return new SecretTable(names, source).start();
    if (source === undefined && components) {
      return new SecretTable(names, async (name) => (await components.getSecret(name)) ?? process.env[name]).start();
    }
    const table = new SecretTable(names, undefined);
    const record: Record<string, string | undefined> = source ?? process.env;
    for (const name of names) {
      const v = record[name];
      if (v !== undefined) table.values.set(name, v);
    }
    table.loaded = true;
    return table;
  }

  private start(): this {
    if (this.names.length === 0) {
      this.loaded = true;
      return this;
    }
    const fetch = this.fetch!;
    this.failure = undefined;
    this.pending = (async () => {
      const values = new Map<string, string>();
      for (const name of this.names) {
        const v = await fetch(name);
        if (v !== undefined) values.set(name, v);
      }
      this.values = values;
      this.loaded = true;
    })().catch((err: unknown) => {
      // Kept for ready(): a failed prefetch is retried by the next caller instead of being final.
      this.failure = err;
    });
    return this;
  }

  /** True once every declared secret was looked up in this process. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /**
   * Resolves when the values are loaded; a failed prefetch is started again (a secret store that
   * was briefly down), and its error is raised as InfrastructureError so the activity retries.
   */
  async ready(): Promise<void> {
    if (this.loaded) return;
    if (this.failure !== undefined) this.start();
    await this.pending;
    if (!this.loaded) {
      throw new InfrastructureError('SECRETS_UNAVAILABLE', `cannot read secrets: ${(this.failure as Error)?.message ?? String(this.failure)}`, { cause: this.failure });
    }
  }

  /** Like {@link SecretTable.ready} but never throws (for secretsReady: the activity reports the error). */
  settled(): Promise<void> {
    return this.ready().catch(() => undefined);
  }

  /** Declared secrets that no source provides (names only: this is what history records). */
  missing(): string[] {
    return this.names.filter((n) => !this.values.has(n));
  }

  /** The values as `$SECRETS` sees them. */
  record(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}
