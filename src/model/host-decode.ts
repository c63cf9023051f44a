/**
 * 16-bit weights decoded to float32 on the host just before a run, for runtimes that say so
 * (`limits.decodesOnHost`: onnxruntime-node). There the graphs' own decoding (Cast to float32,
 * Mul by the scale: src/graph/storage.ts) allocates fresh memory for every weight at every run,
 * and filling it cost 7x to 25x the weight's matrix product (measured 2026-12-02 with GPT-2
 * small's shapes, docs/benchmarks.md). The graphs then take plain float32 weights (row blocks
 * kept), and the same exact values are fed from buffers that are reused:
 *
 * - a global weight (the embedding tables, read by every head run) is decoded once and kept
 *   while its 16-bit tensor is the one fed;
 * - a block weight is decoded into a buffer per input name, reused by every layer, so one
 *   layer's float32 weights exist at a time, as they did inside a block graph's run.
 */
import type { Tensor } from 'onnxruntime-common';
import type { WeightStorage } from '../arch';
import { blockNames, scaleName } from '../graph/storage';
import type { Runtime } from '../runtime/runtime';
import { decodeHalfInto } from '../weights/half';

/** The storage the graphs are built for: float32 throughout, split tables still split. */
export function hostDecodedStorage(storage: WeightStorage): WeightStorage {
  return Object.fromEntries(
    Object.entries(storage).map(([name, s]) => [
      name,
      s.rowBlocks
        ? { dtype: 'float32', scaled: false, rowBlocks: s.rowBlocks }
        : { dtype: 'float32', scaled: false },
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
  /** ONNX input name of a 16-bit block -> the input whose scale it takes, if scaled. */
  private readonly sixteen = new Map<string, string | undefined>();
  private readonly kept = new WeakMap<Tensor, { scale: number; tensor: Tensor }>();
  private readonly keptTensors: Tensor[] = [];
  private readonly pool = new Map<string, Buffer[]>();

  constructor(
    private readonly runtime: Runtime,
    storage: WeightStorage,
  ) {
    for (const [name, s] of Object.entries(storage))
      if (s.dtype === 'float16')
        for (const block of blockNames(name, s))
          this.sixteen.set(block, s.scaled ? scaleName(name) : undefined);
  }

  /**
   * The tensors of `slot` that the graph inputs `names` read (those not already in `given`),
   * 16-bit ones decoded; `global`: the slot is the global weights (decodes kept).
   */
  async feeds(
    names: readonly string[],
    slot: Record<string, Tensor>,
    given: Record<string, Tensor>,
    global: boolean,
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
        if (global) feeds[name] = await this.keptDecode(t, scale);
        else {
          const b = await this.lease(name, t, scale);
          leased.push(b);
          feeds[name] = b.tensor;
        }
      }
    } catch (e) {
      release();
      throw e;
    }
    return { feeds, release };
  }

  /** Frees every decoded tensor. */
  release(): void {
    for (const t of this.keptTensors) this.runtime.dispose(t);
    this.keptTensors.length = 0;
    for (const buffers of this.pool.values())
      for (const b of buffers) this.runtime.dispose(b.tensor);
    this.pool.clear();
  }

  private async scaleOf(slot: Record<string, Tensor>, input: string): Promise<number> {
    const t = slot[input];
    if (!t) throw new Error(`graph input ${input} has no tensor`);
    return (await this.runtime.read(t))[0] as number;
  }

  private async keptDecode(t: Tensor, scale: number): Promise<Tensor> {
    const kept = this.kept.get(t);
    if (kept?.scale === scale) return kept.tensor;
    const bits = (await this.runtime.read(t)) as Uint16Array;
    const data = decodeHalfInto({ bits, scale }, new Float32Array(bits.length));
    const tensor = this.runtime.tensor(data, t.dims);
    this.kept.set(t, { scale, tensor });
    this.keptTensors.push(tensor);
    return tensor;
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
