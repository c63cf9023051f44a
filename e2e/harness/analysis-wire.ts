/**
 * JSON with typed arrays, for the analysis harness's fixture: the test process computes results
 * with the engine (typed arrays inside) and hands them to the page as text.
 */
const TYPED = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof TYPED;

export function toWire(value: unknown): string {
  return JSON.stringify(value, (_, v) => {
    for (const name of Object.keys(TYPED) as TypedName[])
      if (v instanceof TYPED[name])
        return { $typed: name, data: Array.from(v as ArrayLike<number>) };
    return v;
  });
}

export function fromWire<T>(text: string): T {
  return JSON.parse(text, (_, v) =>
    v && typeof v === 'object' && typeof v.$typed === 'string' && v.$typed in TYPED
      ? TYPED[v.$typed as TypedName].from(v.data as number[])
      : v,
  ) as T;
}
