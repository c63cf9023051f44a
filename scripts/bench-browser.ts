/**
 * `npm run bench:browser`: a model folder picked from disk in headless Chromium on WASM, as a
 * user picks it, and the same folder and prompt on onnxruntime-node, in one run. Measures:
 * - load time and time per map in the tab: the app's own User Timing entries `kne:load` and
 *   `kne:map` (src/app/timing.ts), read with performance.getEntriesByName;
 * - peak tab memory: the resident memory (VmRSS in /proc/<pid>/status) of Chromium's renderer
 *   processes started by this script (the page and its engine worker live there, WASM heap
 *   included), summed and sampled every 200 ms, and each renderer's own peak (VmHWM);
 * - onnxruntime-node's load time and time per map on the same folder and prompt, in a Node process
 *   of its own after the browser has closed (the engine as `npm run bench` runs it);
 * and prints the browser / Node ratio of the time per map. AMIG with the app's default settings.
 * Builds the app first (vite build) unless --no-build; serves it with vite preview on a free port.
 * A program, not a test.
 *
 *   npm run bench:browser -- --preset mbert-base                 # random folder in /tmp, deleted after
 *   npm run bench:browser -- --preset qwen2.5-0.5b --dtype bfloat16 --no-node
 *   npm run bench:browser -- --preset mgpt --as-16 --no-node       # float32 loaded as 16-bit
 *   npm run bench:browser -- --folder /path/to/model --prompt 'The capital of France is [MASK]' --object Paris
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, setPriority, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium';
import { attribute } from '../src/attribution/attribute';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { loadModel } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import { NodeFolderSource } from '../src/weights/node-source';
import { MODEL_PRESETS } from './lib/model-presets';
import { type WeightDtype, writeRandomModelFolder } from './lib/random-model-folder';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string' },
    dtype: { type: 'string', default: 'float32' },
    folder: { type: 'string' },
    prompt: { type: 'string' },
    object: { type: 'string', default: 'Paris' },
    /** Load a float32 folder as 16-bit (the app's "float32 weights as 16-bit" setting). */
    'as-16': { type: 'boolean', default: false },
    'no-node': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    /** The app's WASM threads (`?threads=`); default: the app's choice (up to 4, the cores). */
    threads: { type: 'string' },
    /** The onnxruntime-web build (`?ort=native|jsep`); default: the app's, the WASM build. */
    ort: { type: 'string' },
    /** Minutes to wait for the load and for the map, each. */
    'timeout-min': { type: 'string', default: '30' },
    /** Internal: the onnxruntime-node side, in this process; prints one JSON line. */
    'node-section': { type: 'boolean', default: false },
  },
});

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const timeoutMs = Number(args['timeout-min']) * 60_000;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface NodeMeasured {
  loadSeconds: number;
  mapSeconds: number;
  probability: number;
}

/** The prompt a folder's config calls for: a masked LM fills [MASK]; a causal LM continues. */
function defaultPrompt(folder: string): string {
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
  const masked = ['bert', 'roberta', 'xlm-roberta', 'camembert'].includes(config.model_type);
  return masked ? 'The capital of France is [MASK] .' : 'The capital of France is [MASK]';
}

async function nodeSection(folder: string, prompt: string, object: string): Promise<NodeMeasured> {
  const t0 = performance.now();
  const model = await loadModel(new NodeFolderSource(folder), createNodeRuntime());
  await model.sessions();
  const loadSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const map = await attribute(model, prompt, object, DEFAULT_SETTINGS);
  const mapSeconds = (performance.now() - t1) / 1000;
  await model.release();
  return { loadSeconds, mapSeconds, probability: map.probability };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function startPreview(port: number): Promise<ChildProcess> {
  const preview = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'preview',
      '--port',
      String(port),
      '--strictPort',
      '--host',
      '127.0.0.1',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return preview;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  preview.kill();
  throw new Error(`vite preview did not answer on port ${port} within 60 s`);
}

/** pid -> parent pid, for every process. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields follow the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(name), ppid);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Chromium renderer processes descending from this process (this script's browser only). */
function renderers(): number[] {
  const ppid = parents();
  const mine = (pid: number) => {
    for (let p = ppid.get(pid); p !== undefined && p > 1; p = ppid.get(p))
      if (p === process.pid) return true;
    return false;
  };
  return [...ppid.keys()].filter((pid) => {
    if (!mine(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      return false;
    }
  });
}

/** A process's nice value (field 19 of /proc/<pid>/stat). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** VmRSS and VmHWM of a process, in bytes (0 once it has ended). */
function memoryOf(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

interface BrowserMeasured {
  loadSeconds: number;
  mapSeconds: number;
  /** Summed renderer VmRSS: before the pick, and the peak from the pick to the map's end. */
  rendererBefore: number;
  rendererPeak: number;
  /** The largest VmHWM of one renderer process. */
  rendererHwm: number;
  estimate: string;
  threads: string;
  /** The renderers' nice value: Chromium sets its own, whatever this script's is. */
  rendererNice: number;
}

async function browserSection(folder: string, prompt: string, object: string) {
  const port = await freePort();
  const preview = await startPreview(port);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  let sampler: NodeJS.Timeout | undefined;
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeoutMs);
    await page.goto(
      `http://127.0.0.1:${port}/?backend=wasm${args.threads ? `&threads=${args.threads}` : ''}${args.ort ? `&ort=${args.ort}` : ''}`,
    );
    const status = page.getByTestId('model-status');
    // The bundled model loads first: wait for it, so that its load is not measured.
    await page.waitForSelector('[data-testid=model-status][data-phase=ready]');
    if (args['as-16']) {
      // The setting reloads the bundled model as 16-bit: wait for that too, so it is not measured.
      await page.getByTestId('float32-as-16').getByRole('checkbox').check();
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid=model-status]')?.getAttribute('data-phase') ===
            'ready' &&
          /as 16-bit/.test(
            document.querySelector('[data-testid=model-summary]')?.textContent ?? '',
          ),
        undefined,
        { polling: 500 },
      );
    }
    // The engine's worker decides its WASM threads from its own navigator.
    const worker = page.workers()[0];
    const threads =
      (await (worker ?? page).evaluate(
        () =>
          `crossOriginIsolated ${globalThis.crossOriginIsolated}, ${navigator.hardwareConcurrency} cores`,
      )) + `, ?threads=${args.threads ?? 'not given'}`;
    const sum = () => renderers().reduce((s, pid) => s + memoryOf(pid).rss, 0);
    const rendererBefore = sum();
    let rendererPeak = rendererBefore;
    sampler = setInterval(() => (rendererPeak = Math.max(rendererPeak, sum())), 200);

    await page.getByTestId('model-folder').setInputFiles(folder);
    await page.waitForFunction(
      (id) => {
        const s = document.querySelector('[data-testid=model-status]');
        const phase = s?.getAttribute('data-phase');
        return phase === 'error' || (phase === 'ready' && s!.textContent!.includes(id));
      },
      `local:${basename(folder)}`,
      { timeout: timeoutMs, polling: 500 },
    );
    if ((await status.getAttribute('data-phase')) === 'error')
      throw new Error(
        `the app refused the folder: ${await page.getByTestId('model-error').textContent()}`,
      );
    console.log(`# loaded in the tab (${new Date().toISOString()}, load average ${load()})`);

    await page.getByTestId('draft-text').fill(prompt);
    await page.getByTestId('draft-object').fill(object);
    await page.getByTestId('add-fact').click();
    const estimate = page.getByTestId('estimate');
    await estimate.waitFor({ state: 'visible' });
    await page.waitForFunction(
      () =>
        /about .+ on WASM/.test(
          document.querySelector('[data-testid=estimate]')?.textContent ?? '',
        ),
      undefined,
      { timeout: timeoutMs, polling: 500 },
    );
    const estimateText = (await estimate.textContent())!.replace(/\s+/g, ' ').trim();
    await page.getByTestId('run').click();
    await page.waitForSelector(
      '[data-testid=run-progress][data-phase=finished], [data-testid=run-progress][data-phase=cancelled]',
      {
        timeout: timeoutMs,
      },
    );
    const failed = page.getByTestId('run-progress').locator('li[data-state=error]');
    if (await failed.count())
      throw new Error(`the map failed: ${await failed.first().textContent()}`);
    clearInterval(sampler);
    rendererPeak = Math.max(rendererPeak, sum());
    const rendererHwm = Math.max(...renderers().map((pid) => memoryOf(pid).hwm));
    const rendererNice = Math.min(...renderers().map(niceOf));
    const timing = await page.evaluate(() =>
      ['kne:load', 'kne:map'].map((n) => performance.getEntriesByName(n).at(-1)?.duration ?? NaN),
    );
    if (timing.some((t) => !Number.isFinite(t)))
      throw new Error('the app recorded no kne:load / kne:map timing: rebuild it (npx vite build)');
    return {
      loadSeconds: timing[0] / 1000,
      mapSeconds: timing[1] / 1000,
      rendererBefore,
      rendererPeak,
      rendererHwm,
      estimate: estimateText,
      threads,
      rendererNice,
    } satisfies BrowserMeasured;
  } finally {
    clearInterval(sampler);
    await browser.close();
    preview.kill();
  }
}

/**
 * The onnxruntime-node side in a process of its own, at the renderers' priority: Chromium gives
 * its renderers its own nice value (0 here, under `nice npm run ...` too), and on a shared
 * machine a lower priority for Node alone would skew the ratio.
 */
async function nodeChild(folder: string, prompt: string, object: string, nice: number) {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--node-section',
      '--folder',
      folder,
      '--prompt',
      prompt,
      '--object',
      object,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    setPriority(child.pid!, nice);
  } catch {
    console.log(`# could not give the Node side the renderers' nice value ${nice} (not root?)`);
  }
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error('the onnxruntime-node run failed');
  return JSON.parse(out.trim().split('\n').at(-1)!) as NodeMeasured;
}

async function main() {
  if (args['node-section']) {
    const m = await nodeSection(args.folder!, args.prompt!, args.object!);
    console.log(JSON.stringify(m));
    return;
  }
  if (!args.folder === !args.preset)
    throw new Error('give --preset NAME or --folder PATH (one of them)');
  if (args.preset && !Object.hasOwn(MODEL_PRESETS, args.preset))
    throw new Error(
      `--preset ${args.preset}: unknown; presets: ${Object.keys(MODEL_PRESETS).join(', ')}`,
    );
  const temp = args.preset ? mkdtempSync(join(tmpdir(), 'kn-bench-browser-')) : undefined;
  try {
    let folder = args.folder ? resolve(args.folder) : join(temp!, args.preset!);
    if (args.preset) {
      const t = performance.now();
      await writeRandomModelFolder(folder, MODEL_PRESETS[args.preset], {
        dtype: args.dtype as WeightDtype,
      });
      console.log(
        `# wrote ${folder} (${args.dtype}) in ${((performance.now() - t) / 1000).toFixed(0)} s`,
      );
    }
    folder = resolve(folder);
    const prompt = args.prompt ?? defaultPrompt(folder);
    const object = args.object!;
    if (!args['no-build']) {
      const built = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'],
        {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      if (built.status !== 0) throw new Error('vite build failed');
    }
    console.log(
      `# ${basename(folder)}: "${prompt}" -> "${object}", AMIG m = ${DEFAULT_SETTINGS.steps}` +
        `; ${cpus().length} cores ` +
        `(${cpus()[0]?.model}), load average ${load()} at ${new Date().toISOString()}`,
    );
    const b = await browserSection(folder, prompt, object);
    console.log(`# browser done (${new Date().toISOString()}, load average ${load()})`);
    let n: NodeMeasured | undefined;
    if (!args['no-node']) {
      n = await nodeChild(folder, prompt, object, b.rendererNice);
      console.log(`# node done (${new Date().toISOString()}, load average ${load()})`);
    }
    console.log(
      `Chromium (WASM; ${b.threads}; renderers at nice ${b.rendererNice}): the app's estimate before the run: ${b.estimate}`,
    );
    console.log(
      '| | load | time per map | peak tab memory (renderer VmRSS, summed) | largest renderer VmHWM |',
    );
    console.log('|---|---|---|---|---|');
    console.log(
      `| Chromium WASM | ${b.loadSeconds.toFixed(1)} s | ${b.mapSeconds.toFixed(1)} s | ` +
        `${mib(b.rendererPeak)} (${mib(b.rendererBefore)} before the pick) | ${mib(b.rendererHwm)} |`,
    );
    if (n) {
      console.log(
        `| onnxruntime-node | ${n.loadSeconds.toFixed(1)} s | ${n.mapSeconds.toFixed(1)} s | | |`,
      );
      console.log(
        `browser / Node, time per map: ${(b.mapSeconds / n.mapSeconds).toFixed(2)}x (target <= 1.2x); ` +
          `Node P(object) = ${n.probability.toPrecision(5)}`,
      );
    }
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

await main();
