/**
 * The supported Hub models with their download, memory and time per map, computed before any
 * download from their published shapes (src/app/hub-models.ts); choosing one fills the Hub id.
 */
import { useMemo } from 'react';
import { type BackendLimits, flopPerSecond, memoryBudget } from '../attribution/fit';
import { WASM_HEAP_BYTES } from '../runtime/runtime';
import { formatBytes, formatCount, formatSeconds } from './format';
import { HUB_MODELS, hubModelFigures } from './hub-models';

/** The WASM backend with this page's threads: every browser has it, so every row can say. */
function wasmBackend(threads: number): BackendLimits {
  const deviceMemory = (navigator as { deviceMemory?: number }).deviceMemory;
  return {
    backend: 'wasm',
    heapBytes: WASM_HEAP_BYTES,
    memoryBudget: memoryBudget('wasm', deviceMemory),
    flopPerSecond: flopPerSecond.wasm(threads),
  };
}

export function HubModelList({
  threads,
  float32As16,
  onChoose,
}: {
  /** The engine's WASM threads (1 until it has started). */
  threads: number;
  float32As16: boolean;
  onChoose: (id: string) => void;
}) {
  const rows = useMemo(() => {
    const wasm = wasmBackend(threads);
    return HUB_MODELS.map((m) => ({ m, f: hubModelFigures(m, [wasm], { float32As16 }) }));
  }, [threads, float32As16]);
  return (
    <table className="cached hub-models" data-testid="hub-models">
      <caption>
        Supported models (time per map on WASM with {threads} thread{threads === 1 ? '' : 's'}, for
        a prompt of 16 tokens; “Size and time first” checks WebGPU too)
      </caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Parameters</th>
          <th scope="col">Download</th>
          <th scope="col">In memory</th>
          <th scope="col">Per map</th>
          <th scope="col" />
        </tr>
      </thead>
      <tbody>
        {rows.map(({ m, f }) => {
          const fit = f.fits[0];
          return (
            <tr key={m.id} data-model={m.id}>
              <th scope="row">
                {m.title} <span className="note">{m.id}</span>
                {m.gated && <span className="note"> · gated: needs a Hugging Face token</span>}
              </th>
              <td>{formatCount(Math.round(f.parameters / 1e6))} M</td>
              <td>
                {formatBytes(f.downloadBytes)} (
                {f.dtype === 'F32' ? 'float32' : f.dtype.toLowerCase()})
              </td>
              <td>{formatBytes(fit.totalBytes)}</td>
              <td>{fit.fits ? `about ${formatSeconds(fit.mapSeconds)}` : 'does not fit'}</td>
              <td>
                <button type="button" onClick={() => onChoose(m.id)} aria-label={`Choose ${m.id}`}>
                  Choose
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
