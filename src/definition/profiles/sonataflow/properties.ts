/**
 * @module definition/profiles/sonataflow/properties
 * A SonataFlow project's `application.properties` (Java properties format, the subset Quarkus
 * projects use: `key=value`, `key: value`, `#`/`!` comments, `\` line continuations, `\uXXXX`) and
 * its resources folder (`src/main/resources`, what `classpath:` references resolve against).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** application.properties larger than this are refused (a project's is a few KiB). */
export const PROPERTIES_MAX_BYTES = 1024 * 1024;

/** Parsed properties, or why they could not be read. */
export type PropertiesResult = { ok: true; file?: string; values: Map<string, string> } | { ok: false; file: string; message: string };

/** Parses Java properties text. */
export function parseProperties(text: string): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // An odd number of trailing backslashes continues the logical line.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]?\s*(.*)$/.exec(line);
    if (!m) continue;
    values.set(unescape(m[1]), unescape(m[2]));
  }
  return values;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * The project's resources folder for a workflow in `dir`: the nearest ancestor that is
 * `…/src/main/resources`, else the nearest ancestor that contains `src/main/resources`. Bounded
 * by the file system root (at most 64 levels).
 */
export async function findResourcesRoot(dir: string): Promise<string | undefined> {
  let cur = resolve(dir);
  for (let depth = 0; depth < 64; depth++) {
    if (basename(cur) === 'resources' && basename(dirname(cur)) === 'main' && basename(dirname(dirname(cur))) === 'src') return cur;
    const inside = join(cur, 'src', 'main', 'resources');
    if (await isDir(inside)) return inside;
    const up = dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
  return undefined;
}

/**
 * The application.properties that configures a workflow in `dir`: the one next to the workflow,
 * else the resources folder's. No file: an empty set.
 */
export async function loadProperties(dir: string, resources: string | undefined): Promise<PropertiesResult> {
  const candidates = [join(dir, 'application.properties'), ...(resources ? [join(resources, 'application.properties')] : [])];
  for (const file of candidates) {
    const s = await stat(file).catch(() => undefined);
    if (!s?.isFile()) continue;
    if (s.size > PROPERTIES_MAX_BYTES) return { ok: false, file, message: `${file} is ${s.size} bytes; at most ${PROPERTIES_MAX_BYTES} are read` };
    try {
      return { ok: true, file, values: parseProperties(await readFile(file, 'utf8')) };
    } catch (err) {
      return { ok: false, file, message: `cannot read ${file}: ${(err as Error).message}` };
    }
  }
  return { ok: true, values: new Map() };
}

/** Property expressions nested deeper than this are left as written (a cycle, or a mistake). */
const EXPANSION_DEPTH = 8;

/**
 * A project's configuration as SonataFlow's MicroProfile Config reads it, for the keys Swirl uses:
 * an environment variable overrides the file (the name as is, then with every character other than
 * [A-Za-z0-9] as '_', then that upper-cased: QUARKUS_REST_CLIENT_STOCK_SVC_YAML_URL), and
 * `${name}` / `${name:default}` in a value is replaced by that property (environment, then file),
 * else the default. An expression that resolves to nothing is left as written, so the check that
 * reads the value reports it.
 */
export class ProjectProperties {
  constructor(
    private readonly file: ReadonlyMap<string, string>,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  get(key: string): string | undefined {
    return this.lookup(key, 0);
  }

  private lookup(key: string, depth: number): string | undefined {
    const mapped = key.replace(/[^A-Za-z0-9]/g, '_');
    const raw = this.env[key] ?? this.env[mapped] ?? this.env[mapped.toUpperCase()] ?? this.file.get(key);
    return raw === undefined ? undefined : this.expand(raw, depth);
  }

  private expand(value: string, depth: number): string {
    if (depth >= EXPANSION_DEPTH) return value;
    return value.replace(/\$\{([^${}:]+)(?::([^${}]*))?\}/g, (whole, name: string, fallback: string | undefined) => this.lookup(name.trim(), depth + 1) ?? fallback ?? whole);
  }
}

/** MicroProfile's configuration key of a file name or URI path: every character not [A-Za-z0-9] becomes '_'. */
export function configKey(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '_');
}
