/** One CSV record (RFC 4180), or why it could not be read, with the line it starts on. */
export type CsvRow = { line: number; fields: string[] } | { line: number; error: string };

const NEWLINE = /\r\n|\n|\r/y;

/**
 * Reads CSV records lazily, so a caller that hits a limit can stop. Quoted fields may hold
 * delimiters, doubled quotes and line breaks; records end at LF, CRLF or CR; blank lines are
 * skipped. A malformed record is reported and reading resumes at the next line.
 */
export function* readCsv(
  text: string,
  delimiter: ',' | '\t',
  maxRecordChars: number,
): Generator<CsvRow> {
  const unquoted = new RegExp(`[^${delimiter === '\t' ? '\\t' : delimiter}\\r\\n]*`, 'y');
  let pos = 0;
  let line = 1;

  const newlineAt = (at: number): number => {
    NEWLINE.lastIndex = at;
    return NEWLINE.exec(text)?.[0].length ?? 0;
  };
  /** Skips the rest of a bad record's physical line. */
  const skipLine = () => {
    while (pos < text.length && newlineAt(pos) === 0) pos++;
    const nl = newlineAt(pos);
    if (nl > 0) line++;
    pos += nl;
  };

  while (pos < text.length) {
    const startLine = line;
    const startPos = pos;
    const blank = newlineAt(pos);
    if (blank > 0) {
      pos += blank;
      line++;
      continue;
    }
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let field: string;
      if (text[pos] === '"') {
        field = '';
        let i = pos + 1;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            yield {
              line: startLine,
              error: 'a quoted field starting on this line is never closed',
            };
            return;
          }
          field += text.slice(i, q);
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        line += (text.slice(pos, i).match(/\r\n|\n|\r/gu) ?? []).length;
        pos = i;
        if (pos < text.length && text[pos] !== delimiter && newlineAt(pos) === 0) {
          error =
            'text after a closing quote: a quoted field must end at a delimiter or the line end';
        }
      } else {
        unquoted.lastIndex = pos;
        field = unquoted.exec(text)![0];
        pos += field.length;
        if (field.includes('"')) {
          error =
            'quote inside an unquoted field: quote the whole field and double the quotes inside it';
        }
      }
      if (error) break;
      fields.push(field);
      if (text[pos] === delimiter) {
        pos++;
        continue;
      }
      break;
    }
    if (!error && pos - startPos > maxRecordChars) {
      error = `record is longer than ${maxRecordChars} characters`;
    }
    if (error) {
      yield { line: startLine, error };
      skipLine();
      continue;
    }
    const nl = newlineAt(pos);
    pos += nl;
    if (nl > 0) line++;
    yield { line: startLine, fields };
  }
}
