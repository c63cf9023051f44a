import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { NeuronMapSvg, NeuronMapsSvg } from './NeuronMapSvg';
import { plantedMap } from './testData';

/**
 * Checks that markup is well-formed XML as far as an SVG file needs: tags balance, attributes are
 * quoted, and '<' and '&' appear only as markup or entities. (The e2e test parses exports with
 * the browser's XML parser too.)
 */
function expectWellFormed(markup: string) {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < markup.length) {
    const lt = markup.indexOf('<', i);
    const text = markup.slice(i, lt < 0 ? markup.length : lt);
    expect(text).not.toMatch(/&(?![a-z]+;|#x?[0-9a-f]+;)/i);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(markup);
    expect(m, `a well-formed tag at ${markup.slice(lt, lt + 60)}`).not.toBeNull();
    const [whole, close, name, , selfClose] = m!;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name);
    i = lt + whole.length;
  }
  expect(stack).toEqual([]);
}

const count = (markup: string, re: RegExp) => (markup.match(re) ?? []).length;
const group = (markup: string, role: string) => {
  const start = markup.indexOf(`data-role="${role}"`);
  expect(start, `a ${role} group`).toBeGreaterThan(0);
  let depth = 0;
  const tags = /<(\/?)g\b[^>]*>/g;
  tags.lastIndex = markup.lastIndexOf('<g', start);
  for (let m = tags.exec(markup); m; m = tags.exec(markup)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return markup.slice(start, m.index);
  }
  throw new Error(`unclosed ${role} group`);
};

// 4 layers x 32 units; tau 0.3 of 1.0 selects the 1.0, 0.8 and 0.31 neurons.
const planted: [number, number, number][] = [
  [3, 5, 1],
  [2, 17, 0.8],
  [1, 30, 0.31],
  [0, 0, 0.29],
  [1, 1, -0.9],
];
const map = plantedMap(4, 32, planted);

describe('NeuronMapSvg', () => {
  const markup = renderToStaticMarkup(<NeuronMapSvg map={map} language="en" tau={0.3} />);

  it('is a standalone, well-formed SVG with no ids to collide and no CSS classes', () => {
    expect(markup).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expectWellFormed(markup);
    expect(markup).not.toMatch(/\sid="/);
    expect(markup).not.toMatch(/\sclass="/);
    expect(markup).toContain('font-family="sans-serif"');
  });

  it('draws every neuron at full resolution: the cells cover layers x units', () => {
    const cells = group(markup, 'cells');
    const widths = [...cells.matchAll(/<rect x="[^"]+" y="([^"]+)" width="([^"]+)"/g)];
    expect(widths.length).toBeGreaterThanOrEqual(planted.length);
    // Per row (layer), the run widths add up to the plot's width: every unit is drawn.
    const rows = new Map<string, number>();
    for (const [, y, w] of widths) rows.set(y, (rows.get(y) ?? 0) + Number(w));
    expect(rows.size).toBe(4);
    const plotWidth = [...rows.values()][0];
    for (const w of rows.values()) expect(w).toBeCloseTo(plotWidth, 6);
    expect(markup).toContain('Each cell is one neuron (layer × FFN unit); 32 units shown.');
  });

  it('rings the knowledge neurons at tau, and re-marks when tau changes', () => {
    const rings = (tau: number) =>
      count(
        group(renderToStaticMarkup(<NeuronMapSvg map={map} language="en" tau={tau} />), 'markers'),
        /<circle/g,
      ) / 2; // each ring is a halo and a stroke
    expect(rings(0.3)).toBe(3);
    expect(rings(0.9)).toBe(1);
    expect(rings(0.2)).toBe(4);
    expect(rings(1)).toBe(0);
  });

  it('rings a paraphrase-refined selection instead, faded by stability, and says so', () => {
    const refined = {
      p: 0.5,
      paraphrases: 3,
      neurons: [
        { layer: 3, unit: 5, score: 1, count: 3, stability: 1 },
        { layer: 0, unit: 0, score: 0.3, count: 2, stability: 2 / 3 },
      ],
    };
    const svg = renderToStaticMarkup(
      <NeuronMapSvg map={map} language="en" tau={0.3} refined={refined} />,
    );
    const markers = group(svg, 'markers');
    // The refined two, not the map's own three at tau.
    expect(count(markers, /<circle/g) / 2).toBe(2);
    expect(markers).toContain('data-stability="1"');
    expect(markers).toMatch(/opacity="0\.66+7?"/);
    expect(svg).toContain('paraphrase-refined, p = 0.5: 2 knowledge neurons');
    expect(svg).toContain('2 knowledge neurons in more than 50 % of the 3');
    expect(svg).toContain('Ring opacity: the share of the paraphrases whose set holds the neuron.');
    // No single cut on the shown map: the legend has no τ × max mark.
    expect(svg).not.toContain('>τ × max<');
  });

  it('has a legend with ticks, the threshold and the method', () => {
    expect(markup).toContain('Attribution score (AMIG)');
    for (const tick of ['−1', '−0.5', '>0<', '0.5', '>1<']) expect(markup).toContain(tick);
    expect(markup).toContain('τ × max');
    expect(markup).toContain('knowledge neurons, score &gt; τ × max = 0.3 (τ = 0.3): 3');
  });

  it('shortens the legend title to keep room for the threshold key', () => {
    const sqrt = renderToStaticMarkup(
      <NeuronMapSvg map={map} language="en" tau={0.3} transform="sqrt" />,
    );
    expect(sqrt).toContain('>Score (AMIG, √ scale)<');
    const narrow = renderToStaticMarkup(
      <NeuronMapSvg map={map} language="en" tau={0.3} width={400} />,
    );
    expect(narrow).toContain('>Score (AMIG)<');
  });

  it('has axis labels and a caption with model, fact, method, m and tau', () => {
    expect(markup).toContain('>Layer<');
    expect(markup).toContain('FFN unit (32 per layer)');
    expect(markup).toContain(
      'tiny-bert · AMIG, m = 20 · τ = 0.3 (en) · 3 knowledge neurons (score &gt; τ × max)',
    );
    expect(markup).toContain('Fact (en): The capital of France is [MASK]. → Paris');
    expect(markup).toContain('Colour: reversed RdBu, symmetric around 0, ±1');
  });

  it('bins large maps by maximum, keeps their knowledge neurons, and says so', () => {
    const big = plantedMap(24, 8192, [
      [20, 5000, 1],
      [3, 8191, 0.5],
    ]);
    const svg = renderToStaticMarkup(
      <NeuronMapSvg map={big} language="en" tau={0.3} maxColumns={512} />,
    );
    expect(svg).toContain(
      'Units 0–8,191 in 512 columns: each cell is the maximum score over up to 16 adjacent units.',
    );
    expect(count(group(svg, 'cells'), /<rect/g)).toBeLessThanOrEqual(24 * 512);
    expect(count(group(svg, 'markers'), /<circle/g)).toBe(4);
    expectWellFormed(svg);
  });

  it('shows a zoomed range, with the axis saying which units', () => {
    const svg = renderToStaticMarkup(
      <NeuronMapSvg map={map} language="en" tau={0.3} range={{ start: 10, end: 20 }} />,
    );
    expect(svg).toContain('FFN unit (units 10–19 of 32)');
    expect(count(group(svg, 'markers'), /<circle/g)).toBe(2); // only 2:17 is in the range
  });

  it('outlines the selected neuron', () => {
    const svg = renderToStaticMarkup(
      <NeuronMapSvg map={map} language="en" tau={0.3} selected={{ layer: 2, unit: 17 }} />,
    );
    expect(svg).toContain('data-role="selected"');
    expect(markup).not.toContain('data-role="selected"');
  });

  it('escapes user text: markup in a prompt, object, model or language stays text', () => {
    const hostile = plantedMap(2, 8, [[1, 1, 1]], {
      model: '<i>m</i>',
      prompt: '<script>alert("x")</script> & [MASK]',
      object: '<img src=x onerror=alert(1)>',
    });
    const svg = renderToStaticMarkup(
      <NeuronMapSvg map={hostile} language="<b>xx</b>" tau={0.3} width={1200} />,
    );
    expect(svg).not.toMatch(/<script|<img|<i>|<b>/);
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; [MASK]');
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expectWellFormed(svg);
  });
});

describe('NeuronMapsSvg', () => {
  it('stacks one map per language into one figure', () => {
    const zh = plantedMap(4, 32, [[3, 5, 0.5]], { prompt: '法国的首都是[MASK]。', object: '巴黎' });
    const svg = renderToStaticMarkup(
      <NeuronMapsSvg
        maps={[
          { map, language: 'en', tau: 0.3, domain: 1 },
          { map: zh, language: 'zh', tau: 0.2, domain: 1 },
        ]}
        scaleMode="common"
      />,
    );
    expectWellFormed(svg);
    expect(count(svg, /data-role="cells"/g)).toBe(2);
    expect(svg).toContain('Fact (zh): 法国的首都是[MASK]。 → 巴黎');
    expect(svg).toContain('(common to all maps)');
    const height = Number(/^<svg[^>]* height="(\d+)"/.exec(svg)?.[1]);
    const one = renderToStaticMarkup(<NeuronMapSvg map={map} language="en" tau={0.3} />);
    expect(height).toBe(2 * Number(/^<svg[^>]* height="(\d+)"/.exec(one)?.[1]) + 20);
  });

  it('marks the neurons every language shares at the same x on every map, with a key', () => {
    const zh = plantedMap(4, 32, [
      [3, 5, 0.9],
      [0, 20, 0.7],
    ]);
    const svg = renderToStaticMarkup(
      <NeuronMapsSvg
        maps={[
          { map, language: 'en', tau: 0.3 },
          { map: zh, language: 'zh', tau: 0.3 },
        ]}
        shared={[{ layer: 3, unit: 5 }]}
      />,
    );
    expectWellFormed(svg);
    // One dashed guide per map, at one x: the maps share their unit axis.
    const guides = [
      ...svg.matchAll(/data-role="shared-guides"><line x1="([\d.]+)" x2="([\d.]+)"/g),
    ];
    expect(guides).toHaveLength(2);
    expect(new Set(guides.flatMap((g) => [g[1], g[2]])).size).toBe(1);
    // Each map rings it in the shared colour (a halo and a stroke) and says how many there are.
    const rings = [...svg.matchAll(/data-role="shared-markers">(.*?)<\/g><\/g>/g)];
    expect(rings).toHaveLength(2);
    for (const [, ring] of rings) expect(ring).toContain('stroke="#6a3d9a"');
    expect(count(svg, /shared by every language: 1/g)).toBe(2);
    // A single map has no shared marks or key.
    const single = renderToStaticMarkup(<NeuronMapSvg map={map} language="en" tau={0.3} />);
    expect(single).not.toContain('#6a3d9a');
    expect(single).not.toContain('shared by');
  });
});
