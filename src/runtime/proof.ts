/**
 * The pipeline proof: until the engine and the demo model exist, the worker shows that the
 * whole path works on the chosen backend. It builds two small graphs with the project's own
 * builder (src/graph), runs them through a `Runtime`, and checks them against plain JS:
 *
 * - `proof`: y = tanh(x W) with W a constant, and dx = d(sum y)/dx = ((1 - y^2)) W^T from the
 *   builder's reverse-mode gradient;
 * - `chain`: z = tanh(h V), where h is the proof's output y, still where the backend left it
 *   (a GPU buffer under WebGPU), and V is uploaded once with `Runtime.upload` and fed to two
 *   sessions, the way model weights are shared by the engine's graphs.
 */
import { Graph, toOnnx } from '../graph';
import type { BackendInfo, Runtime } from './runtime';

export const PROOF_BATCH = 2;
/** x [2, 4] */
export const PROOF_X = Float32Array.of(0.5, -1, 1.5, 2, -0.25, 0.75, 0, -1.25);
/** W [4, 3] */
export const PROOF_W = Float32Array.of(
  0.2,
  -0.4,
  0.1,
  0.3,
  0.5,
  -0.2,
  -0.6,
  0.1,
  0.4,
  0.05,
  -0.3,
  0.25,
);
/** V [3, 4] */
export const PROOF_V = Float32Array.of(
  0.3,
  -0.1,
  0.2,
  0.7,
  -0.5,
  0.4,
  0.1,
  -0.2,
  0.6,
  0.05,
  -0.3,
  0.15,
);

/** Largest absolute difference accepted between a backend and the float64 reference. */
export const PROOF_TOLERANCE = 1e-4;

/** The `proof` graph: input x [B, 4]; outputs y = tanh(x W) [B, 3] and dx [B, 4]. */
export function buildProofModel(w: Float32Array = PROOF_W): Uint8Array {
  const g = new Graph('proof');
  const x = g.input('x', 'float32', ['B', 4]);
  const wc = g.constant(w, [4, 3], 'w');
  const y = x.matmul(wc).tanh();
  const [dx] = g.grad(y.sum(), [x]);
  g.output('y', y);
  g.output('dx', dx);
  return toOnnx(g);
}

/** The `chain` graph: inputs h [B, 3] and v [3, 4] (a weight fed as an input); z = tanh(h v). */
export function buildChainModel(): Uint8Array {
  const g = new Graph('chain');
  const h = g.input('h', 'float32', ['B', 3]);
  const v = g.input('v', 'float32', [3, 4]);
  g.output('z', h.matmul(v).tanh());
  return toOnnx(g);
}

/** Row-major a [n, k] times b [k, m], in float64. */
function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  k: number,
  m: number,
): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
      out[i * m + j] = s;
    }
  return out;
}

/** Plain-JS y = tanh(x W) and dx = (1 - y^2) W^T for x [n, 4], W [4, 3]. */
export function referenceProof(
  x: Float32Array,
  w: Float32Array,
): { y: Float64Array; dx: Float64Array } {
  const n = x.length / 4;
  const y = matmul(x, w, n, 4, 3).map(Math.tanh);
  const dx = new Float64Array(n * 4);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < 4; p++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += (1 - y[i * 3 + j] ** 2) * w[p * 3 + j];
      dx[i * 4 + p] = s;
    }
  return { y, dx };
}

/** Plain-JS z = tanh(h V) for h [n, 3], V [3, 4]. */
export function referenceChain(h: ArrayLike<number>, v: Float32Array): Float64Array {
  return matmul(h, v, h.length / 3, 3, 4).map(Math.tanh);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export interface ProofCheck {
  name: string;
  maxAbsError: number;
  ok: boolean;
}

export interface ProofResult {
  info: BackendInfo;
  /** The largest error over all checked outputs. */
  maxAbsError: number;
  ok: boolean;
  checks: ProofCheck[];
  /** Where each tensor lived: 'gpu-buffer' under WebGPU, 'cpu' otherwise. */
  locations: Record<'y' | 'dx' | 'v' | 'z', string>;
  outputs: { x: number[]; w: number[]; y: number[]; dx: number[]; v: number[]; z: number[] };
  dims: { x: number[]; y: number[]; dx: number[]; z: number[] };
  /** Wall time of the proof in milliseconds (informative only). */
  ms: number;
}

/** Builds, runs and checks the proof graphs on `runtime`, freeing what it allocated. */
export async function runProof(runtime: Runtime): Promise<ProofResult> {
  const started = performance.now();
  const proof = await runtime.createSession(buildProofModel());
  const chainBytes = buildChainModel();
  const chainA = await runtime.createSession(chainBytes);
  const chainB = await runtime.createSession(chainBytes);
  const v = runtime.upload(PROOF_V, [3, 4]);
  const x = runtime.tensor(PROOF_X, [PROOF_BATCH, 4]);
  try {
    const { y, dx } = await proof.run({ x });
    // y feeds the next graph from where it is (a GPU buffer under WebGPU); V is shared.
    const { z } = await chainA.run({ h: y, v });
    const { z: z2 } = await chainB.run({ h: y, v });
    const locations = { y: y.location, dx: dx.location, v: v.location, z: z.location };
    const [yData, dxData, zData, z2Data] = await Promise.all(
      [y, dx, z, z2].map((t) => runtime.read(t)),
    );
    const vData = await runtime.read(v);
    for (const t of [y, dx, z, z2]) runtime.dispose(t);

    const ref = referenceProof(PROOF_X, PROOF_W);
    const refZ = referenceChain(ref.y, PROOF_V);
    const check = (
      name: string,
      got: ArrayLike<number | bigint>,
      want: ArrayLike<number>,
    ): ProofCheck => {
      const maxAbsError = maxAbsDiff(Array.from(got, Number), want);
      return { name, maxAbsError, ok: maxAbsError <= PROOF_TOLERANCE };
    };
    const checks = [
      check('y = tanh(xW)', yData, ref.y),
      check('dx = (1 - y²) Wᵀ', dxData, ref.dx),
      check('z = tanh(y V), session 1', zData, refZ),
      check('z = tanh(y V), session 2', z2Data, refZ),
      check('V read back', vData, PROOF_V),
    ];
    if (runtime.info.backend === 'webgpu') {
      const onGpu = Object.values(locations).every((l) => l === 'gpu-buffer');
      checks.push({ name: 'tensors stay on the GPU', maxAbsError: 0, ok: onGpu });
    }
    return {
      info: runtime.info,
      maxAbsError: Math.max(...checks.map((c) => c.maxAbsError)),
      ok: checks.every((c) => c.ok),
      checks,
      locations,
      outputs: {
        x: Array.from(PROOF_X),
        w: Array.from(PROOF_W),
        y: Array.from(yData, Number),
        dx: Array.from(dxData, Number),
        v: Array.from(PROOF_V),
        z: Array.from(zData, Number),
      },
      dims: { x: [PROOF_BATCH, 4], y: [PROOF_BATCH, 3], dx: [PROOF_BATCH, 4], z: [PROOF_BATCH, 4] },
      ms: performance.now() - started,
    };
  } finally {
    runtime.dispose(v);
    await Promise.all([proof, chainA, chainB].map((s) => s.release()));
  }
}
