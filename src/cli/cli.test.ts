/**
 * `kne` end to end, in process (main() with captured streams), on the bundled demo BERT and a few
 * facts of the bundled fact set: one run against its shards merged, a resumed run against an
 * uninterrupted one, the analyses, a Hub id through a fake Hub and the cache, and each kind of
 * bad input with its exit code and message.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeHub, startFakeHub } from '../../tests/util/fake-hub';
import { MANIFEST_FILE, RECORDS_FILE, readRecordLines } from '../analysis/results';
import { readSafetensors, readSafetensorsHeader } from '../weights';
import { NodeFolderSource } from '../weights/node-source';
import { EXIT } from './errors';
import { main } from './main';
import { Progress, formatDuration } from './progress';

const DEMO = fileURLToPath(new URL('../../public/models/demo-bert', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'kne-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const at = (name: string) => join(work, name);

interface Ran {
  code: number;
  /** Everything written to stderr. */
  err: string;
  /** Everything printed to stdout. */
  out: string;
}

async function kne(
  args: string[],
  env: Record<string, string> = {},
  stopWhen?: (line: string) => boolean,
): Promise<Ran> {
  let err = '';
  let out = '';
  // SIGTERM as bin/kne.js passes it on, once a line matching `stopWhen` is logged.
  const stop = new AbortController();
  const log = (line: string) => {
    err += `${line}\n`;
    if (stopWhen?.(line)) stop.abort({ exitCode: EXIT.terminated });
  };
  const code = await main(
    args,
    {
      stderr: { write: (t) => void (err += t) },
      log,
      env: { HF_HOME: at('hf-home'), HF_ENDPOINT: 'http://127.0.0.1:9', ...env },
      signal: stop.signal,
    },
    (t) => void (out += t),
  );
  return { code, err, out };
}

/** Three capitals in English and Chinese, two integration steps: 6 prompts. */
const RUN = [
  '--facts',
  'factset',
  '--relations',
  'P36',
  '--per-relation',
  '3',
  '--languages',
  'en,zh',
  '--steps',
  '2',
  '--threads',
  '1',
];
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

describe('kne, the command line', () => {
  it('explains itself and refuses unknown commands and flags with exit code 2', async () => {
    const help = await kne(['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.out).toMatch(/attribute .*\n.*merge .*\n.*analyze /);
    const attribute = await kne(['attribute', '--help']);
    expect(attribute.out).toMatch(/--model <folder \| hub-id\[@revision\]>/);
    expect(attribute.out).toMatch(/--shard <I\/N>/);
    expect(await kne(['attribut'])).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/unknown command "attribut"; the commands are attribute/),
    });
    expect(await kne(['attribute', '--modle', 'x'])).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/--modle.*kne attribute --help/),
    });
    expect(await kne(['attribute', '--facts', 'factset', '--out', at('x')])).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/needs --model/),
    });
  });

  it('writes the same results in one process as in shards merged, and resumes a killed run', async () => {
    const single = at('single');
    const one = await kne(['attribute', '--model', DEMO, ...RUN, '--maps', '--out', single]);
    expect(one.err).toMatch(
      /done: 6 prompts, 6 fact x language items \(6 prompts computed now, [\d.]+ prompts\/s\)/,
    );
    expect(one.code).toBe(EXIT.ok);
    const manifest = JSON.parse(read(single, MANIFEST_FILE));
    expect(manifest).toMatchObject({
      complete: true,
      languages: ['en', 'zh'],
      settings: { method: 'amig', steps: 2 },
      shard: { index: 0, count: 1 },
      facts: 3,
      model: { id: 'local:demo-bert', layers: 4, units: 512 },
    });
    const records = readRecordLines(read(single, RECORDS_FILE));
    expect(records.damaged).toEqual([]);
    const prompts = records.items.filter((r) => r.type === 'prompt');
    expect(prompts).toHaveLength(6);
    // Each prompt's map is kept whole, and its top neurons are the map's largest scores.
    const folder = new NodeFolderSource(single);
    for (const p of prompts) {
      if (p.type !== 'prompt') continue;
      const file = await folder.open(p.map!);
      const tensors: Record<string, { dims: readonly number[]; data: Float32Array }> = {};
      await readSafetensors(file, (name, t) => void (tensors[name] = t));
      const scores = tensors.scores.data;
      expect(tensors.scores.dims).toEqual([4, 512]);
      expect(tensors.activations.dims).toEqual([4, 512]);
      expect(p.top).toHaveLength(20);
      const best = Math.max(...scores);
      expect(p.top[0].score).toBe(best);
      expect(scores[p.top[0].layer * 512 + p.top[0].unit]).toBe(best);
      expect((await readSafetensorsHeader(file)).metadata.prompt).toBe(p.text);
    }

    // Two shards (disjoint, covering every fact), then merged: the single run's folder.
    const shards = [at('shard-0'), at('shard-1')];
    for (const [i, dir] of shards.entries()) {
      const ran = await kne([
        ...['attribute', '--model', DEMO, ...RUN, '--maps', '--shard', `${i}/2`],
        ...['--out', dir],
      ]);
      expect(ran.code, ran.err).toBe(EXIT.ok);
      expect(ran.err).toMatch(new RegExp(`shard ${i}/2 \\(--shard ${i}/2\\): \\d of 3 facts`));
    }
    const shardFacts = shards.map((d) => JSON.parse(read(d, MANIFEST_FILE)).facts as number);
    expect(shardFacts[0] + shardFacts[1]).toBe(3);
    const merged = at('merged');
    const m = await kne(['merge', ...shards, '--out', merged]);
    expect(m.code, m.err).toBe(EXIT.ok);
    for (const file of [MANIFEST_FILE, RECORDS_FILE, 'facts.json'])
      expect(read(merged, file), file).toBe(read(single, file));
    expect(readdirSync(join(merged, 'maps')).sort()).toEqual(
      readdirSync(join(single, 'maps')).sort(),
    );

    // A killed run: two records whole, the third cut mid-line, the manifest not complete.
    const killed = at('killed');
    cpSync(single, killed, { recursive: true });
    rmSync(join(killed, 'maps'), { recursive: true });
    const lines = read(single, RECORDS_FILE).split('\n');
    writeFileSync(join(killed, RECORDS_FILE), `${lines[0]}\n${lines[1]}\n${lines[2].slice(0, 40)}`);
    writeFileSync(
      join(killed, MANIFEST_FILE),
      JSON.stringify({ ...manifest, complete: false }, null, 2),
    );
    // Unfinished, it is refused by merge and analyze with the way to finish it.
    expect(await kne(['analyze', '--in', killed, '--out', at('nothing')])).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/not complete.*run the same kne attribute command/),
    });
    const resumed = await kne(['attribute', '--model', DEMO, ...RUN, '--maps', '--out', killed]);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    expect(resumed.err).toMatch(/line 3 \(.*\) left out; their prompts are computed again/);
    expect(resumed.err).toMatch(/2 records of an earlier run found/);
    const kept = readRecordLines(lines.slice(0, 2).join('\n')).items;
    const computed = 6 - kept.filter((r) => r.type === 'prompt').length;
    expect(resumed.err).toMatch(
      new RegExp(`\\(${computed} prompts computed now, [\\d.]+ prompts/s\\)`),
    );
    expect(read(killed, RECORDS_FILE)).toBe(read(single, RECORDS_FILE));
    // A rerun of a finished folder computes nothing.
    const again = await kne(['attribute', '--model', DEMO, ...RUN, '--maps', '--out', killed]);
    expect(again.err).toMatch(/\(0 prompts computed now\)/);

    // The analyses of the merged folder: KN per layer add up to the neurons the items selected.
    const analysis = at('analysis');
    const a = await kne(['analyze', '--in', merged, '--out', analysis]);
    expect(a.code, a.err).toBe(EXIT.ok);
    expect(readdirSync(analysis).sort()).toEqual([
      'degenerate.csv',
      'frequency.csv',
      'kne-analysis.json',
      'layers.csv',
      'overlap.jsonl',
    ]);
    const selected = { en: 0, zh: 0 } as Record<string, number>;
    for (const r of readRecordLines(read(merged, RECORDS_FILE)).items)
      if (r.type === 'kn') selected[r.language] += r.neurons.length;
    const perLayer = read(analysis, 'layers.csv')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .filter(([relation, series]) => relation === '*' && series === 'KN');
    for (const language of ['en', 'zh'])
      expect(
        perLayer.filter((row) => row[2] === language).reduce((s, row) => s + Number(row[4]), 0),
      ).toBe(selected[language]);
    expect(read(analysis, 'overlap.jsonl').trim().split('\n')).toHaveLength(3);
    // The fact check needs the run's model, and refuses another.
    const gpt2 = DEMO.replace(/demo-bert$/, 'demo-gpt2');
    expect(
      await kne(['analyze', '--in', merged, '--out', at('check'), '--fact-check', 'en']),
    ).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/--fact-check needs --model/),
    });
    expect(
      await kne([
        ...['analyze', '--in', merged, '--out', at('check'), '--fact-check', 'en'],
        ...['--model', gpt2, '--threads', '1'],
      ]),
    ).toMatchObject({ code: EXIT.badInput, err: expect.stringMatching(/is not the model of/) });
    const checked = await kne([
      ...['analyze', '--in', merged, '--out', at('check'), '--fact-check', 'en'],
      ...['--model', DEMO, '--threads', '1'],
    ]);
    expect(checked.code, checked.err).toBe(EXIT.ok);
    const report = JSON.parse(read(at('check'), 'kne-analysis.json')).factCheck;
    expect(report).not.toBeNull();
    expect(read(at('check'), 'fact-check.csv').split('\n')[0]).toBe(
      'relation,method,positive_class,tp,fp,fn,tn,precision,recall,f1,accuracy',
    );

    // Shards of another run are refused, naming the difference; so is a missing shard.
    const other = at('other-steps');
    await kne(
      [...['attribute', '--model', DEMO, ...RUN, '--shard', '1/2'], '--steps', '3'].concat([
        '--out',
        other,
      ]),
    );
    expect(await kne(['merge', shards[0], other, '--out', at('bad-merge')])).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/was made by another run .*steps.*2.*3/),
    });
    expect(await kne(['merge', shards[0], '--out', at('bad-merge')])).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/shard 1\/2 missing/),
    });
    // --out holding another run is left alone.
    expect(
      await kne(['attribute', '--model', DEMO, ...RUN, '--steps', '3', '--out', single]),
    ).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/holds results of another run \(.*steps/),
    });
    expect(read(single, RECORDS_FILE)).toBe(read(merged, RECORDS_FILE));
  });

  it('reads a facts file in the upload formats, reporting each bad line and running the rest', async () => {
    const csv = at('facts.csv');
    writeFileSync(
      csv,
      [
        'fact_id,language,prompt,object',
        'f1,en,The capital of France is [MASK] .,Paris',
        'f2,en,The capital of Japan is Tokyo .,Tokyo',
        'f3,en,The capital of Italy is [MASK] .',
      ].join('\n'),
    );
    const out = at('from-csv');
    const r = await kne([
      'attribute',
      '--model',
      DEMO,
      '--facts',
      csv,
      '--steps',
      '1',
      '--out',
      out,
    ]);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.err).toContain(`${csv}:3: prompt has no [MASK]`);
    expect(r.err).toContain(`${csv}:4: row has 3 fields but the header has 4`);
    expect(r.err).toMatch(/1 fact\(s\) read as csv; the 2 line\(s\) above were left out/);
    expect(JSON.parse(read(out, MANIFEST_FILE)).facts).toBe(1);
  });

  it('stops on SIGTERM with exit code 143, keeping the folder for a rerun to finish', async () => {
    const out = at('stopped');
    const args = ['attribute', '--model', DEMO, ...RUN, '--out', out];
    const stopped = await kne(args, {}, (line) => line.startsWith('model '));
    expect(stopped.code, stopped.err).toBe(EXIT.terminated);
    expect(stopped.err).toMatch(/stopped: \d+ prompts computed by this run are saved in/);
    expect(JSON.parse(read(out, MANIFEST_FILE)).complete).toBe(false);
    const finished = await kne(args);
    expect(finished.code, finished.err).toBe(EXIT.ok);
    expect(JSON.parse(read(out, MANIFEST_FILE)).complete).toBe(true);
    expect(
      readRecordLines(read(out, RECORDS_FILE)).items.filter((r) => r.type === 'prompt'),
    ).toHaveLength(6);
  });

  it('says what is wrong with the model, the facts, the shard and the folder (exit code 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['--model', at('no-model'), '--facts', 'factset'], /--model .*no-model: no such folder/],
      [['--model', DEMO, '--facts', at('none.csv')], /--facts .*none.csv: no such file or folder/],
      [['--model', DEMO, '--facts', 'factset', '--shard', '2/2'], /shard/i],
      [['--model', DEMO, '--facts', 'factset', '--relations', 'P9999'], /has no relation P9999/],
      [['--model', DEMO, '--facts', 'factset', '--steps', '0'], /--steps 0: give a whole number/],
      [['--model', DEMO, '--facts', 'factset', '--method', 'magic'], /--method/],
      [['--model', DEMO, '--facts', 'factset', '--languages', 'xx-!'], /--languages/],
      [['--model', work, '--facts', 'factset'], /config\.json/],
    ];
    for (const [args, message] of cases) {
      const r = await kne(['attribute', ...args, '--out', at('refused')]);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(EXIT.badInput);
      expect(r.err).toMatch(message);
    }
    expect(await kne(['analyze', '--in', work, '--out', at('a')])).toMatchObject({
      code: EXIT.badInput,
      err: expect.stringMatching(/has no kne\.json: it is not a kne results folder/),
    });
  });
});

describe('kne with a Hugging Face Hub id', () => {
  let hub: FakeHub | undefined;
  afterAll(() => hub?.close());

  it('downloads into the Hugging Face cache, then runs from it --offline without a request', async () => {
    const files = Object.fromEntries(
      ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((f) => [
        f,
        new Uint8Array(readFileSync(join(DEMO, f))),
      ]),
    );
    const commit = 'c'.repeat(40);
    hub = await startFakeHub({
      'org/demo': { refs: { main: commit }, commits: { [commit]: files } },
    });
    const env = { HF_HOME: at('hub-home'), HF_ENDPOINT: hub.endpoint };
    const args = ['attribute', '--model', 'org/demo', '--facts', 'factset', '--relations', 'P36'];
    const small = [...args, '--per-relation', '1', '--languages', 'en', '--steps', '1'];
    const online = await kne([...small, '--out', at('hub-online')], env);
    expect(online.code, online.err).toBe(EXIT.ok);
    expect(online.err).toContain(`model org/demo (commit ${commit})`);
    const snapshot = join(at('hub-home'), 'hub', 'models--org--demo', 'snapshots', commit);
    expect(readdirSync(snapshot).sort()).toEqual(Object.keys(files).sort());
    expect(JSON.parse(read(at('hub-online'), MANIFEST_FILE)).model).toMatchObject({
      id: 'org/demo',
      revision: 'main',
      commit,
    });

    hub.requests.length = 0;
    const offline = await kne([...small, '--offline', '--out', at('hub-offline')], env);
    expect(offline.code, offline.err).toBe(EXIT.ok);
    expect(hub.requests).toEqual([]);
    expect(read(at('hub-offline'), RECORDS_FILE)).toBe(read(at('hub-online'), RECORDS_FILE));

    // Offline with a cache that lacks the model: bad input, with the way out.
    const missing = await kne([...small, '--offline', '--out', at('hub-missing')], {
      ...env,
      HF_HOME: at('empty-home'),
    });
    expect(missing.code).toBe(EXIT.badInput);
    expect(missing.err).toMatch(/not in the Hugging Face cache .* --offline forbids/);
    expect(hub.requests).toEqual([]);
    // No network at all: a failure (exit 1), not bad input; nothing is left in --out.
    const down = await kne([...small, '--out', at('hub-down')], {
      HF_HOME: at('empty-home'),
      HF_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(down.code).toBe(EXIT.failure);
    expect(down.err).toMatch(/Cannot download config\.json/);
    expect(existsSync(at('hub-down'))).toBe(false);
  });
});

describe('progress', () => {
  const state = (done: number, blocks: number) => ({
    done,
    total: 10,
    reused: 2,
    blocks: { done: blocks, total: 80 },
  });

  it('draws one bar in place on a terminal, with the rate and the time left', () => {
    let text = '';
    let now = 0;
    const bar = new Progress(
      { write: (t) => void (text += t), isTTY: true, columns: 100 },
      'items',
      () => now,
    );
    now = 20;
    bar.update(state(6, 40));
    expect(text).toBe(
      `\r\x1b[2K[${'#'.repeat(18)}${'.'.repeat(12)}] 6/10 items · 2 reused · 0.20 items/s · elapsed 0:20 · ETA 0:20`,
    );
    bar.end();
    expect(text.endsWith('\n')).toBe(true);
  });

  it('writes plain lines elsewhere, at most one per interval and always the last', () => {
    const lines: string[] = [];
    let now = 0;
    const p = new Progress({ write: (t) => void lines.push(t) }, 'items', () => now, 10);
    p.update(state(2, 0));
    now = 5;
    p.update(state(3, 10));
    now = 12;
    p.update(state(4, 20));
    now = 13;
    // The attribution rate: prompts attributed over the seconds spent attributing them.
    p.update({
      ...state(10, 80),
      prompts: { done: 16, total: 16, seconds: 8 },
      current: 'f1 (en)',
    });
    expect(lines).toEqual([
      'progress: 2/10 items · 2 reused · 0.00 items/s · elapsed 0:00 · ETA ?\n',
      'progress: 4/10 items · 2 reused · 0.17 items/s · elapsed 0:12 · ETA 0:36\n',
      'progress: 10/10 items · 2 reused · 0.62 items/s · 2.0 prompts/s · elapsed 0:13 · done\n',
    ]);
    expect([formatDuration(3909), formatDuration(249), formatDuration(Infinity)]).toEqual([
      '1:05:09',
      '4:09',
      '?',
    ]);
  });
});
