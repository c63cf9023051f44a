/**
 * CSV exports of the analysis views (RFC 4180). Text cells may hold what a user typed (prompts,
 * fact ids, relation names): they are quoted when needed, and a leading =, +, -, @, tab or
 * carriage return is defused with an apostrophe, so a spreadsheet never evaluates one as a
 * formula. Numbers are written as numbers.
 */

export type CsvValue = string | number | boolean | null | undefined;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: the header, then one line per row, each ending with a newline. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
