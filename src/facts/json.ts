/**
 * A JSON parser that remembers where each object and array starts, so problems inside a valid
 * document can be reported by line (JSON.parse gives values without positions). It also
 * bounds nesting, and stores "__proto__" keys as plain properties.
 */

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface PositionedJson {
  value: unknown;
  /** Offset of the opening brace or bracket of every object and array in `value`. */
  offsets: WeakMap<object, number>;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class Parser {
  pos = 0;
  readonly offsets = new WeakMap<object, number>();

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parse(): unknown {
    this.ws();
    const value = this.value(0);
    this.ws();
    if (this.pos < this.text.length)
      this.fail('unexpected text after the end of the JSON document');
    return value;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  private ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  private value(depth: number): unknown {
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    this.fail(
      c === undefined ? 'unexpected end of the file' : `unexpected character ${JSON.stringify(c)}`,
    );
  }

  private enter(depth: number, node: object): void {
    if (depth >= this.maxDepth) this.fail(`nested more than ${this.maxDepth} levels deep`);
    this.offsets.set(node, this.pos);
    this.pos++;
    this.ws();
  }

  private object(depth: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.enter(depth, obj);
    if (this.text[this.pos] === '}') {
      this.pos++;
      return obj;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail('expected a property name in double quotes');
      const key = this.string();
      this.ws();
      if (this.text[this.pos] !== ':') this.fail("expected ':' after a property name");
      this.pos++;
      this.ws();
      const value = this.value(depth + 1);
      Object.defineProperty(obj, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.ws();
      const c = this.text[this.pos];
      if (c !== ',' && c !== '}') this.fail("expected ',' or '}' after a property");
      this.pos++;
      if (c === '}') return obj;
      this.ws();
    }
  }

  private array(depth: number): unknown[] {
    const arr: unknown[] = [];
    this.enter(depth, arr);
    if (this.text[this.pos] === ']') {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos];
      if (c !== ',' && c !== ']') this.fail("expected ',' or ']' after an array element");
      this.pos++;
      if (c === ']') return arr;
      this.ws();
    }
  }

  private string(): string {
    this.pos++;
    let out = '';
    for (;;) {
      PLAIN_RUN.lastIndex = this.pos;
      const run = PLAIN_RUN.exec(this.text)![0];
      out += run;
      this.pos += run.length;
      const c = this.text[this.pos];
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === undefined) this.fail('unterminated string');
      if (c !== '\\') this.fail('control character inside a string (write it as an escape)');
      const e = this.text[this.pos + 1];
      if (e === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/u.test(hex)) this.fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e];
        this.pos += 2;
      } else {
        this.fail('bad escape in a string');
      }
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail('bad number');
    this.pos += m[0].length;
    return Number(m[0]);
  }
}

/** Parses a JSON document; throws JsonSyntaxError with the offset of the problem. */
export function parseJsonWithOffsets(text: string, maxDepth: number): PositionedJson {
  const parser = new Parser(text, maxDepth);
  return { value: parser.parse(), offsets: parser.offsets };
}

/** Maps an offset in `text` to its 1-based line (LF, CRLF or lone CR end a line). */
export function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) starts.push(i + 1);
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
