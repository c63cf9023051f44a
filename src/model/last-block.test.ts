import { describe, expect, it } from 'vitest';
import type { Tensor } from 'onnxruntime-common';
import { tinyModel } from '../../tests/reference/tiny-model';
import { normals, rng } from '../../tests/util/rng';
import { Executor } from './executor';

/**
 * A masked LM's last path block (pathBlockLast) computes each row at its target only. Its
 * forward must be the full path block's output at the targets, and its VJP the gradient of its
 * forward, checked here against central finite differences of that forward.
 */
describe("a masked LM's last path block", () => {
  const P = 3; // rows spawned in earlier blocks
  const S = 2; // rows spawned in the last block
  const T = 5;
  const targets = [1, 4, 1]; // each carried row's target (two anchors)
  const spawnFrom = [0, 1]; // each spawned row's anchor (its target: 1, 4)
  const anchorPositions = [1, 4];

  async function setup() {
    const { model } = tinyModel('bert', { overrides: { numLayers: 2 } });
    const exec = await Executor.create(model);
    const { hiddenSize: H } = model.config;
    const F = model.numUnits;
    const rand = rng(7);
    const h = normals(rand, P * T * H);
    const mid = normals(rand, anchorPositions.length * H);
    const add = normals(rand, S * F, 0.5);
    const gOut = normals(rand, (P + S) * H);
    const last = 1;
    const bias = exec.input(new Float32Array(T * T), [1, 1, T, T]);
    const feeds = (add: Float32Array) => ({
      query_pos: exec.oneHot(targets, T),
      mid: exec.input(mid, [anchorPositions.length, H]),
      spawn_from: exec.input(BigInt64Array.from(spawnFrom.map(BigInt)), [S]),
      spawn_add: exec.input(add, [S, F]),
    });
    const forward = async (hv: Float32Array, addv: Float32Array) => {
      const out = await exec.pathBlockLast(last, exec.input(hv, [P, T, H]), { bias }, feeds(addv));
      return { out, h: await exec.read(out.h) };
    };
    /** sum(h_out * gOut), in float64. */
    const loss = async (hv: Float32Array, addv: Float32Array) => {
      const { out, h: y } = await forward(hv, addv);
      exec.free(out.h, out.saved, out.savedQuery);
      return y.reduce((s, v, i) => s + v * gOut[i], 0);
    };
    return { model, exec, H, F, h, mid, add, gOut, bias, feeds, forward, loss, last };
  }

  it("computes the full path block's output at each row's target", async () => {
    const { exec, H, h, add, bias, feeds, forward, last } = await setup();
    const trimmed = (await forward(h, add)).h;
    expect(trimmed.length).toBe((P + S) * H);
    // The full block: base (the unedited output at every position) is where the spawned rows'
    // other positions come from; tap_pos marks each anchor's target.
    const f = feeds(add);
    const full = await exec.pathBlock(last, exec.input(h, [P, T, H]), { bias }, {
      base: exec.input(new Float32Array(anchorPositions.length * T * H), [2, T, H]),
      mid: f.mid,
      tap_pos: exec.oneHot(anchorPositions, T),
      spawn_from: f.spawn_from,
      spawn_add: f.spawn_add,
    } as Record<'base' | 'mid' | 'tap_pos' | 'spawn_from' | 'spawn_add', Tensor>);
    const fullH = await exec.read(full.h);
    const rowTargets = [...targets, ...spawnFrom.map((a) => anchorPositions[a])];
    let worst = 0;
    rowTargets.forEach((t, r) => {
      for (let u = 0; u < H; u++)
        worst = Math.max(worst, Math.abs(trimmed[r * H + u] - fullH[(r * T + t) * H + u]));
    });
    expect(worst).toBeLessThan(1e-5);
    exec.dispose();
  });

  it('has the gradient of its forward (central finite differences)', async () => {
    const { exec, H, F, h, add, gOut, bias, feeds, forward, loss, last } = await setup();
    const fwd = await forward(h, add);
    const g = await exec.pathBlockLastVjp(
      last,
      exec.input(h, [P, T, H]),
      { bias },
      feeds(add),
      fwd.out,
      exec.input(gOut, [P + S, 1, H]),
    );
    const gH = await exec.read(g.gH);
    const gSpawn = await exec.read(g.gSpawn);
    expect(gH.length).toBe(P * T * H);
    expect(gSpawn.length).toBe(S * F);
    const step = 1e-2;
    const rand = rng(11);
    let worst = 0;
    const compare = (fd: number, an: number) =>
      (worst = Math.max(worst, Math.abs(fd - an) / (2e-3 + 1e-2 * Math.abs(an))));
    // Elements of h at targets and at other positions (keys and values only), and of add.
    const hPicks = [0, 1, 2, 3, 4].map((t) => (t * H + Math.floor(rand() * H)) % (P * T * H));
    hPicks.push(...Array.from({ length: 8 }, () => Math.floor(rand() * P * T * H)));
    for (const j of hPicks) {
      const at = (d: number) => h.map((x, m) => (m === j ? x + d : x));
      const fd = ((await loss(at(step), add)) - (await loss(at(-step), add))) / (2 * step);
      compare(fd, gH[j]);
    }
    for (let k = 0; k < 8; k++) {
      const j = Math.floor(rand() * S * F);
      const at = (d: number) => add.map((x, m) => (m === j ? x + d : x));
      const fd = ((await loss(h, at(step))) - (await loss(h, at(-step)))) / (2 * step);
      compare(fd, gSpawn[j]);
    }
    // Along a random direction of h, every element at once.
    const dir = normals(rand, h.length);
    const norm = Math.hypot(...dir);
    const along = (s: number) => h.map((x, m) => x + (s * dir[m]) / norm);
    const fd = ((await loss(along(step), add)) - (await loss(along(-step), add))) / (2 * step);
    compare(
      fd,
      gH.reduce((a, x, m) => a + (x * dir[m]) / norm, 0),
    );
    // The gradient reaches positions other than the targets, through their keys and values.
    const otherPosition = 2;
    let reach = 0;
    for (let u = 0; u < H; u++) reach += Math.abs(gH[otherPosition * H + u]);
    expect(reach).toBeGreaterThan(1e-4);
    // Float32 round-off gives about 0.02 here; a gradient 1% off gives 0.46.
    expect(worst).toBeLessThan(0.2);
    exec.dispose();
  });
});
