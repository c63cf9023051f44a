/** The facts of the session: each with its prompts and whether their maps are ready. */
import type { Fact } from '../facts';
import { factTitle } from './format';

export type PromptState =
  | { kind: 'ready' }
  | { kind: 'pending' }
  | { kind: 'running'; percent: number }
  | { kind: 'error'; message: string };

function StateBadge({ state }: { state: PromptState }) {
  switch (state.kind) {
    case 'ready':
      return <span className="badge badge-ok">map ready</span>;
    case 'pending':
      return <span className="badge">not run</span>;
    case 'running':
      return <span className="badge badge-run">running {state.percent} %</span>;
    case 'error':
      return null; // the message below says it
  }
}

export function FactList({
  facts,
  shown,
  stateOf,
  onShow,
  onRemove,
  onClear,
}: {
  facts: Fact[];
  shown: string | undefined;
  stateOf: (fact: Fact, index: number) => PromptState;
  onShow: (id: string) => void;
  onRemove: (id: string) => void;
  onClear: () => void;
}) {
  if (facts.length === 0)
    return (
      <p className="note">No facts yet: write one, upload some, or take one from the fact set.</p>
    );
  return (
    <div>
      <ul className="fact-list" data-testid="fact-list">
        {facts.map((f) => {
          const current = f.id === shown;
          return (
            <li key={f.id} className={current ? 'fact fact-shown' : 'fact'} data-fact-id={f.id}>
              <div className="row">
                <strong className="grow">
                  {factTitle(f)}
                  {f.relation && <span className="note"> · {f.relation}</span>}
                </strong>
                <button
                  type="button"
                  onClick={() => onShow(f.id)}
                  aria-pressed={current}
                  aria-label={`Show the maps of ${factTitle(f)}`}
                >
                  {current ? 'Shown' : 'Show'}
                </button>
                <button
                  type="button"
                  onClick={() => onRemove(f.id)}
                  aria-label={`Remove ${factTitle(f)}`}
                >
                  Remove
                </button>
              </div>
              <ul className="prompt-list">
                {f.prompts.map((p, i) => {
                  const state = stateOf(f, i);
                  return (
                    <li key={i} data-language={p.language} data-state={state.kind}>
                      <span className="lang">{p.language}</span>{' '}
                      <span lang={p.language}>{p.text}</span> →{' '}
                      <strong lang={p.language}>{p.object}</strong> <StateBadge state={state} />
                      {state.kind === 'error' && (
                        <div className="error" role="alert">
                          {state.message}
                        </div>
                      )}
                    </li>
                  );
                })}
              </ul>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={onClear}>
        Remove all facts
      </button>
    </div>
  );
}
