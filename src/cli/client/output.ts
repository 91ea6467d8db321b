/**
 * @module cli/client/output
 * `-o table|json|yaml`: tables (and short confirmation lines) for people, JSON or YAML of the
 * server's answer for scripts. JSON is the API's own body, pretty-printed, so a script that reads
 * `-o json` reads what the HTTP API documents (specs/http-api.openapi.yaml).
 */
import { dump } from 'js-yaml';
import { ExitCode } from '../exit.js';
import { ClientError } from './client-error.js';

export const OutputFormat = { Table: 'table', Json: 'json', Yaml: 'yaml' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

/** The `-o` value, or a usage error naming the allowed ones. */
export function parseOutputFormat(value: string): OutputFormat {
  const known = Object.values(OutputFormat) as string[];
  if (!known.includes(value)) throw new ClientError(`-o must be one of ${known.join(', ')}, not '${value}'`, ExitCode.Usage);
  return value as OutputFormat;
}

/** JSON or YAML of `data` (a trailing newline included); `table` is the caller's to draw. */
export function renderData(format: Exclude<OutputFormat, 'table'>, data: unknown): string {
  switch (format) {
    case OutputFormat.Json:
      return JSON.stringify(data ?? null, null, 2) + '\n';
    case OutputFormat.Yaml:
      return dump(data ?? null);
  }
}

/** Prints `table()` in table form, else the data as JSON/YAML. */
export function print(format: OutputFormat, data: unknown, table: () => string): void {
  process.stdout.write(format === OutputFormat.Table ? table() : renderData(format, data));
}
