import type { FactCollector } from './collect';
import { readCsv } from './csv';
import type { ErrorList } from './limits';
import type { Field, FieldValues, RecordContext } from './records';
import { csvColumns, fieldsFromCsv, fieldsFromJson, recordToEntry } from './records';

/** Feeds one record to the collector; returns false when reading must stop. */
function take(
  values: FieldValues | string,
  line: number,
  ctx: RecordContext,
  facts: FactCollector,
  errors: ErrorList,
) {
  const entry = typeof values === 'string' ? values : recordToEntry(values, line, ctx);
  if (typeof entry === 'string') {
    errors.add(line, entry);
    return true;
  }
  return facts.add(entry, line);
}

/** mLAMA and PARAREL JSONL: one JSON object per line; blank lines are skipped. */
export function readJsonl(
  text: string,
  ctx: RecordContext,
  facts: FactCollector,
  errors: ErrorList,
): void {
  const lines = text.split(/\r\n|\n|\r/u);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = i + 1;
    if (raw.trim() === '') continue;
    if (raw.length > ctx.limits.maxLineChars) {
      errors.add(line, `line is longer than ${ctx.limits.maxLineChars} characters`);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      errors.add(line, `not valid JSON: ${(e as Error).message}`);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.add(line, 'line is not a JSON object');
      continue;
    }
    if (!take(fieldsFromJson(value as Record<string, unknown>), line, ctx, facts, errors)) return;
  }
}

/** CSV (or TSV) with a header row; rows are RFC 4180 records. */
export function readCsvFile(
  text: string,
  delimiter: ',' | '\t',
  ctx: RecordContext,
  facts: FactCollector,
  errors: ErrorList,
): void {
  let columns: Partial<Record<Field, number>> | undefined;
  let width = 0;
  for (const row of readCsv(text, delimiter, ctx.limits.maxLineChars)) {
    if ('error' in row) {
      errors.add(row.line, row.error);
      if (columns === undefined) return;
      continue;
    }
    if (columns === undefined) {
      const header = csvColumns(row.fields);
      if (typeof header === 'string') {
        errors.add(row.line, header);
        return;
      }
      columns = header;
      width = row.fields.length;
      continue;
    }
    if (row.fields.length !== width) {
      const hint = row.fields.length > width ? ' (quote fields that contain the delimiter)' : '';
      errors.add(
        row.line,
        `row has ${row.fields.length} fields but the header has ${width}${hint}`,
      );
      continue;
    }
    if (!take(fieldsFromCsv(row.fields, columns), row.line, ctx, facts, errors)) return;
  }
}
