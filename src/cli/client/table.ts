/**
 * @module cli/client/table
 * Aligned plain-text tables as kubectl prints them: upper-case headers, columns padded to their
 * widest cell and separated by three spaces, no borders, the last column unpadded (no trailing
 * blanks). Absent values print as `-` so columns never shift.
 */

/** A column: its header and how to read a row's cell. */
export interface Column<T> {
  header: string;
  cell: (row: T) => string | undefined;
}

const GAP = '   ';

/** Renders `rows` under `columns`; ends with a newline. An empty list is the header alone. */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((r) => columns.map((c) => clean(c.cell(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** Renders `KEY: value` lines for one record (a `describe`-like view), keys aligned. */
export function renderFields(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = fields.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length + 1));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join('\n') + '\n';
}

/** One line per cell: a newline or tab inside a value would break the alignment. */
function clean(value: string | undefined): string {
  if (value === undefined || value === '') return '-';
  return value.replace(/[\r\n\t]+/g, ' ');
}
