// BPE merge learning as Hugging Face's BpeTrainer does it (tokenizers/src/models/bpe/trainer.rs),
// which its WordPieceTrainer also uses with the "##" continuing-subword prefix. Differences, for
// determinism: ties between equally frequent pairs go to the lexicographically smallest
// (left, right) by code point (Rust compares vocabulary ids, whose order depends on hash-map
// iteration), and nothing here depends on Map/Set iteration order beyond insertion order.

export interface WordCount {
  /** The word's current symbols, e.g. ["p", "##a", "##r"] or ["Ġ", "P", "a"]. */
  symbols: string[];
  count: number;
}

export interface Merge {
  left: string;
  right: string;
  /** left + right, with right's continuing prefix removed. */
  token: string;
}

export interface LearnOptions {
  /** Stop once this many tokens not in `known` have been created. */
  maxNewTokens: number;
  /** Stop when the best pair occurs fewer times than this (at least 1). */
  minFrequency: number;
  /** "##" for WordPiece, "" for byte-level BPE. */
  continuingPrefix: string;
  /** Tokens already in the vocabulary (not modified). */
  known: ReadonlySet<string>;
  /** Symbols never merged with a neighbour, so they stay token boundaries. */
  frozen?: ReadonlySet<string>;
}

/** Code-point order (JavaScript's `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

/** Learns merges over `words` (their symbols are updated in place). */
export function learnMerges(words: WordCount[], options: LearnOptions): Merge[] {
  const known = new Set(options.known);
  const counts = new Map<string, number>();
  const where = new Map<string, Set<number>>();
  const heap = new PairHeap();

  const frozen = options.frozen ?? new Set<string>();
  const addPairs = (w: number, sign: 1 | -1, delta: Map<string, number>) => {
    const { symbols, count } = words[w];
    for (let i = 0; i + 1 < symbols.length; i++) {
      if (frozen.has(symbols[i]) || frozen.has(symbols[i + 1])) continue;
      const key = pairKey(symbols[i], symbols[i + 1]);
      counts.set(key, (counts.get(key) ?? 0) + sign * count);
      delta.set(key, (delta.get(key) ?? 0) + sign * count);
      if (sign > 0) {
        let set = where.get(key);
        if (!set) where.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  const pushGrown = (delta: Map<string, number>) => {
    for (const [key, d] of delta) {
      if (d > 0) heap.push({ key, ...splitKey(key), count: counts.get(key)! });
    }
  };

  const initial = new Map<string, number>();
  words.forEach((_, w) => addPairs(w, 1, initial));
  pushGrown(initial);

  const merges: Merge[] = [];
  // A merged pair can reappear when another merge re-creates one of its symbols; it is applied
  // again but listed once (loaders keep one rank per pair).
  const listed = new Set<string>();
  let created = 0;
  const minCount = Math.max(1, options.minFrequency);
  while (created < options.maxNewTokens) {
    const top = heap.pop();
    if (!top) break;
    const current = counts.get(top.key)!;
    if (top.count !== current) {
      // Counts of existing pairs only fall; re-queue with the true count.
      if (current > 0) heap.push({ ...top, count: current });
      continue;
    }
    if (current < minCount) break;

    const right = top.right.startsWith(options.continuingPrefix)
      ? top.right.slice(options.continuingPrefix.length)
      : top.right;
    const token = top.left + right;
    if (!known.has(token)) {
      known.add(token);
      created++;
    }
    if (!listed.has(top.key)) {
      listed.add(top.key);
      merges.push({ left: top.left, right: top.right, token });
    }

    const delta = new Map<string, number>();
    for (const w of [...where.get(top.key)!]) {
      const merged = mergeSymbols(words[w].symbols, top.left, top.right, token);
      if (!merged) continue;
      addPairs(w, -1, delta);
      words[w].symbols = merged;
      addPairs(w, 1, delta);
    }
    pushGrown(delta);
  }
  return merges;
}

/** Replaces non-overlapping (left, right) occurrences, leftmost first; null when there are none. */
function mergeSymbols(
  symbols: string[],
  left: string,
  right: string,
  token: string,
): string[] | null {
  const out: string[] = [];
  let changed = false;
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(token);
      i++;
      changed = true;
    } else {
      out.push(symbols[i]);
    }
  }
  return changed ? out : null;
}

/**
 * Applies ranked merges to one word's symbols the way the BPE model encodes: repeatedly the
 * lowest-ranked adjacent pair, leftmost first.
 */
export function applyMerges(symbols: readonly string[], merges: readonly Merge[]): string[] {
  const rank = new Map(merges.map((m, i) => [pairKey(m.left, m.right), i]));
  let word = [...symbols];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = rank.get(pairKey(word[i], word[i + 1]));
      if (r !== undefined && r < bestRank) {
        best = i;
        bestRank = r;
      }
    }
    if (best < 0) return word;
    const m = merges[bestRank];
    word = [...word.slice(0, best), m.token, ...word.slice(best + 2)];
  }
}

// Symbols never contain U+0000: BertNormalizer's clean_text drops it and the byte-level
// alphabet maps byte 0 to U+0100.
const SEP = '\u0000';
const pairKey = (left: string, right: string) => left + SEP + right;
function splitKey(key: string): { left: string; right: string } {
  const i = key.indexOf(SEP);
  return { left: key.slice(0, i), right: key.slice(i + 1) };
}

interface PairEntry {
  key: string;
  left: string;
  right: string;
  count: number;
}

/** Max-heap on count; ties to the smaller (left, right) in code-point order. */
class PairHeap {
  private readonly items: PairEntry[] = [];

  push(entry: PairEntry) {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): PairEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l], items[m])) m = l;
        if (r < items.length && before(items[r], items[m])) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: PairEntry, b: PairEntry): boolean {
  if (a.count !== b.count) return a.count > b.count;
  const c = compareCodePoints(a.left, b.left);
  return c !== 0 ? c < 0 : compareCodePoints(a.right, b.right) < 0;
}
