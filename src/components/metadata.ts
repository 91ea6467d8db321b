/**
 * @module components/metadata
 * Typed access to a component's resolved `spec.metadata`. Names match case-insensitively, as Dapr's
 * metadata decoding does, and each field may have aliases (Dapr renamed several: `url` →
 * `connectionString`, `host` → `connectionString`). Every error names the file, line and field.
 */
import { ComponentErrorCode, componentError } from './failures.js';
import type { ComponentManifest } from './manifest.js';

/** Resolved metadata of one component (secretKeyRefs already replaced by their values). */
export class ComponentMetadata {
  private readonly values = new Map<string, string>();

  constructor(
    readonly manifest: ComponentManifest,
    resolved: ReadonlyMap<string, string>,
  ) {
    for (const [k, v] of resolved) this.values.set(k.toLowerCase(), v);
  }

  /** Every entry, original names → values (for name-resolution maps and pass-through headers). */
  entries(): Array<[string, string]> {
    return this.manifest.metadata.map((e) => [e.name, this.values.get(e.name.toLowerCase()) ?? '']);
  }

  /** The first non-empty value among `name` and its aliases. */
  string(name: string, ...aliases: string[]): string | undefined {
    for (const n of [name, ...aliases]) {
      const v = this.values.get(n.toLowerCase());
      if (v !== undefined && v !== '') return v;
    }
    return undefined;
  }

  /** Like {@link string}, but a missing value is a COMPONENT_MISSING_METADATA error. */
  required(name: string, ...aliases: string[]): string {
    const v = this.string(name, ...aliases);
    if (v === undefined) {
      const alt = aliases.length ? ` (or ${aliases.map((a) => `'${a}'`).join(', ')})` : '';
      throw this.error(name, `missing required metadata '${name}'${alt} for ${this.manifest.type}`, ComponentErrorCode.MissingMetadata);
    }
    return v;
  }

  /** `"true"`/`"false"` (any case, also 1/0/yes/no); default when absent. */
  bool(name: string, fallback: boolean): boolean {
    const v = this.string(name);
    if (v === undefined) return fallback;
    const s = v.toLowerCase();
    if (['true', '1', 'yes', 'y', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'n', 'off'].includes(s)) return false;
    throw this.error(name, `expected true or false, found '${v}'`);
  }

  /** An integer; default when absent. */
  int(name: string, fallback: number): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n)) throw this.error(name, `expected an integer, found '${v}'`);
    return n;
  }

  /** A Go-style duration (`500ms`, `15s`, `1m30s`, `2h`) or plain seconds; milliseconds, default when absent. */
  durationMs(name: string, fallbackMs: number): number {
    const v = this.string(name);
    if (v === undefined) return fallbackMs;
    const ms = parseGoDuration(v);
    if (ms === undefined) throw this.error(name, `expected a duration like '15s' or '500ms', found '${v}'`);
    return ms;
  }

  /** A COMPONENT_* error pointing at this field. */
  error(field: string, message: string, code: string = ComponentErrorCode.BadMetadata, cause?: unknown): Error {
    const entry = this.manifest.metadata.find((e) => e.name.toLowerCase() === field.toLowerCase());
    return componentError(
      { code, file: this.manifest.file, line: entry?.line ?? this.manifest.line, field: `spec.metadata.${field}`, message: `component '${this.manifest.name}': ${message}` },
      cause,
    );
  }
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses Go's time.ParseDuration syntax (and a bare number = seconds, as several Dapr fields allow). */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}
