import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model';
import { createNodeRuntime } from '../../src/runtime/node';
import { parseConfig } from '../../src/weights/config';
import { NodeFolderSource } from '../../src/weights/node-source';
import { randomModel, tinyConfig } from '../../tests/reference/random-model';
import {
  hfConfigJson,
  writeRandomModelFolder,
  writeRandomModelFolderApart,
} from './bench-model-folder';

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

describe('random model folders', () => {
  it.each(['bert', 'roberta', 'xlm-roberta', 'gpt2'] as const)(
    'config.json of a %s config reads back as the same config',
    (type) => {
      for (const tie of [true, false]) {
        const config = tinyConfig(type, { tieWordEmbeddings: tie, numLayers: 3 });
        expect(parseConfig(hfConfigJson(config))).toEqual(config);
      }
    },
  );

  it('a written folder loads into the engine with the generated weights', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'bench-model-folder-'));
    folders.push(folder);
    const config = tinyConfig('gpt2', { vocabSize: 4000, maxPositions: 32 });
    writeRandomModelFolder(folder, config, 5, 'public/models/demo-gpt2');
    expect(readFileSync(join(folder, 'tokenizer.json'))).toEqual(
      readFileSync('public/models/demo-gpt2/tokenizer.json'),
    );
    const runtime = createNodeRuntime({ threads: 1 });
    const model = await loadModel(new NodeFolderSource(folder), runtime);
    try {
      expect(model.config).toEqual(config);
      const wpe = randomModel(config, 5).get('transformer.wpe.weight')!;
      const loaded = (await runtime.read(model.weights.global.pos_emb)) as Float32Array;
      expect(Array.from(loaded)).toEqual(Array.from(wpe.data));
    } finally {
      await model.release();
    }
  });

  it('a child process writes the same folder', () => {
    const [here, apart] = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'bench-model-folder-')));
    folders.push(here, apart);
    const config = tinyConfig('bert', { vocabSize: 1112 });
    writeRandomModelFolder(here, config, 9, 'public/models/demo-bert');
    const bytes = writeRandomModelFolderApart(apart, config, 9, 'public/models/demo-bert');
    for (const name of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ])
      expect(readFileSync(join(apart, name))).toEqual(readFileSync(join(here, name)));
    expect(bytes).toBe(readFileSync(join(here, 'model.safetensors')).length);
  });
});
