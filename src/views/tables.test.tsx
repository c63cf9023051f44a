import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Prediction } from '../attribution/predict';
import { KnowledgeNeuronList } from './KnowledgeNeuronList';
import { NeuronPanel } from './NeuronPanel';
import { PredictionsTable } from './PredictionsTable';

const rowsOf = (html: string) => html.split('<tr').slice(1);

describe('KnowledgeNeuronList', () => {
  const neurons = Array.from({ length: 15 }, (_, i) => ({
    layer: 11 - (i % 12),
    unit: i,
    score: 1 - i / 20,
  }));

  it('lists the strongest first, with score, share of the max and the shared badge', () => {
    const html = renderToStaticMarkup(
      <KnowledgeNeuronList
        language="en"
        neurons={neurons}
        maxScore={1}
        shared={new Set(['11:0'])}
        selected={{ layer: 10, unit: 1 }}
      />,
    );
    expect(html).toContain('en: 15 knowledge neurons');
    const rows = rowsOf(html).slice(1); // after the header
    expect(rows).toHaveLength(12); // the limit
    expect(rows[0]).toContain('L11 · u0');
    expect(rows[0]).toContain('100%');
    expect(rows[0]).toContain('all languages');
    expect(rows[1]).not.toContain('all languages');
    expect(rows[1]).toContain('aria-pressed="true"');
    expect(rows[1]).toContain('95%');
    expect(html).toContain('Show all 15');
  });

  it('says when there are none', () => {
    const html = renderToStaticMarkup(
      <KnowledgeNeuronList language="zh" neurons={[]} maxScore={0} />,
    );
    expect(html).toContain('zh: 0 knowledge neurons');
    expect(html).not.toContain('<thead');
  });
});

describe('NeuronPanel', () => {
  const html = renderToStaticMarkup(
    <NeuronPanel
      neuron={{ layer: 10, unit: 301 }}
      model="mbert"
      scores={[
        { fact: 'capital of France', language: 'en', score: 0.035, maxScore: 0.042, tau: 0.3 },
        { fact: 'capital of France', language: 'zh', score: 0.001, maxScore: 0.03, tau: 0.2 },
        { fact: 'capital of Japan', language: 'en', score: -0.01 },
      ]}
      promoted={[
        { token: '▁Paris', logit: 7.5 },
        { token: '<script>x</script>', logit: 3 },
      ]}
      demoted={[{ token: 'Berlin', logit: -4 }]}
    />,
  );

  it('groups the scores by fact and says which are knowledge neurons', () => {
    expect(html).toContain('Neuron L10 · u301');
    expect(html).toContain('scope="rowgroup"');
    expect(count(html, /<tbody>/g)).toBe(4); // two facts, promotes, demotes
    expect(html).toContain('yes, τ = 0.3');
    expect(html).toMatch(/zh<\/td><td class="kn-num">0.001<\/td>.*?>no</);
    expect(html).toContain('−0.01'); // a negative score, drawn leftwards
  });

  it('lists promoted and demoted tokens with logits, escaped', () => {
    expect(html).toContain('Promotes: vocabulary tokens');
    expect(html).toContain('Demotes: vocabulary tokens');
    expect(html).toContain('▁Paris');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<script');
  });
});

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('PredictionsTable', () => {
  const prediction: Prediction = {
    probability: 0.42 * 0.3,
    slots: [
      {
        position: 6,
        tokenId: 1,
        token: 'Par',
        probability: 0.42,
        top: [
          { id: 2, token: 'Lyon', probability: 0.5 },
          { id: 1, token: 'Par', probability: 0.42 },
        ],
      },
      {
        position: 7,
        tokenId: 9,
        token: 'is',
        probability: 0.003,
        top: [
          { id: 3, token: 'on', probability: 0.6 },
          { id: 4, token: 'ly', probability: 0.2 },
          { id: 5, token: 'x', probability: 0.1 },
        ],
      },
    ],
  };

  it('highlights the object token in the top k', () => {
    const html = renderToStaticMarkup(
      <PredictionsTable
        rows={[
          { language: 'en', prompt: 'The capital is [MASK][MASK].', object: 'Paris', prediction },
        ]}
      />,
    );
    const first = html.slice(0, html.indexOf('token 2 of 2'));
    const objectRows = rowsOf(first).filter((r) => r.includes('data-object="true"'));
    expect(objectRows).toHaveLength(1);
    expect(objectRows[0]).toContain('Par');
    expect(objectRows[0]).toContain('42.0%');
    expect(html.replace(/<[^>]+>/g, '')).toContain('P(object) = 12.6% (product over 2 tokens)');
  });

  it('adds the object token below the top k when it is not among them', () => {
    const html = renderToStaticMarkup(
      <PredictionsTable
        rows={[{ language: 'en', prompt: 'p', object: 'Paris', prediction }]}
        topK={2}
      />,
    );
    const second = html.slice(html.indexOf('token 2 of 2'));
    const rows = rowsOf(second).slice(1);
    expect(rows).toHaveLength(3); // two of the top k, then the object
    expect(rows[2]).toContain('data-object="true"');
    expect(rows[2]).toContain('…'); // rank unknown
    expect(rows[2]).toContain('0.3%');
  });

  it('shows byte-level tokens decoded, their spaces visible, id and entry in the tooltip', () => {
    const gpt: Prediction = {
      probability: 0.2,
      slots: [
        {
          position: 3,
          tokenId: 347,
          token: 'ĠB',
          text: ' B',
          probability: 0.2,
          top: [
            { id: 347, token: 'ĠB', text: ' B', probability: 0.2 },
            { id: 900, token: 'æŁıæŀĹ', text: '柏林', probability: 0.1 },
          ],
        },
      ],
    };
    const html = renderToStaticMarkup(
      <PredictionsTable
        rows={[{ language: 'en', prompt: 'p', object: 'Berlin', prediction: gpt }]}
      />,
    );
    const text = html.replace(/<[^>]+>/g, '');
    expect(text).toContain('␣B');
    expect(text).toContain('柏林');
    expect(text).not.toMatch(/ĠB|æŁı/);
    expect(html).toContain('title="token id 900 · vocabulary entry “æŁıæŀĹ”"');
  });

  it('keeps user text as text', () => {
    const html = renderToStaticMarkup(
      <PredictionsTable
        rows={[
          { language: '<b>x</b>', prompt: '<img src=x onerror=alert(1)>', object: '&', prediction },
        ]}
      />,
    );
    expect(html).not.toMatch(/<img|<b>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
