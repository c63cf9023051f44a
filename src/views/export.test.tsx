import { describe, expect, it } from 'vitest';
import { exportBasename, scoresCsv, scoresJson, svgDocument } from './export';
import { float32String } from './format';
import { NeuronMapSvg } from './NeuronMapSvg';
import { plantedMap, testMap } from './testData';

describe('float32String', () => {
  it('prints the shortest decimal that reads back as the same float32', () => {
    expect(float32String(Math.fround(0.3))).toBe('0.3');
    expect(float32String(Math.fround(0.042))).toBe('0.042');
    expect(float32String(Math.fround(1e-7))).toBe('1e-7');
    expect(float32String(-2)).toBe('-2');
    for (const x of [Math.PI, 1 / 3, 123456.789, -0.000123])
      expect(Math.fround(Number(float32String(x)))).toBe(Math.fround(x));
    expect(float32String(NaN)).toBe('NaN');
  });
});

describe('scoresCsv', () => {
  // Binary fractions, so that the threshold comparisons are exact in float32.
  const map = testMap(2, 3, [0.125, 0.5, -0.25, 0.25, 1, 0.375]);

  it('has a header and one line per neuron, layer-major', () => {
    const lines = scoresCsv(map, 0.3).trimEnd().split('\n');
    expect(lines[0]).toBe('layer,unit,score,activation,selected');
    expect(lines).toHaveLength(1 + 6);
    expect(lines[1]).toBe('0,0,0.125,1.25,false');
    expect(lines[3]).toBe('0,2,-0.25,-2.5,false');
    expect(lines[5]).toBe('1,1,1,10,true');
  });

  it('marks the knowledge neurons at the tau given (strictly above tau x max)', () => {
    const selected = (tau: number) =>
      scoresCsv(map, tau)
        .trimEnd()
        .split('\n')
        .slice(1)
        .filter((l) => l.endsWith(',true'))
        .map((l) => l.split(',').slice(0, 2).join(':'));
    expect(selected(0.25)).toEqual(['0:1', '1:1', '1:2']); // 0.25 = 0.25 x 1 is out
    expect(selected(0.5)).toEqual(['1:1']);
    expect(selected(0.1)).toEqual(['0:0', '0:1', '1:0', '1:1', '1:2']); // never -0.25
  });
});

describe('scoresJson', () => {
  it('carries the metadata, the knowledge neurons and layers x units arrays', () => {
    const map = testMap(2, 2, [0.25, NaN, -1, 0.5]);
    const json = JSON.parse(scoresJson(map, { language: 'en', tau: 0.3 }));
    expect(json).toMatchObject({
      format: 'knowledge-neuron-explorer/scores',
      version: 1,
      model: 'tiny-bert',
      method: 'amig',
      steps: 20,
      language: 'en',
      prompt: 'The capital of France is [MASK].',
      object: 'Paris',
      probability: 0.42,
      tau: 0.3,
      layers: 2,
      units: 2,
    });
    expect(json.knowledgeNeurons).toEqual([
      { layer: 1, unit: 1, score: 0.5 },
      { layer: 0, unit: 0, score: 0.25 },
    ]);
    expect(json.scores).toEqual([
      [0.25, null],
      [-1, 0.5],
    ]);
    expect(json.activations).toEqual([
      [2.5, null],
      [-10, 5],
    ]);
  });

  it('keeps user text as data', () => {
    const prompt = '</script><script>alert("x")</script> "quoted" \\ [MASK]';
    const map = testMap(1, 1, [1], { prompt, object: '<b>' });
    const json = JSON.parse(scoresJson(map, { language: 'xx', tau: 0.3 }));
    expect(json.prompt).toBe(prompt);
    expect(json.object).toBe('<b>');
  });
});

describe('exportBasename', () => {
  it('names files by model and fact, the object in place of the mask', () => {
    expect(
      exportBasename(
        testMap(1, 1, [0], { model: 'google-bert/bert-base-multilingual-cased' }),
        'en',
      ),
    ).toBe('kne_google-bert-bert-base-multilingual-cased_the-capital-of-france-is-paris_en');
    expect(
      exportBasename({ model: 'mGPT', prompt: '法国的首都是[MASK][MASK]。', object: '巴黎' }, 'zh'),
    ).toBe('kne_mgpt_法国的首都是-巴黎-巴黎_zh');
    expect(
      exportBasename({ model: 'gpt2', prompt: 'The capital of France is', object: ' Paris' }),
    ).toBe('kne_gpt2_the-capital-of-france-is-paris');
  });

  it('leaves no path or markup characters, and never an empty part', () => {
    const name = exportBasename(
      { model: '../../etc', prompt: '<script>/\\:*?"|', object: '' },
      '<x>',
    );
    expect(name).toMatch(/^[\p{L}\p{N}_-]+$/u);
    expect(exportBasename({ model: '///', prompt: '???', object: '' })).toBe('kne_model_fact');
  });
});

describe('svgDocument', () => {
  it('serialises a standalone SVG with its size', async () => {
    const map = plantedMap(3, 16, [[2, 5, 1]]);
    const doc = await svgDocument(<NeuronMapSvg map={map} language="en" tau={0.3} width={500} />);
    expect(doc.markup.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
    expect(doc.markup).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(doc.width).toBe(500);
    expect(doc.height).toBeGreaterThan(100);
    expect(doc.markup).toContain(`height="${doc.height}"`);
  });

  it('refuses elements that are not standalone SVGs', async () => {
    await expect(svgDocument(<div />)).rejects.toThrow(/xmlns/);
  });
});
