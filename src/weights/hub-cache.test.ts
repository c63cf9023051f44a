import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHub, startFakeHub } from '../../tests/util/fake-hub';
import { loadModel } from '../model';
import { createNodeRuntime } from '../runtime/node';
import { ModelSourceError } from './errors';
import { DownloadError, HubCacheSource, hfHome, hubCacheDir, repoFolder } from './hub-cache';

const DEMO = fileURLToPath(new URL('../../public/models/demo-bert/', import.meta.url));
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
const files = Object.fromEntries(FILES.map((f) => [f, new Uint8Array(readFileSync(DEMO + f))]));
const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);
const checkpoint = files['model.safetensors'];
const sha = createHash('sha256').update(checkpoint).digest('hex');

let hub: FakeHub;
const work = mkdtempSync(join(tmpdir(), 'kne-hub-cache-'));
beforeAll(async () => {
  hub = await startFakeHub({
    'org/demo': {
      refs: { main: C1, v2: C2 },
      commits: { [C1]: files, [C2]: { ...files, 'config.json': new TextEncoder().encode('{}') } },
    },
    'org/gated': { refs: { main: C1 }, commits: { [C1]: files }, token: 'hf_secret' },
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

let caches = 0;
/** Options of a fresh cache folder, on the fake Hub, with no token or setting from outside. */
function fresh(extra: Parameters<typeof HubCacheSource.open>[2] = {}) {
  const cacheDir = join(work, `cache-${caches++}`);
  return { cacheDir, endpoint: hub.endpoint, env: { HF_HOME: join(work, 'no-home') }, ...extra };
}

const downloads = () =>
  hub.requests.filter(
    (r) => r.method === 'GET' && (r.server === 'storage' || !r.path.endsWith('.safetensors')),
  );

describe('the Hugging Face cache folders', () => {
  it('follow HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME and HOME', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' })).toBe('/c');
    expect(hubCacheDir({ HF_HOME: '/h' })).toBe('/h/hub');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    expect(hfHome({ HOME: '/home/u' })).toBe('/home/u/.cache/huggingface');
    expect(repoFolder('/c', 'google-bert/bert-base-uncased')).toBe(
      '/c/models--google-bert--bert-base-uncased',
    );
  });
});

describe('HubCacheSource', () => {
  it('downloads into the layout huggingface_hub uses, and the engine loads from it', async () => {
    const opts = fresh();
    hub.requests.length = 0;
    const source = await HubCacheSource.open('org/demo', 'main', opts);
    expect([source.id, source.commit]).toEqual(['org/demo', C1]);
    const model = await loadModel(source, createNodeRuntime({ threads: 1 }));
    expect(model.config.numLayers).toBe(4);
    await model.release();
    expect(await source.has('model.safetensors.index.json')).toBe(false);

    const repo = repoFolder(opts.cacheDir, 'org/demo');
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(C1);
    for (const f of FILES) {
      const pointer = join(repo, 'snapshots', C1, f);
      expect(lstatSync(pointer).isSymbolicLink()).toBe(true);
      expect(readlinkSync(pointer)).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]+$/);
      // Buffer.equals: toEqual walks a 4 MB array element by element, for minutes.
      expect(readFileSync(pointer).equals(files[f]), f).toBe(true);
    }
    // LFS files are named by their SHA-256, others by their ETag; nothing is left half done.
    expect(readdirSync(join(repo, 'blobs'))).toContain(sha);
    expect(readdirSync(join(repo, 'blobs')).filter((b) => !/^[0-9a-f]+$/.test(b))).toEqual([]);
    expect(existsSync(join(repo, '.no_exist', C1, 'model.safetensors.index.json'))).toBe(true);
    // The checkpoint came from the storage server, every file once.
    expect(
      downloads()
        .map((r) => r.path.split('/').pop())
        .sort(),
    ).toEqual(['config.json', sha, 'tokenizer.json', 'tokenizer_config.json'].sort());

    // Offline, from the cache alone: no request at all.
    hub.requests.length = 0;
    const offline = await HubCacheSource.open('org/demo', 'main', { ...opts, offline: true });
    expect(offline.commit).toBe(C1);
    for (const f of FILES) expect((await offline.open(f)).size).toBe(files[f].length);
    expect(await offline.has('model.safetensors.index.json')).toBe(false);
    // Online again: the revision is resolved, nothing is downloaded twice.
    const again = await HubCacheSource.open('org/demo', 'main', opts);
    for (const f of FILES) await again.open(f);
    expect(hub.requests.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('reuses a model that Python tools put in the cache', async () => {
    const opts = fresh();
    const repo = repoFolder(opts.cacheDir, 'org/demo');
    // As huggingface_hub leaves it: refs/main, blobs by ETag, relative snapshot links.
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), C1);
    mkdirSync(join(repo, 'blobs'));
    mkdirSync(join(repo, 'snapshots', C1), { recursive: true });
    for (const f of FILES) {
      const etag = createHash('sha256').update(files[f]).digest('hex');
      writeFileSync(join(repo, 'blobs', etag), files[f]);
      symlinkSync(`../../blobs/${etag}`, join(repo, 'snapshots', C1, f));
    }
    const offline = await HubCacheSource.open('org/demo', undefined, { ...opts, offline: true });
    expect(offline.id).toBe('org/demo');
    expect((await offline.open('model.safetensors')).size).toBe(checkpoint.length);
    hub.requests.length = 0;
    const online = await HubCacheSource.open('org/demo', 'main', opts);
    for (const f of FILES) await online.open(f);
    expect(hub.requests.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('pins a revision to its commit and files it under refs/', async () => {
    const opts = fresh();
    const source = await HubCacheSource.open('org/demo', 'v2', opts);
    expect([source.id, source.commit]).toEqual(['org/demo@v2', C2]);
    expect(new TextDecoder().decode(await (await source.open('config.json')).slice(0, 2))).toBe(
      '{}',
    );
    const repo = repoFolder(opts.cacheDir, 'org/demo');
    expect(readFileSync(join(repo, 'refs', 'v2'), 'utf8')).toBe(C2);
    // A commit needs no ref.
    const byCommit = await HubCacheSource.open('org/demo', C1, { ...opts, offline: false });
    expect(byCommit.commit).toBe(C1);
    expect(existsSync(join(repo, 'refs', C1))).toBe(false);
  });

  it('resumes a download that was killed half way, with a Range request', async () => {
    const opts = fresh();
    const half = Math.floor(checkpoint.length / 2);
    const stalled = hub.stallAfter(half);
    // .mts: an ES module wherever it lies (top-level await).
    const script = join(work, 'download.mts');
    writeFileSync(
      script,
      `import { HubCacheSource } from ${JSON.stringify(fileURLToPath(new URL('./hub-cache.ts', import.meta.url)))};\n` +
        `const s = await HubCacheSource.open('org/demo', 'main', ${JSON.stringify(opts)});\n` +
        `await s.open('model.safetensors');\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    const early = exited.then((code) => {
      throw new Error(`the downloading process ended (${String(code)}) before the stall`);
    });
    await Promise.race([stalled.reached, early]);
    early.catch(() => undefined);
    const partial = join(repoFolder(opts.cacheDir, 'org/demo'), 'blobs', `${sha}.incomplete`);
    // Wait until the child has written what it received (a state, whatever the time it takes).
    while (!existsSync(partial) || statSync(partial).size < half)
      await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    expect(statSync(partial).size).toBe(half);
    expect(existsSync(`${partial.replace(/\.incomplete$/, '')}.lock`)).toBe(true);

    hub.requests.length = 0;
    const source = await HubCacheSource.open('org/demo', 'main', opts);
    const file = await source.open('model.safetensors');
    expect(file.size).toBe(checkpoint.length);
    const resumed = hub.requests.filter((r) => r.server === 'storage');
    expect(resumed.map((r) => r.range)).toEqual([`bytes=${half}-`]);
    const blob = join(repoFolder(opts.cacheDir, 'org/demo'), 'blobs', sha);
    expect(createHash('sha256').update(readFileSync(blob)).digest('hex')).toBe(sha);
    expect(existsSync(partial)).toBe(false);
    // The dead process's lock was taken over and released.
    expect(existsSync(`${blob}.lock`)).toBe(false);
  });

  it('throws away a partial file whose bytes are not the Hub file, and says so', async () => {
    const opts = fresh();
    const repo = repoFolder(opts.cacheDir, 'org/demo');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    writeFileSync(join(repo, 'blobs', `${sha}.incomplete`), new Uint8Array(100).fill(7));
    const source = await HubCacheSource.open('org/demo', 'main', opts);
    const error = await source.open('model.safetensors').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toMatch(/arrived damaged.*run again/);
    expect(existsSync(join(repo, 'blobs', `${sha}.incomplete`))).toBe(false);
    expect((await source.open('model.safetensors')).size).toBe(checkpoint.length);
  });

  it('sends the token to the Hub only, never to the storage it redirects to', async () => {
    hub.requests.length = 0;
    const source = await HubCacheSource.open('org/gated', 'main', fresh({ token: 'hf_secret' }));
    await source.open('model.safetensors');
    const seen = hub.requests.map((r) => [r.server, r.authorization]);
    expect(seen.filter(([s]) => s === 'hub').every(([, a]) => a === 'Bearer hf_secret')).toBe(true);
    expect(seen.filter(([s]) => s === 'storage').map(([, a]) => a)).toEqual([undefined]);
  });

  it('reads HF_TOKEN, then the token file huggingface-cli login writes', async () => {
    const home = join(work, 'home-with-token');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'token'), 'hf_secret\n');
    const opts = { cacheDir: join(work, `cache-${caches++}`), endpoint: hub.endpoint };
    await expect(
      HubCacheSource.open('org/gated', 'main', { ...opts, env: { HF_HOME: home } }),
    ).resolves.toBeInstanceOf(HubCacheSource);
    await expect(
      HubCacheSource.open('org/gated', 'main', {
        ...opts,
        env: { HF_TOKEN: 'wrong', HF_HOME: home },
      }),
    ).rejects.toThrow(/gated or private.*HF_TOKEN or --token/);
  });

  it('says what is wrong: unknown model or revision, offline without the model, no network', async () => {
    const cases: [() => Promise<unknown>, RegExp, boolean][] = [
      [
        () => HubCacheSource.open('org/missing', 'main', fresh()),
        /not found on the Hugging Face Hub/,
        false,
      ],
      [
        () => HubCacheSource.open('org/demo', 'v9', fresh()),
        /revision "v9" of "org\/demo" does not exist/,
        false,
      ],
      [
        () => HubCacheSource.open('org/demo', 'main', fresh({ offline: true })),
        /not in the Hugging Face cache .* --offline forbids downloading it/,
        false,
      ],
      [
        () =>
          HubCacheSource.open(
            'org/demo',
            'main',
            fresh({ env: { HF_HUB_OFFLINE: '1', HF_HOME: work } }),
          ),
        /--offline forbids/,
        false,
      ],
      [
        () => HubCacheSource.open('not a valid id!', 'main', fresh()),
        /not a valid Hugging Face model id/,
        false,
      ],
      [
        () => HubCacheSource.open('org/demo', 'main', fresh({ endpoint: 'http://127.0.0.1:9' })),
        /Cannot download config.json/,
        true,
      ],
    ];
    for (const [open, message, transient] of cases) {
      const error = await open().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelSourceError);
      expect((error as Error).message).toMatch(message);
      expect(error instanceof DownloadError).toBe(transient);
    }
    // A file the cache knows is absent offline is absent; one it never saw is an error.
    const opts = fresh();
    const source = await HubCacheSource.open('org/demo', 'main', opts);
    await source.open('config.json');
    const offline = await HubCacheSource.open('org/demo', 'main', { ...opts, offline: true });
    await expect(offline.open('tokenizer.json')).rejects.toThrow(
      /tokenizer.json .* not in the Hugging Face cache/,
    );
  });
});
