/**
 * A language's knowledge neurons as a compact table: neuron, score, share of the map's maximum,
 * and whether every language has it (language-independent). Each neuron is a button that selects
 * it, so the list is also the keyboard route to the strongest neurons.
 */
import { useState } from 'react';
import { formatCount, formatScore } from './format';
import { NeuronButton, isSelected } from './kit/controls';
import type { Neuron, ScoredNeuron } from './types';
import { ValueBar } from './ValueBar';

export interface KnowledgeNeuronListProps {
  language: string;
  /** Strongest first (as selectNeurons returns them). */
  neurons: readonly ScoredNeuron[];
  /** The map's maximum score: the first bar's length. */
  maxScore: number;
  /** Keys `layer:unit` of the neurons every language shares, marked "all". */
  shared?: ReadonlySet<string>;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  /** Rows shown before "Show all" (12). */
  limit?: number;
  /**
   * Of a paraphrase-refined map: how many paraphrases there are. Adds a column with how many of
   * their sets hold each neuron (the neurons' `count`).
   */
  paraphrases?: number;
}

const countOf = (n: ScoredNeuron): number | undefined =>
  'count' in n && typeof n.count === 'number' ? n.count : undefined;

export function KnowledgeNeuronList({
  language,
  neurons,
  maxScore,
  shared,
  selected,
  onSelectNeuron,
  limit = 12,
  paraphrases,
}: KnowledgeNeuronListProps) {
  const [expanded, setExpanded] = useState(false);
  const rows = expanded ? neurons : neurons.slice(0, limit);
  return (
    <div className="kn-list" data-testid={`kn-list-${language}`}>
      <table>
        <caption>
          {language}: {formatCount(neurons.length)} knowledge neuron
          {neurons.length === 1 ? '' : 's'}
          {paraphrases !== undefined && `, refined over ${paraphrases} paraphrases`}
        </caption>
        {rows.length > 0 && (
          <thead>
            <tr>
              <th scope="col">neuron</th>
              <th scope="col">score</th>
              <th scope="col">of max</th>
              {paraphrases !== undefined && (
                <th scope="col" title="How many of the paraphrases' sets hold the neuron">
                  paraphrases
                </th>
              )}
              {shared && <th scope="col">shared</th>}
            </tr>
          </thead>
        )}
        <tbody>
          {rows.map((n) => {
            const key = `${n.layer}:${n.unit}`;
            return (
              <tr key={key} className={isSelected(n, selected) ? 'kn-row-selected' : undefined}>
                <td>
                  <NeuronButton neuron={n} selected={selected} onSelectNeuron={onSelectNeuron} />
                </td>
                <td className="kn-num">{formatScore(n.score)}</td>
                <td className="kn-num">
                  <ValueBar value={n.score} extent={[0, maxScore]} width={56} />{' '}
                  {Math.round((n.score / maxScore) * 100)}%
                </td>
                {paraphrases !== undefined && (
                  <td className="kn-num" data-testid="kn-stability">
                    {countOf(n) ?? '?'} of {paraphrases}
                  </td>
                )}
                {shared && (
                  <td>{shared.has(key) && <span className="kn-badge">all languages</span>}</td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {neurons.length > limit && (
        <button type="button" className="kn-more" onClick={() => setExpanded(!expanded)}>
          {expanded ? `Show the first ${limit}` : `Show all ${formatCount(neurons.length)}`}
        </button>
      )}
    </div>
  );
}
