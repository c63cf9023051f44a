/**
 * One neuron in detail: its attribution for each fact and language the app has maps of, and the
 * vocabulary tokens its value vector (its row of the FFN output projection, read through the
 * unembedding) promotes and demotes, with logits. Data in, nothing computed but bar lengths.
 */
import { formatScore, neuronLabel, neuronSpoken } from './format';
import type { Neuron } from './types';
import { type TokenLike, TokenText } from './TokenText';
import { NEUTRAL, ValueBar, barExtent } from './ValueBar';

export interface NeuronFactScore {
  /** The fact, as the app names it (a prompt, or subject and relation). */
  fact: string;
  language: string;
  score: number;
  /** The map's maximum score and tau: when both are given, the row says if this is a KN. */
  maxScore?: number;
  tau?: number;
  /**
   * Of a paraphrase-refined map: how many of the paraphrases' sets at tau hold the neuron, and
   * whether the refinement at share p kept it (this replaces the one-map test above).
   */
  stability?: { count: number; paraphrases: number; kept: boolean; p: number };
}

export interface TokenLogit extends TokenLike {
  logit: number;
}

export interface NeuronPanelProps {
  neuron: Neuron;
  model?: string;
  /** The neuron's scores across facts and languages; rows of one fact are grouped. */
  scores: readonly NeuronFactScore[];
  /** Tokens its value vector promotes most, strongest first. */
  promoted: readonly TokenLogit[];
  /** Tokens it demotes most (most negative logit first). */
  demoted?: readonly TokenLogit[];
  onClose?: () => void;
}

const isKnowledge = (s: NeuronFactScore) =>
  s.maxScore !== undefined && s.tau !== undefined && s.score > 0 && s.score > s.tau * s.maxScore;

export function NeuronPanel({
  neuron,
  model,
  scores,
  promoted,
  demoted,
  onClose,
}: NeuronPanelProps) {
  const facts = [...new Set(scores.map((s) => s.fact))];
  const extent = barExtent(scores.map((s) => s.score));
  return (
    <section
      className="kn-panel"
      aria-label={`Neuron ${neuronSpoken(neuron)}`}
      data-testid="neuron-panel"
    >
      <header className="kn-panel-header">
        <h3>
          Neuron {neuronLabel(neuron)}
          {model && <span className="kn-panel-model"> · {model}</span>}
        </h3>
        {onClose && (
          <button type="button" onClick={onClose} aria-label="Close the neuron panel">
            ×
          </button>
        )}
      </header>
      <table className="kn-table">
        <caption>Attribution score by fact and language</caption>
        <thead>
          <tr>
            <th scope="col">language</th>
            <th scope="col">score</th>
            <th scope="col">
              <span className="kn-sr-only">bar</span>
            </th>
            <th scope="col">knowledge neuron</th>
          </tr>
        </thead>
        {facts.map((fact) => (
          <tbody key={fact}>
            <tr>
              <th scope="rowgroup" colSpan={4} className="kn-group">
                {fact}
              </th>
            </tr>
            {scores
              .filter((s) => s.fact === fact)
              .map((s) => (
                <tr key={s.language}>
                  <td>{s.language}</td>
                  <td className="kn-num">{formatScore(s.score)}</td>
                  <td>
                    <ValueBar value={s.score} extent={extent} />
                  </td>
                  <td>
                    {s.stability ? (
                      <span
                        className={s.stability.kept ? 'kn-badge' : 'kn-muted'}
                        data-testid="neuron-stability"
                      >
                        {s.stability.kept ? 'yes' : 'no'}, in {s.stability.count} of{' '}
                        {s.stability.paraphrases} paraphrases (p = {s.stability.p}, τ = {s.tau})
                      </span>
                    ) : isKnowledge(s) ? (
                      <span className="kn-badge">yes, τ = {s.tau}</span>
                    ) : s.tau !== undefined && s.maxScore !== undefined ? (
                      <span className="kn-muted">no</span>
                    ) : null}
                  </td>
                </tr>
              ))}
          </tbody>
        ))}
      </table>
      <TokenTable title="Promotes" tokens={promoted} />
      {demoted && demoted.length > 0 && <TokenTable title="Demotes" tokens={demoted} />}
    </section>
  );
}

function TokenTable({ title, tokens }: { title: string; tokens: readonly TokenLogit[] }) {
  const extent = barExtent(tokens.map((t) => t.logit));
  return (
    <table className="kn-table">
      <caption>{title}: vocabulary tokens by the logit of its value vector</caption>
      <thead>
        <tr>
          <th scope="col">token</th>
          <th scope="col">logit</th>
          <th scope="col">
            <span className="kn-sr-only">bar</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((t, i) => (
          <tr key={i}>
            <td>
              <TokenText token={t} />
            </td>
            <td className="kn-num">{formatScore(t.logit)}</td>
            <td>
              <ValueBar value={t.logit} extent={extent} color={t.logit < 0 ? undefined : NEUTRAL} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
