// Pegasus's table printer (src/utils/output_utils.cpp, pegasus-spec §5.3), as pure functions from
// rows to output lines.
// - Multi-column tables: each cell is padded to (widest cell of its column + 2), left-aligned
//   unless the column says right.
// - Key/value tables: the key is padded to (longest key + 2), then ": " + value.
// - Several tables in one output: an empty line after each.
// One deliberate difference: Pegasus pads the last cell of a row too, leaving trailing blanks that
// nobody can see; we cut them so a line reads exactly `zookeeper_root                : /pegasus/...`.

export type Align = 'left' | 'right';
export type Cell = string | number | boolean;

export type ColumnsTable = { kind: 'columns'; name?: string; columns: { title: string; align?: Align }[]; rows: Cell[][] };
export type KeyValueTable = { kind: 'key_value'; name?: string; rows: [string, Cell][] };
export type Table = ColumnsTable | KeyValueTable;

/** How Pegasus's table printer turns a value into text: bools as words, doubles with 2 decimals. */
export function cellText(value: Cell): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.abs(value) < 1e-6 ? '0.00' : value.toFixed(2);
  return String(value);
}

function _pad(text: string, width: number, align: Align): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

export function renderColumns(table: ColumnsTable): string[] {
  const header = table.columns.map((c) => c.title);
  const body = table.rows.map((row) => row.map(cellText));
  const widths = header.map((title, col) => Math.max(title.length, ...body.map((row) => (row[col] ?? '').length)) + 2);
  const lines = table.name ? [`[${table.name}]`] : [];
  for (const row of [header, ...body]) {
    const cells = row.map((text, col) => _pad(text, widths[col], table.columns[col]?.align ?? 'left'));
    lines.push(cells.join('').trimEnd());
  }
  return lines;
}

export function renderKeyValues(table: KeyValueTable): string[] {
  const keyWidth = Math.max(0, ...table.rows.map(([key]) => key.length)) + 2;
  const lines = table.name ? [`[${table.name}]`] : [];
  for (const [key, value] of table.rows) lines.push(`${key.padEnd(keyWidth)}: ${cellText(value)}`.trimEnd());
  return lines;
}

export function renderTable(table: Table): string[] {
  return table.kind === 'columns' ? renderColumns(table) : renderKeyValues(table);
}

/** Pegasus's multi_table_printer: every table followed by an empty line. */
export function renderTables(tables: Table[]): string[] {
  return tables.flatMap((table) => [...renderTable(table), '']);
}
