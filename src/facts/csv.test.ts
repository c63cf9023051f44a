import { describe, expect, it } from 'vitest';
import { readCsv } from './csv';

const rows = (text: string, delimiter: ',' | '\t' = ',', max = 1000) => [
  ...readCsv(text, delimiter, max),
];

describe('readCsv', () => {
  it('reads plain and quoted fields with the line each record starts on', () => {
    expect(rows('a,b,c\n1,"x, y","say ""hi"""\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
    ]);
  });

  it('handles CRLF, lone CR, blank lines, empty fields and a missing final newline', () => {
    expect(rows('a,b\r\n\r\n1,\r2,3')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', ''] },
      { line: 4, fields: ['2', '3'] },
    ]);
  });

  it('keeps line breaks inside quotes and counts them', () => {
    expect(rows('a,b\n"two\r\nlines",x\nnext,y')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['two\r\nlines', 'x'] },
      { line: 4, fields: ['next', 'y'] },
    ]);
  });

  it('reads tab-separated text', () => {
    expect(rows('a\tb\n"x\ty"\t法国', '\t')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x\ty', '法国'] },
    ]);
  });

  it('reports a quote inside an unquoted field and resumes on the next line', () => {
    expect(rows('a,b\n1,x"y"\n2,z')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: expect.stringMatching(/quote inside an unquoted field/) },
      { line: 3, fields: ['2', 'z'] },
    ]);
  });

  it('reports text after a closing quote', () => {
    expect(rows('"a"b,c\nd,e')).toEqual([
      { line: 1, error: expect.stringMatching(/text after a closing quote/) },
      { line: 2, fields: ['d', 'e'] },
    ]);
  });

  it('stops at a quoted field that is never closed', () => {
    expect(rows('a,b\n1,2\n3,"open\nmore')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 3, error: expect.stringMatching(/never closed/) },
    ]);
  });

  it('rejects over-long records', () => {
    expect(rows(`a\n${'x'.repeat(20)}\nb`, ',', 10)).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, error: 'record is longer than 10 characters' },
      { line: 3, fields: ['b'] },
    ]);
  });
});
