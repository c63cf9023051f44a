/**
 * Test-only page that mounts the views with the fixture (e2e/views.spec.ts builds and serves it;
 * it is not part of the app's build). `?case=` picks what to mount: the default fact in two
 * languages, `large` (mGPT's 24 x 8192), or `hostile` (markup in user text).
 */
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../../src/app/styles.css';
import '../../src/views/views.css';
import {
  NeuronMap,
  NeuronMaps,
  NeuronPanel,
  PredictionsTable,
  type LanguageMap,
  type Neuron,
} from '../../src/views';
import { maxScore } from '../../src/views/color';
import {
  EN,
  EN_JAPAN,
  HOSTILE,
  HOSTILE_OBJECT,
  HOSTILE_PROMPT,
  LARGE,
  PREDICTIONS,
  ZH,
  ZH_JAPAN,
  tokenLogits,
} from './fixture';

function panelScores(n: Neuron) {
  const rows = [
    { fact: 'capital of France', language: 'en', map: EN, tau: 0.3 },
    { fact: 'capital of France', language: 'zh', map: ZH, tau: 0.2 },
    { fact: 'capital of Japan', language: 'en', map: EN_JAPAN, tau: 0.3 },
    { fact: 'capital of Japan', language: 'zh', map: ZH_JAPAN, tau: 0.2 },
  ];
  return rows.map(({ fact, language, map, tau }) => ({
    fact,
    language,
    score: map.scores[n.layer * map.units + n.unit],
    maxScore: maxScore(map.scores),
    tau,
  }));
}

function Default() {
  const [taus, setTaus] = useState<Record<string, number>>({ en: 0.3, zh: 0.2 });
  const [selected, setSelected] = useState<Neuron | null>(null);
  const maps: LanguageMap[] = [
    { language: 'en', map: EN, tau: taus.en },
    { language: 'zh', map: ZH, tau: taus.zh },
  ];
  return (
    <>
      <section className="panel">
        <NeuronMaps
          maps={maps}
          onTauChange={(language, tau) => setTaus((t) => ({ ...t, [language]: tau }))}
          selected={selected}
          onSelectNeuron={(layer, unit) => setSelected({ layer, unit })}
          mapWidth={640}
        />
      </section>
      <output data-testid="selected">{selected ? `${selected.layer}:${selected.unit}` : ''}</output>
      <div className="harness-row">
        {selected && (
          <section className="panel">
            <NeuronPanel
              neuron={selected}
              model={EN.model}
              scores={panelScores(selected)}
              {...tokenLogits(selected.layer, selected.unit)}
              onClose={() => setSelected(null)}
            />
          </section>
        )}
        <section className="panel">
          <PredictionsTable rows={PREDICTIONS} topK={4} />
        </section>
      </div>
    </>
  );
}

function Large() {
  const [selected, setSelected] = useState<Neuron | null>(null);
  return (
    <section className="panel">
      <NeuronMaps
        maps={[{ language: 'en', map: LARGE, tau: 0.3 }]}
        onTauChange={() => {}}
        selected={selected}
        onSelectNeuron={(layer, unit) => setSelected({ layer, unit })}
        mapWidth={900}
      />
      <output data-testid="selected">{selected ? `${selected.layer}:${selected.unit}` : ''}</output>
    </section>
  );
}

function Hostile() {
  return (
    <section className="panel">
      <NeuronMaps
        maps={[{ language: '<u>xx</u>', map: HOSTILE, tau: 0.3 }]}
        onTauChange={() => {}}
      />
      <NeuronMap map={HOSTILE} language="<em>yy</em>" tau={0.3} width={480} />
      <NeuronPanel
        neuron={{ layer: 3, unit: 5 }}
        model={HOSTILE.model}
        scores={[{ fact: HOSTILE_PROMPT, language: '<u>xx</u>', score: 0.01 }]}
        promoted={[{ token: '<script>window.__pwned=3</script>', logit: 3 }]}
      />
      <PredictionsTable
        rows={[
          {
            language: '<u>xx</u>',
            prompt: HOSTILE_PROMPT,
            object: HOSTILE_OBJECT,
            prediction: {
              probability: 0.1,
              slots: [
                {
                  position: 1,
                  tokenId: 1,
                  token: HOSTILE_OBJECT,
                  probability: 0.1,
                  top: [{ id: 1, token: HOSTILE_OBJECT, probability: 0.1 }],
                },
              ],
            },
          },
        ]}
      />
    </section>
  );
}

const CASES = { default: Default, large: Large, hostile: Hostile };
const name = new URLSearchParams(window.location.search).get('case') ?? 'default';
const Case = CASES[name as keyof typeof CASES] ?? Default;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <main className="app-main" style={{ maxWidth: 1440 }}>
      <Case />
    </main>
  </StrictMode>,
);
