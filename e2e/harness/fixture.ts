/**
 * Fixed, AttributionResult-shaped data for the views harness: seeded noise with planted knowledge
 * neurons, so the tests know which cells must be marked at which tau.
 */
import type { AttributionResult } from '../../src/attribution/attribute';
import type { Prediction } from '../../src/attribution/predict';
import { mulberry32 } from '../../src/util/random';

export interface Planted {
  layer: number;
  unit: number;
  score: number;
}

export function fixtureMap(opts: {
  seed: number;
  layers: number;
  units: number;
  prompt: string;
  object: string;
  planted: Planted[];
  model?: string;
  probability?: number;
}): AttributionResult {
  const { layers, units } = opts;
  const rnd = mulberry32(opts.seed);
  const scores = new Float32Array(layers * units);
  const activations = new Float32Array(layers * units);
  for (let l = 0; l < layers; l++)
    for (let u = 0; u < units; u++) {
      const i = l * units + u;
      // Mostly tiny, slightly heavier-tailed and more positive in the upper layers, like AMIG maps.
      const depth = (l + 1) / layers;
      const x = rnd() - 0.5;
      scores[i] = 0.0016 * x * x * x * 8 * (0.4 + depth) + 0.0002 * depth * rnd();
      activations[i] = 2.2 * rnd() * rnd() - 0.17;
    }
  for (const p of opts.planted) scores[p.layer * units + p.unit] = p.score;
  return {
    model: opts.model ?? 'demo-mbert-tiny',
    method: 'amig',
    steps: 20,
    score: 'activation',
    tapMode: 'post-activation',
    multiToken: 'per-token',
    prompt: opts.prompt,
    object: opts.object,
    layers,
    units,
    scores,
    activations,
    baseline: 'mask-mean',
    tokens: ['[CLS]', ...opts.prompt.split(' '), '[SEP]'],
    slots: [
      { position: 6, token: opts.object, tokenId: 1234, probability: opts.probability ?? 0.42 },
    ],
    probability: opts.probability ?? 0.42,
    counts: { forward: 1000, backward: 900, forwardTokens: 9000, backwardTokens: 8100 },
    warnings: [],
  };
}

/** en: tau 0.3 of 0.042 is 0.0126, so the 0.014 neuron is in and the 0.012 one is out. */
export const EN_PLANTED: Planted[] = [
  { layer: 11, unit: 42, score: 0.042 },
  { layer: 10, unit: 301, score: 0.035 },
  { layer: 9, unit: 117, score: 0.028 },
  { layer: 10, unit: 77, score: 0.014 },
  { layer: 7, unit: 400, score: 0.012 },
  { layer: 8, unit: 200, score: -0.024 },
];

/** zh: tau 0.2 of 0.03 is 0.006: the 0.005 neuron stays out. */
export const ZH_PLANTED: Planted[] = [
  { layer: 11, unit: 42, score: 0.03 },
  { layer: 10, unit: 301, score: 0.025 },
  { layer: 8, unit: 455, score: 0.02 },
  { layer: 6, unit: 12, score: 0.005 },
  { layer: 5, unit: 250, score: -0.012 },
];

export const EN = fixtureMap({
  seed: 1,
  layers: 12,
  units: 512,
  prompt: 'The capital of France is [MASK].',
  object: 'Paris',
  planted: EN_PLANTED,
});

export const ZH = fixtureMap({
  seed: 2,
  layers: 12,
  units: 512,
  prompt: '法国的首都是[MASK][MASK]。',
  object: '巴黎',
  planted: ZH_PLANTED,
  probability: 0.183,
});

/** A second fact, only for the neuron panel's scores across facts. */
export const EN_JAPAN = fixtureMap({
  seed: 3,
  layers: 12,
  units: 512,
  prompt: 'The capital of Japan is [MASK].',
  object: 'Tokyo',
  planted: [{ layer: 10, unit: 301, score: 0.02 }],
});

export const ZH_JAPAN = fixtureMap({
  seed: 4,
  layers: 12,
  units: 512,
  prompt: '日本的首都是[MASK][MASK]。',
  object: '东京',
  planted: [{ layer: 9, unit: 117, score: 0.01 }],
});

/** mGPT's shape: 24 x 8192 neurons, binned in the views. */
export const LARGE = fixtureMap({
  seed: 5,
  layers: 24,
  units: 8192,
  model: 'mGPT',
  prompt: 'The capital of France is',
  object: ' Paris',
  planted: [
    { layer: 20, unit: 5000, score: 0.05 },
    { layer: 18, unit: 123, score: 0.04 },
    { layer: 22, unit: 8191, score: 0.03 },
  ],
});

/** Text a user could type, which must show as text and never run. */
export const HOSTILE_PROMPT =
  '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> is [MASK] & co';
export const HOSTILE_OBJECT = '<b>bold</b>';

export const HOSTILE = fixtureMap({
  seed: 6,
  layers: 4,
  units: 64,
  model: '<i>model</i>',
  prompt: HOSTILE_PROMPT,
  object: HOSTILE_OBJECT,
  planted: [{ layer: 3, unit: 5, score: 0.01 }],
});

export const PREDICTIONS: {
  language: string;
  prompt: string;
  object: string;
  prediction: Prediction;
}[] = [
  {
    language: 'en',
    prompt: EN.prompt,
    object: EN.object,
    prediction: {
      probability: 0.42,
      slots: [
        {
          position: 6,
          tokenId: 1234,
          token: 'Paris',
          probability: 0.42,
          top: [
            { id: 1234, token: 'Paris', probability: 0.42 },
            { id: 2001, token: 'Lyon', probability: 0.081 },
            { id: 2002, token: 'France', probability: 0.064 },
            { id: 2003, token: 'London', probability: 0.031 },
            { id: 2004, token: 'Marseille', probability: 0.012 },
          ],
        },
      ],
    },
  },
  {
    language: 'zh',
    prompt: ZH.prompt,
    object: ZH.object,
    prediction: {
      probability: 0.183,
      slots: [
        {
          position: 7,
          tokenId: 3001,
          token: '巴',
          probability: 0.61,
          top: [
            { id: 3005, token: '北', probability: 0.21 },
            { id: 3001, token: '巴', probability: 0.61 },
            { id: 3006, token: '里', probability: 0.05 },
          ].sort((a, b) => b.probability - a.probability),
        },
        {
          position: 8,
          tokenId: 3002,
          token: '黎',
          probability: 0.3,
          top: [
            { id: 3007, token: '京', probability: 0.44 },
            { id: 3008, token: '斯', probability: 0.11 },
            { id: 3009, token: '林', probability: 0.04 },
          ],
        },
      ],
    },
  },
];

/** What the app would compute from the value vector: a fixed list per neuron. */
export function tokenLogits(layer: number, unit: number) {
  const rnd = mulberry32(layer * 100_003 + unit);
  const vocab = [
    '▁Paris',
    'Paris',
    '巴黎',
    '▁capital',
    '##is',
    'Lyon',
    '首都',
    '▁France',
    'Ġthe',
    '▁city',
  ];
  const promoted = vocab
    .map((token) => ({ token, logit: +(2 + 6 * rnd()).toFixed(2) }))
    .sort((a, b) => b.logit - a.logit)
    .slice(0, 6);
  const demoted = ['▁Berlin', 'Tokyo', '东京', '▁not']
    .map((token) => ({ token, logit: -+(1 + 4 * rnd()).toFixed(2) }))
    .sort((a, b) => a.logit - b.logit);
  return { promoted, demoted };
}
