/**
 * @module host/definition-store
 * Definitions registered over the API, kept on disk next to the store (`<sqlite file>.workflows/`)
 * so that their instances still run after a restart. Each definition is one file, its text as
 * it was posted, written crash-safely: temp file, fsync, atomic rename, fsync of the folder — the
 * API answers 201 only after that returns.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const EXT = '.yaml';

/** The file of definition `id` (ids are encoded: any character is safe in a file name). */
function fileOf(dir: string, id: string): string {
  return join(dir, encodeURIComponent(id) + EXT);
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Definitions persisted in one folder. */
export class DefinitionStore {
  constructor(readonly dir: string) {}

  /** Writes (or replaces) the text of definition `id` durably. */
  save(id: string, text: string): void {
    mkdirSync(this.dir, { recursive: true });
    const target = fileOf(this.dir, id);
    const tmp = `${target}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    // The rename itself is durable only once the folder is synced.
    fsyncPath(this.dir, 'r');
  }

  /** Every persisted definition text, in file-name order (none when the folder does not exist). */
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
}
