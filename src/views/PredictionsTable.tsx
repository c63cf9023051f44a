/**
 * What the model predicts at the object's slots, per language: the top-k tokens with their
 * probabilities, the object's token highlighted (and added below the list when it is not among
 * the top k), and P(object) for the whole object.
 */
import type { Prediction } from '../attribution/predict';
import { formatProbability } from './format';
import { type TokenLike, TokenText } from './TokenText';
import { NEUTRAL, ValueBar } from './ValueBar';

export interface PredictionRow {
  language: string;
  prompt: string;
  object: string;
  prediction: Prediction;
}

export interface PredictionsTableProps {
  rows: readonly PredictionRow[];
  /** Tokens shown per slot (all the prediction has when left out). */
  topK?: number;
}

export function PredictionsTable({ rows, topK }: PredictionsTableProps) {
  return (
    <div className="kn-predictions" data-testid="predictions">
      {rows.map((row) => (
        <section
          key={row.language}
          className="kn-prediction"
          aria-label={`Predictions, ${row.language}`}
        >
          <h4>
            <span className="kn-lang">{row.language}</span> {row.prompt}
          </h4>
          <p className="kn-muted">
            object <strong>{row.object}</strong> · P(object) ={' '}
            {formatProbability(row.prediction.probability)}
            {row.prediction.slots.length > 1 &&
              ` (product over ${row.prediction.slots.length} tokens)`}
          </p>
          {row.prediction.slots.map((slot, s) => {
            const top = slot.top.slice(0, topK ?? slot.top.length);
            const rank = slot.top.findIndex((t) => t.id === slot.tokenId);
            const inTop = rank >= 0 && rank < top.length;
            return (
              <table key={s} className="kn-table">
                {row.prediction.slots.length > 1 && (
                  <caption>
                    token {s + 1} of {row.prediction.slots.length}: object token{' '}
                    <TokenText token={{ id: slot.tokenId, ...slot }} lang={row.language} />
                  </caption>
                )}
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">token</th>
                    <th scope="col">probability</th>
                    <th scope="col">
                      <span className="kn-sr-only">bar</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {top.map((t, i) => (
                    <TokenRow
                      key={t.id}
                      rank={i + 1}
                      token={t}
                      lang={row.language}
                      probability={t.probability}
                      isObject={t.id === slot.tokenId}
                    />
                  ))}
                  {!inTop && (
                    <TokenRow
                      rank={rank >= 0 ? rank + 1 : undefined}
                      token={{ id: slot.tokenId, token: slot.token, text: slot.text }}
                      lang={row.language}
                      probability={slot.probability}
                      isObject
                    />
                  )}
                </tbody>
              </table>
            );
          })}
        </section>
      ))}
    </div>
  );
}

function TokenRow({
  rank,
  token,
  lang,
  probability,
  isObject,
}: {
  /** Undefined: the object's token is below the top k and its rank is unknown. */
  rank: number | undefined;
  token: TokenLike;
  lang: string;
  probability: number;
  isObject: boolean;
}) {
  return (
    <tr className={isObject ? 'kn-row-object' : undefined} data-object={isObject || undefined}>
      <td className="kn-num">{rank ?? '…'}</td>
      <td>
        <TokenText token={token} lang={lang} />
        {isObject && <span className="kn-badge">object</span>}
      </td>
      <td className="kn-num">{formatProbability(probability)}</td>
      <td>
        <ValueBar value={probability} extent={[0, 1]} color={NEUTRAL} />
      </td>
    </tr>
  );
}
