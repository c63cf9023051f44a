/**
 * Shared pieces of the parser fuzz tests (`*.fuzz.test.ts`): hostile JSON values, mutations of
 * valid texts, bytes and JSON documents, and the checks every parser must pass on any input.
 *
 * Runs are reproducible: the seed is fixed unless FUZZ_SEED is set, and FUZZ_SCALE multiplies
 * every numRuns, e.g. `FUZZ_SEED=$RANDOM FUZZ_SCALE=20 npx vitest run fuzz` for a longer hunt.
 */
import fc from 'fast-check';

const SEED = process.env.FUZZ_SEED === undefined ? 14 : Number(process.env.FUZZ_SEED);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

/** fc.assert with the suite's seed; `numRuns` is scaled by FUZZ_SCALE. */
export function fuzz<Ts>(property: fc.IProperty<Ts>, numRuns: number): void {
  fc.assert(property, { seed: SEED, numRuns: numRuns * SCALE });
}

/** The async form of fuzz; an input whose promise never settles fails after 10 s. */
export async function fuzzAsync<Ts>(property: fc.IAsyncProperty<Ts>, numRuns: number) {
  await fc.assert(property, { seed: SEED, numRuns: numRuns * SCALE, timeout: 10_000 });
}

/** Keys that change prototypes when a parser assigns them to a plain object. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** An object with `key` as an own property, as JSON.parse makes it (a literal would not). */
const withKey = (key: string, value: unknown): Record<string, unknown> =>
  JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`);

/** Nesting far deeper than any real file: `[[[...]]]` or `{"a":{"a":...}}`. */
const deeplyNested = fc
  .tuple(fc.integer({ min: 20, max: 2000 }), fc.boolean())
  .map(([depth, arrays]) =>
    JSON.parse(
      arrays
        ? '['.repeat(depth) + ']'.repeat(depth)
        : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    ),
  );

/** Values a hostile or damaged file puts where a valid one has something else. */
export const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    -0,
    0.5,
    1e-300,
    1e21,
    1e308,
    -1e308,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    1e9,
    '',
    ' ',
    '0',
    '1e9',
    'NaN',
    '__proto__',
    '[MASK]',
    '[X] [Y]',
    '\u0000',
    '\ud800',
    '\ufeff',
    '<script>',
    'a'.repeat(5000),
  ),
  fc.jsonValue({ maxDepth: 3 }),
  deeplyNested,
  fc
    .tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 2 }))
    .map(([k, v]) => withKey(k, v)),
);

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every value slot of a JSON document, breadth first, at most `max` of them. */
function slots(root: { doc: unknown }, max = 500): Slot[] {
  const out: Slot[] = [{ parent: root as Record<string, unknown>, key: 'doc' }];
  for (let i = 0; i < out.length && out.length < max; i++) {
    const { parent, key } = out[i];
    const v = (parent as Record<string | number, unknown>)[key];
    if (Array.isArray(v)) v.forEach((_, j) => out.push({ parent: v, key: j }));
    else if (v && typeof v === 'object')
      Object.keys(v).forEach((k) => out.push({ parent: v as Record<string, unknown>, key: k }));
  }
  return out.slice(0, max);
}

const jsonMutation = fc.tuple(
  fc.constantFrom('replace', 'delete', 'rename', 'wrap', 'duplicate'),
  fc.nat(),
  nastyJson,
  fc.constantFrom(...PROTO_KEYS, 'x', ''),
);

/** One to four structural edits of a JSON document (applied by applyJsonMutations). */
export const jsonMutations = fc.array(jsonMutation, { minLength: 1, maxLength: 4 });
export type JsonMutations = typeof jsonMutations extends fc.Arbitrary<infer T> ? T : never;

/**
 * A copy of `doc` with each edit applied: a value replaced by a hostile one, removed, wrapped
 * in an array, copied elsewhere, or its key renamed (to a prototype key).
 */
export function applyJsonMutations(doc: unknown, mutations: JsonMutations): unknown {
  const root = { doc: JSON.parse(JSON.stringify(doc) ?? 'null') as unknown };
  for (const [kind, at, value, newKey] of mutations) {
    const all = slots(root);
    const { parent, key } = all[at % all.length];
    const p = parent as Record<string | number, unknown>;
    const current = p[key];
    if (kind === 'replace') p[key] = value;
    else if (kind === 'wrap') p[key] = [current];
    else if (kind === 'duplicate') {
      const { parent: to, key: toKey } = all[(at * 7 + 3) % all.length];
      (to as Record<string | number, unknown>)[toKey] = JSON.parse(
        JSON.stringify(current) ?? 'null',
      );
    } else if (parent === root) p[key] = null;
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else if (kind === 'delete') delete p[key];
    else {
      delete p[key];
      Object.defineProperty(parent, newKey, {
        value: current,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return root.doc;
}

/** Valid documents with one to four structural edits (see applyJsonMutations). */
export function mutatedJson(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, jsonMutations).map(([doc, m]) => applyJsonMutations(doc, m));
}

/** Short strings of the kinds that break parsers: delimiters, quotes, escapes, BOMs, numbers. */
const nastyText = fc.oneof(
  fc.constantFrom(
    '"',
    "'",
    ',',
    '\t',
    '\n',
    '\r',
    '\r\n',
    '\\',
    '\\u',
    '{',
    '}',
    '[',
    ']',
    ':',
    '\ufeff',
    '\u0000',
    '\ud800',
    '1e999',
    '-1',
    '9007199254740993',
    '"__proto__":',
    '{"__proto__":{"polluted":1}}',
    '[MASK]',
    '[X]',
    '[Y]',
    '['.repeat(2000),
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const textMutation = fc.tuple(
  fc.constantFrom('flip', 'truncate', 'delete', 'insert', 'duplicate'),
  fc.nat(),
  fc.nat({ max: 64 }),
  nastyText,
);

/** One to four edits of a text (applied by applyTextMutations). */
export const textMutations = fc.array(textMutation, { minLength: 1, maxLength: 4 });
export type TextMutations = typeof textMutations extends fc.Arbitrary<infer T> ? T : never;

/** `text` with characters replaced, cut off, removed, inserted or repeated. */
export function applyTextMutations(text: string, mutations: TextMutations): string {
  let t = text;
  for (const [kind, at, length, insert] of mutations) {
    const i = at % (t.length + 1);
    if (kind === 'flip') t = t.slice(0, i) + insert.slice(0, 1) + t.slice(i + 1);
    else if (kind === 'truncate') t = t.slice(0, i);
    else if (kind === 'delete') t = t.slice(0, i) + t.slice(i + length);
    else if (kind === 'insert') t = t.slice(0, i) + insert + t.slice(i);
    else t = t.slice(0, i) + t.slice(i, i + length) + t.slice(i);
  }
  return t;
}

/** Valid texts with one to four edits (see applyTextMutations). */
export function mutatedText(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, textMutations).map(([text, m]) => applyTextMutations(text, m));
}

const byteMutation = fc.tuple(
  fc.constantFrom('flip', 'truncate', 'delete', 'insert', 'duplicate'),
  fc.nat(),
  fc.nat({ max: 64 }),
  fc.uint8Array({ minLength: 1, maxLength: 8 }),
);

/** Bytes with one to four edits: bytes replaced, cut off, removed, inserted, repeated. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(byteMutation, { minLength: 1, maxLength: 4 }))
    .map(([bytes, mutations]) => {
      let b = bytes;
      const join = (...parts: Uint8Array[]) => {
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      };
      for (const [kind, at, length, insert] of mutations) {
        const i = at % (b.length + 1);
        if (kind === 'flip' && i < b.length) {
          b = b.slice();
          b[i] ^= insert[0] || 1;
        } else if (kind === 'truncate') b = b.slice(0, i);
        else if (kind === 'delete') b = join(b.subarray(0, i), b.subarray(i + length));
        else if (kind === 'insert') b = join(b.subarray(0, i), insert, b.subarray(i));
        else b = join(b.subarray(0, i), b.subarray(i, i + length), b.subarray(i));
      }
      return b;
    });
}

/** The longest error message a user should be shown (the inputs here are small). */
const MAX_MESSAGE = 1000;

type ErrorClass = abstract new (...args: never[]) => Error;

/** Fails unless `e` is one of the project's `types`, with a name and a message to show. */
export function expectOwnError(e: unknown, types: ErrorClass[]): void {
  if (!types.some((t) => e instanceof t)) throw e;
  const { name, message } = e as Error;
  if (typeof message !== 'string' || message.trim() === '' || !name || name === 'Error')
    throw new Error(`an error without a name or a message: ${name}: ${JSON.stringify(message)}`);
  // A message quotes what it is about; a hostile file must not make it huge.
  if (message.length > MAX_MESSAGE)
    throw new Error(`a ${message.length}-character message: ${message.slice(0, 300)}...`);
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const snapshot = () =>
  PROTOTYPES.map(
    (p) =>
      new Map(
        Object.getOwnPropertyNames(p).map((n) => [n, Object.getOwnPropertyDescriptor(p, n)!.value]),
      ),
  );
const BASELINE = snapshot();

/** Fails if anything was added to, removed from or replaced on the built-in prototypes. */
export function expectNoPollution(): void {
  const changed = snapshot().flatMap((now, i) => {
    const before = BASELINE[i];
    const names = new Set([...now.keys(), ...before.keys()]);
    return [...names].filter((n) => now.get(n) !== before.get(n) || now.has(n) !== before.has(n));
  });
  if (changed.length || Object.getPrototypeOf({}) !== Object.prototype)
    throw new Error(`a built-in prototype was changed: ${changed.join(', ')}`);
}
