/**
 * 16-bit block weights decoded to float32 on the host just before a run, for runtimes that say
 * so (`limits.decodesOnHost`: onnxruntime-node). There the graphs' own decoding (Cast to
 * float32, Mul by the scale: src/graph/storage.ts) allocates fresh memory for every weight at
 * every run, and filling it cost more than the block's arithmetic (measured 2026-12-02 with
 * GPT-2 small's shapes, docs/benchmarks.md). The block graphs then take plain float32 weights,
 * fed the same exact values from one buffer per input name, reused by every layer: one layer's
 * float32 weights exist at a time, as the fit check counts them (src/attribution/fit.ts,
 * `decodeBytes`). The global weights (the tables) stay decoded by the graphs, a row block at a
 * time: a float32 copy of a whole table is more than that check allows.
 */
import type { Tensor } from 'onnxruntime-common';
import type { WeightStorage } from '../arch';
import { scaleName } from '../graph/storage';
import type { Runtime } from '../runtime/runtime';
import { decodeHalfInto } from '../weights/half';

/** The storage the graphs are built for: the block weights `blockInputs` plain float32. */
export function hostDecodedStorage(
  storage: WeightStorage,
  blockInputs: readonly string[],
): WeightStorage {
  const decoded = new Set(blockInputs);
  return Object.fromEntries(
    Object.entries(storage).map(([name, s]) => [
      name,
      decoded.has(name) ? { dtype: 'float32', scaled: false } : s,
    ]),
  );
}

interface Buffer {
  data: Float32Array;
  tensor: Tensor;
  /** The 16-bit tensor (and scale) whose values `data` holds. */
  from?: Tensor;
  scale?: number;
  busy: boolean;
}

/** Weight feeds for one run; `release` once the run is over (its buffers may then be reused). */
export interface DecodedFeeds {
  feeds: Record<string, Tensor>;
  release(): void;
}

export class HostDecoder {
  /** A 16-bit block weight's input name -> the input holding its scale, if scaled. */
  private readonly sixteen = new Map<string, string | undefined>();
  private readonly pool = new Map<string, Buffer[]>();

  constructor(
    private readonly runtime: Runtime,
    storage: WeightStorage,
    blockInputs: readonly string[],
  ) {
    for (const name of blockInputs) {
      const s = storage[name];
      if (s?.dtype === 'float16') this.sixteen.set(name, s.scaled ? scaleName(name) : undefined);
    }
  }

  /**
   * The tensors of `slot` (a layer's weights, or the global ones) that the graph inputs `names`
   * read (those not already in `given`), 16-bit block weights decoded.
   */
  async feeds(
    names: readonly string[],
    slot: Record<string, Tensor>,
    given: Record<string, Tensor>,
  ): Promise<DecodedFeeds> {
    const feeds: Record<string, Tensor> = {};
    const leased: Buffer[] = [];
    const release = () => leased.forEach((b) => (b.busy = false));
    try {
      for (const name of names) {
        if (given[name]) continue;
        const t = slot[name];
        if (!t) throw new Error(`graph input ${name} has no tensor`);
        if (!this.sixteen.has(name) || t.type !== 'float16') {
          feeds[name] = t;
          continue;
        }
        const scaleInput = this.sixteen.get(name);
        const scale = scaleInput ? await this.scaleOf(slot, scaleInput) : 1;
        const b = await this.lease(name, t, scale);
        leased.push(b);
        feeds[name] = b.tensor;
      }
    } catch (e) {
      release();
      throw e;
    }
    return { feeds, release };
  }

  /** Frees every decoded tensor. */
  release(): void {
    for (const buffers of this.pool.values())
      for (const b of buffers) this.runtime.dispose(b.tensor);
    this.pool.clear();
  }

  private async scaleOf(slot: Record<string, Tensor>, input: string): Promise<number> {
    const t = slot[input];
    if (!t) throw new Error(`graph input ${input} has no tensor`);
    return (await this.runtime.read(t))[0] as number;
  }

  /** A free buffer of input `name` holding `t`'s values, decoding them unless it has them. */
  private async lease(name: string, t: Tensor, scale: number): Promise<Buffer> {
    const bits = (await this.runtime.read(t)) as Uint16Array;
    let buffers = this.pool.get(name);
    if (!buffers) this.pool.set(name, (buffers = []));
    const free = buffers.filter((b) => !b.busy && b.data.length === bits.length);
    let b = free.find((f) => f.from === t && f.scale === scale) ?? free[0];
    if (!b) {
      const data = new Float32Array(bits.length);
      b = { data, tensor: this.runtime.tensor(data, t.dims), busy: false };
      buffers.push(b);
    }
    b.busy = true;
    if (b.from !== t || b.scale !== scale) {
      decodeHalfInto({ bits, scale }, b.data);
      b.from = t;
      b.scale = scale;
    }
    return b;
  }
}
