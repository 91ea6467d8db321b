/**
 * @module cli/config/serve-config
 * `swirl.yaml`, the configuration file of `swirl serve` (specs/cli.md "swirl.yaml"): found with
 * `--config <file>` or as `swirl.yaml` in the working directory, parsed by the definition layer
 * (so problems have a line and column), checked against its JSON Schema with ajv (unknown keys with
 * a did-you-mean), and applied as option values: a flag given on the command line wins, the file
 * wins over the defaults. Relative paths in the file are relative to the file's folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Command } from 'commander';
import { didYouMean, parseDocument, parseDuration, type ParsedDocument } from '../../index.js';
import { CONFIG_KEYS, TRACING_KEYS, type ConfigKey } from './serve-config-keys.js';
import { serveConfigSchema } from './serve-config-schema.js';

/** The file name looked up in the working directory. */
export const CONFIG_FILE_NAME = 'swirl.yaml';

/** The largest configuration file read (a config file is a few hundred bytes). */
const MAX_CONFIG_BYTES = 256 * 1024;

/** The file's problems, each one line `file:line:col: error message`. */
export class ConfigFileError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigFileError';
  }
}

/** One value the file sets, and where it is written. */
interface SetValue {
  key: ConfigKey | { key: string; option: string; env: string; kind: 'text' };
  value: unknown;
  pointer: string;
}

/** A read and checked file. */
export interface ServeConfig {
  /** The file as the user names it (`swirl.yaml`, or the --config argument). */
  display: string;
  path: string;
  environment?: string;
  values: SetValue[];
}

let compiled: ValidateFunction | undefined;

/** The config file's validator, compiled when a config file is read: ajv is not loaded otherwise (issue 12). */
function configValidator(): ValidateFunction {
  if (!compiled) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    compiled = new Ajv({ allErrors: true, strict: true, verbose: true }).compile(serveConfigSchema());
  }
  return compiled;
}

/** The dotted name of a JSON pointer (`/limits/lease` → `limits.lease`). */
function dotted(pointer: string): string {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
}

/** One ajv error as a message, and the pointer (and key-or-value) it is about. */
function describe(e: ErrorObject): { pointer: string; preferKey: boolean; message: string } {
  const at = dotted(e.instancePath);
  const prefix = at === '' ? '' : `${at}: `;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
      const where = at === '' ? '' : ` in ${at}`;
      return { pointer: `${e.instancePath}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, preferKey: true, message: `unknown key '${name}'${where}${didYouMean(name, known)} (known: ${known.join(', ')})` };
    }
    case 'enum':
      return { pointer: e.instancePath, preferKey: false, message: `${prefix}must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).join(', ')}` };
    case 'pattern': {
      const what: Record<string, string> = {
        store: 'must be memory, sqlite:<path> or postgres://user@host:port/db',
        workerId: "must not contain ':'",
        'tracing.endpoint': 'must be an http:// or https:// URL',
      };
      const leaf = at.replace(/^environments\.[^.]+\./, '');
      return { pointer: e.instancePath, preferKey: false, message: `${prefix}${what[leaf] ?? e.message ?? 'is not valid'}` };
    }
    default:
      return { pointer: e.instancePath, preferKey: false, message: `${prefix}${e.message ?? 'is not valid'}` };
  }
}

function lineOf(doc: ParsedDocument, display: string, pointer: string, preferKey: boolean, message: string): string {
  const { line, column } = doc.source.locate(pointer, preferKey);
  return `${display}:${line}:${column}: error ${message}`;
}

/** The value at a dotted key inside `obj`, if set. */
function at(obj: unknown, key: string): unknown {
  let v = obj;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * Where the configuration comes from: `--config <file>` (must exist), else `swirl.yaml` in `cwd`
 * when there is one, else nowhere.
 */
export function findConfigFile(explicit: string | undefined, cwd: string): { path: string; display: string } | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigFileError([`${explicit}: error the configuration file does not exist (--config)`]);
    return { path, display: explicit };
  }
  const path = resolve(cwd, CONFIG_FILE_NAME);
  return existsSync(path) ? { path, display: CONFIG_FILE_NAME } : undefined;
}

/**
 * Reads and checks the file; `environmentFlag` (`--environment`) overrides the file's `environment:`.
 * @throws ConfigFileError with every problem found
 */
export function loadServeConfig(path: string, display: string, environmentFlag?: string): ServeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError([`${display}: error cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigFileError([`${display}:1:1: error the file is ${text.length} characters long; a configuration file may have at most ${MAX_CONFIG_BYTES}`]);
  const parsed = parseDocument(text, display);
  if (!parsed.ok) {
    const d = parsed.diagnostic;
    throw new ConfigFileError([`${display}:${d.line}:${d.column}: error ${d.message}`]);
  }
  const doc = parsed.document;
  // An empty file (or only comments) configures nothing.
  const value = doc.value ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigFileError([`${display}:1:1: error the file must be a mapping of keys (port: 3500, store: …), not ${Array.isArray(value) ? 'a list' : 'a single value'}`]);
  const validate = configValidator();
  if (!validate(value)) {
    // In the order of the file, as a compiler reports.
    const found = (validate.errors ?? []).map((e) => {
      const d = describe(e);
      const pos = doc.source.locate(d.pointer, d.preferKey);
      return { pos, line: `${display}:${pos.line}:${pos.column}: error ${d.message}` };
    });
    found.sort((x, y) => x.pos.line - y.pos.line || x.pos.column - y.pos.column);
    throw new ConfigFileError([...new Set(found.map((f) => f.line))]);
  }
  const root = value as { environment?: string; environments?: Record<string, unknown> };
  const environments = root.environments ?? {};
  const environment = environmentFlag ?? root.environment;
  if (environment !== undefined && !(environment in environments)) {
    const names = Object.keys(environments);
    const defined = names.length > 0 ? ` (it defines ${names.map((n) => `'${n}'`).join(', ')})` : ' (it has no environments: section)';
    const message = `${environmentFlag !== undefined ? '--environment' : 'environment'} '${environment}': no such environment${defined}${didYouMean(environment, names)}`;
    throw new ConfigFileError([environmentFlag !== undefined ? `${display}: error ${message}` : lineOf(doc, display, '/environment', false, message)]);
  }
  const layers: { obj: unknown; base: string }[] = [{ obj: root, base: '' }];
  if (environment !== undefined) layers.push({ obj: environments[environment], base: `/environments/${environment.replace(/~/g, '~0').replace(/\//g, '~1')}` });
  const values: SetValue[] = [];
  const problems: string[] = [];
  const keys: SetValue['key'][] = [...CONFIG_KEYS, ...Object.entries(TRACING_KEYS).map(([name, t]) => ({ key: `tracing.${name}`, option: t.option, env: t.env, kind: 'text' as const }))];
  for (const key of keys) {
    // The environment's value, when it sets one, replaces the top level's.
    let found: SetValue | undefined;
    for (const layer of layers) {
      const v = at(layer.obj, key.key);
      if (v !== undefined) found = { key, value: v, pointer: `${layer.base}/${key.key.replace(/\./g, '/')}` };
    }
    if (!found) continue;
    if ('duration' in key && key.duration === true) {
      const ms = parseDuration(String(found.value));
      if (ms === undefined || ms <= 0) problems.push(lineOf(doc, display, found.pointer, false, `${key.key}: must be an ISO-8601 duration such as PT30S or P1D, not '${String(found.value)}'`));
    }
    values.push(found);
  }
  if (problems.length > 0) throw new ConfigFileError(problems);
  return { display, path, ...(environment !== undefined ? { environment } : {}), values };
}

/** A value as the option takes it. */
function optionValue(kind: SetValue['key']['kind'], value: unknown, dir: string): unknown {
  switch (kind) {
    case 'text':
      return typeof value === 'boolean' ? value : String(value);
    case 'path':
      return resolve(dir, String(value));
    case 'store': {
      const s = String(value);
      if (!s.startsWith('sqlite:')) return s;
      const file = s.slice('sqlite:'.length);
      return file === ':memory:' || isAbsolute(file) ? s : `sqlite:${resolve(dir, file)}`;
    }
    case 'list':
      return [...(value as string[])];
  }
}

/**
 * Sets the file's values on `command` where the command line did not set the option; a
 * `tracing:` key serve has no option for goes to its environment variable unless that is set.
 */
export function applyServeConfig(command: Command, config: ServeConfig, env: NodeJS.ProcessEnv): void {
  const dir = dirname(config.path);
  const options = new Set(command.options.map((o) => o.attributeName()));
  for (const { key, value } of config.values) {
    if (!options.has(key.option)) {
      if ('env' in key && env[key.env] === undefined) env[key.env] = String(value);
      continue;
    }
    const source = command.getOptionValueSource(key.option);
    if (source === 'cli' || source === 'env') continue;
    command.setOptionValueWithSource(key.option, optionValue(key.kind, value, dir), 'config');
  }
}
