/**
 * @module host/definition-store
 * The legacy folder of definitions registered over the API (`<sqlite file>.workflows/`, one file
 * per id), from before every definition version was kept in the store. Read once at start: the
 * catalog moves each definition into the store and renames its file `*.yaml.migrated` (kept, not
 * read again), so that a later API registration is never overridden by a stale file.
 */
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const EXT = '.yaml';

/** Definitions persisted in one (legacy) folder. */
export class DefinitionStore {
  constructor(readonly dir: string) {}

  /** Every definition text not migrated yet, in file-name order (none when the folder does not exist). */
  load(): { file: string; text: string }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => n.endsWith(EXT))
      .sort()
      .map((n) => ({ file: join(this.dir, n), text: readFileSync(join(this.dir, n), 'utf8') }));
  }

  /** Marks `file` (one of {@link load}'s) as moved into the store: it is not read again. */
  markMigrated(file: string): void {
    renameSync(file, `${file}.migrated`);
  }
}
