import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, lineLocator, parseJsonWithOffsets } from './json';

const parse = (text: string, depth = 32) => parseJsonWithOffsets(text, depth).value;

describe('parseJsonWithOffsets', () => {
  it.each([
    '{"a":[1,-2.5e3,true,false,null,"x"],"b":{}}',
    '[]',
    '"\\u6cd5\\u56fd \\n\\t\\"\\\\\\/"',
    '  {"k" : [ {"n": 0.5} , [] ] }  ',
    '"😀 法国"',
    '"\\ud83d\\ude00"',
  ])('agrees with JSON.parse on %s', (text) => {
    expect(parse(text)).toEqual(JSON.parse(text));
  });

  it('records where each object and array starts', () => {
    const text = '{\n  "facts": [\n    {"id": "a"},\n    {"id": "b"}\n  ]\n}';
    const { value, offsets } = parseJsonWithOffsets(text, 32);
    const facts = (value as { facts: object[] }).facts;
    const lineOf = lineLocator(text);
    expect(lineOf(offsets.get(value as object)!)).toBe(1);
    expect(lineOf(offsets.get(facts)!)).toBe(2);
    expect(facts.map((f) => lineOf(offsets.get(f)!))).toEqual([3, 4]);
  });

  it('keeps "__proto__" as a plain property', () => {
    const value = parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.__proto__).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{"a": 1,}', 8, /property name/],
    ['[1 2]', 3, /expected ',' or '\]'/],
    ['{"a" 1}', 5, /expected ':'/],
    ['"abc', 4, /unterminated string/],
    ['"a\nb"', 2, /control character/],
    ['"\\x"', 1, /bad escape/],
    ['"\\u12G4"', 1, /bad \\u escape/],
    ['{} {}', 3, /after the end/],
    ['', 0, /end of the file/],
    ['[01]', 2, /expected ','/],
    ['tru', 0, /unexpected character "t"/],
  ])('reports %j at its offset', (text, offset, message) => {
    try {
      parse(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(JsonSyntaxError);
      expect((e as JsonSyntaxError).offset).toBe(offset);
      expect((e as Error).message).toMatch(message);
    }
  });

  it('bounds nesting', () => {
    expect(parse('[[[1]]]', 3)).toEqual([[[1]]]);
    expect(() => parse('[[[[1]]]]', 3)).toThrow(/nested more than 3 levels/);
  });
});

describe('lineLocator', () => {
  it('counts LF, CRLF and lone CR line ends', () => {
    const text = 'a\nb\r\nc\rd';
    const lineOf = lineLocator(text);
    expect(['a', 'b', 'c', 'd'].map((ch) => lineOf(text.indexOf(ch)))).toEqual([1, 2, 3, 4]);
    expect(lineOf(text.indexOf('\r\n') + 1)).toBe(2);
  });
});
