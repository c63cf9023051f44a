/**
 * Opening a results folder in the explorer: a folder kne wrote (two facts in two languages on the
 * demo BERT) is read as the picker hands it over, and folders that cannot be shown are refused
 * with what to pick instead.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { type FolderFile, openResultsFolder } from './results-folder';

const DEMO = fileURLToPath(new URL('../../public/models/demo-bert', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'kne-open-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The files under `dir` as <input webkitdirectory> lists them: paths from the picked folder. */
function picked(root: string, dir = root): FolderFile[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return picked(root, path);
    return [
      { path: relative(join(root, '..'), path), text: async () => readFileSync(path, 'utf8') },
    ];
  });
}

async function kne(...args: string[]) {
  let err = '';
  const code = await main(
    args,
    {
      stderr: { write: (t) => void (err += t) },
      log: (l) => void (err += `${l}\n`),
      env: {},
      signal: new AbortController().signal,
    },
    () => undefined,
  );
  expect(code, err).toBe(0);
}

const RUN = ['--model', DEMO, '--facts', 'factset', '--relations', 'P36', '--per-relation', '2'];
beforeAll(async () => {
  await kne('attribute', ...RUN, '--steps', '1', '--threads', '1', '--out', join(work, 'run'));
  for (const i of [0, 1])
    await kne(
      ...['attribute', ...RUN, '--steps', '1', '--threads', '1', '--shard', `${i}/2`],
      ...['--out', join(work, 'shards', String(i))],
    );
  await kne('analyze', '--in', join(work, 'run'), '--out', join(work, 'analysis'));
});

describe('openResultsFolder', () => {
  it('reads the records of a folder kne wrote as the dataset run the views show', async () => {
    const opened = await openResultsFolder(picked(join(work, 'run')));
    expect(opened.name).toBe('run');
    expect(opened.manifest.model.id).toBe('local:demo-bert');
    const { run } = opened;
    expect(run.records.map((r) => r.language)).toEqual(['en', 'zh', 'en', 'zh']);
    expect(run.languages).toEqual(['en', 'zh']);
    expect([run.layers, run.units, run.model]).toEqual([4, 512, 'local:demo-bert']);
    // The aggregates count what the records selected.
    const selected = run.records
      .filter((r) => r.language === 'en')
      .reduce((s, r) => s + r.neurons.length, 0);
    expect(run.aggregates.overall.kn.en.reduce((s, n) => s + n, 0)).toBe(selected);
    expect(run.aggregates.overall.facts).toBe(2);
  });

  it('refuses what it cannot show, saying what to open instead', async () => {
    const run = picked(join(work, 'run'));
    const cases: [FolderFile[], RegExp][] = [
      [picked(join(work, 'analysis')), /analysis folder of kne analyze; open the results folder/],
      [[{ path: 'x/notes.txt', text: async () => '' }], /not a kne results folder: it has no kne/],
      [picked(join(work, 'shards')), /holds 2 results folders \(shards\/0, shards\/1\): merge/],
      [
        run.map((f) =>
          f.path.endsWith('kne.json')
            ? {
                ...f,
                text: async () =>
                  JSON.stringify({ ...JSON.parse(await f.text()), complete: false }),
              }
            : f,
        ),
        /is not complete: its kne attribute run was stopped/,
      ],
      [
        run.map((f) =>
          f.path.endsWith('records.jsonl')
            ? { ...f, text: async () => (await f.text()).replace('"en"', '"de"') }
            : f,
        ),
        /records\.jsonl has damaged line 1 .*run the same kne attribute command/,
      ],
      [run.filter((f) => !f.path.endsWith('records.jsonl')), /has no records\.jsonl/],
    ];
    for (const [files, message] of cases)
      await expect(openResultsFolder(files)).rejects.toThrow(message);
  });
});
