/**
 * A results folder when the disk is full: the record that could not be written is reported with
 * the file, the cause and the way to resume, the error is a failure (exit 1) rather than bad
 * input, and the manifest still says the run is not complete.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KnRecord } from '../analysis/dataset';
import {
  MANIFEST_FILE,
  RECORDS_FILE,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  type ResultsManifest,
} from '../analysis/results';
import { DEFAULT_SETTINGS } from '../attribution/settings';
import { isBadInput } from './errors';
import { RunFolder, WriteError } from './folder';

const work = mkdtempSync(join(tmpdir(), 'kne-folder-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const manifest: ResultsManifest = {
  format: RESULTS_FORMAT,
  version: RESULTS_VERSION,
  tool: 'kne 0.1.0',
  model: {
    id: 'local:demo',
    revision: null,
    commit: null,
    digest: 'abc123',
    modelType: 'bert',
    layers: 3,
    units: 4,
  },
  settings: { ...DEFAULT_SETTINGS },
  tau: { en: 0.3 },
  p: 0.3,
  languages: ['en'],
  degenerate: null,
  maps: false,
  top: 20,
  shard: { index: 0, count: 1 },
  facts: 1,
  complete: false,
};

const fact = {
  id: 'f1',
  prompts: [{ language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' }],
};
const record: KnRecord = {
  factId: 'f1',
  relation: null,
  language: 'en',
  prompts: [fact.prompts[0].text],
  object: 'Paris',
  probabilities: [0.9],
  tau: 0.3,
  p: 0.3,
  neurons: [{ layer: 1, unit: 2, score: 0.5, count: 1, stability: 1 }],
  counts: { forward: 4, backward: 2, forwardTokens: 36, backwardTokens: 18 },
  warnings: [],
};

describe('RunFolder', () => {
  it.runIf(process.platform === 'linux')(
    'says the disk is full, naming the file and how to resume, and stays incomplete',
    async () => {
      const dir = join(work, 'full');
      const { folder } = await RunFolder.open(dir, manifest, [fact], () => undefined);
      // /dev/full answers every write with ENOSPC, as a full disk does.
      symlinkSync('/dev/full', join(dir, RECORDS_FILE));
      const error = await folder.store.put('kn/f1/en', record).catch((e: unknown) => e);
      await folder.close();
      expect(error).toBeInstanceOf(WriteError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `Could not write ${join(dir, RECORDS_FILE)}: the disk is full .*run the same command again: it resumes`,
        ),
      );
      expect(isBadInput(error)).toBe(false);
      expect(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')).complete).toBe(false);
      expect(await folder.store.get('kn/f1/en')).toBeUndefined();
    },
  );
});
