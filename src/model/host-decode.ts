/**
 * Scaled 16-bit block weights (bfloat16 checkpoints, float32 ones rounded to 16 bits) decoded to
 * float32 on the host just before a run, for runtimes that say so (`limits.decodesOnHost`:
 * onnxruntime-node). There a graph decodes such a weight with a Cast and a Mul by the scale, two
 * float32 copies of fresh memory at every run, and a bfloat16 map took 1.9x the time of decoding
 * on the host (measured 2026-12-02 with GPT-2 small's shapes, docs/benchmarks.md). The block
 * graphs then take those weights as plain float32, fed the same exact values from one buffer per
 * input name, reused by every layer: one layer's float32 weights exist at a time, as the fit
 * check counts them (src/attribution/fit.ts, `decodeBytes`). Unscaled float16 weights (a Cast
 * alone) stay decoded by the graphs: there host decoding was slower (36.0 s against 25.8 s). So
 * do the tables: a float32 copy of a whole table is more than the fit check allows.
 */
import type { Tensor } from 'onnxruntime-common';
import type { WeightStorage } from '../arch';
import { scaleName } from '../graph/storage';
import type { Runtime } from '../runtime/runtime';
import { decodeHalfInto } from '../weights/half';

/** The storage the graphs are built for: the scaled 16-bit block weights plain float32. */
export function hostDecodedStorage(
  storage: WeightStorage,
  blockInputs: readonly string[],
): WeightStorage {
  const decoded = new Set(blockInputs);
  return Object.fromEntries(
    Object.entries(storage).map(([name, s]) => [
      name,
      decoded.has(name) && s.dtype === 'float16' && s.scaled
        ? { dtype: 'float32', scaled: false }
        : s,
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
  /** A scaled 16-bit block weight's input name -> the input holding its scale. */
  private readonly sixteen = new Map<string, string>();
  private readonly pool = new Map<string, Buffer[]>();

  constructor(
    private readonly runtime: Runtime,
    storage: WeightStorage,
    blockInputs: readonly string[],
  ) {
    for (const name of blockInputs) {
      const s = storage[name];
      if (s?.dtype === 'float16' && s.scaled) this.sixteen.set(name, scaleName(name));
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
        const scale = await this.scaleOf(slot, this.sixteen.get(name)!);
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
