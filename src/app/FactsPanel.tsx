/** Step 2, the facts: typed in, uploaded or pasted, or taken from the bundled fact set. */
import { type ReactNode, useState } from 'react';
import type { Fact } from '../facts';
import { FactForm } from './FactForm';
import { FactList, type PromptState } from './FactList';
import { FactSetPicker } from './FactSetPicker';
import { FactUpload } from './FactUpload';
import type { Action } from './state';

/** <details> whose content mounts when first opened (the fact set is fetched only then). */
function Disclosure({
  summary,
  testId,
  children,
}: {
  summary: string;
  testId: string;
  children: ReactNode;
}) {
  const [opened, setOpened] = useState(false);
  return (
    <details
      className="more"
      onToggle={(e) => e.currentTarget.open && setOpened(true)}
      data-testid={testId}
    >
      <summary>{summary}</summary>
      {opened && children}
    </details>
  );
}

export function FactsPanel({
  facts,
  shown,
  stateOf,
  dispatch,
}: {
  facts: Fact[];
  shown: string | undefined;
  stateOf: (fact: Fact, index: number) => PromptState;
  dispatch: (a: Action) => void;
}) {
  const add = (added: Fact[]) => dispatch({ type: 'add-facts', facts: added });
  // The facts "Remove all facts" took, until they are put back or others are added.
  const [removed, setRemoved] = useState<Fact[]>([]);
  const clear = () => {
    setRemoved(facts);
    dispatch({ type: 'clear-facts' });
  };
  const undoClear = () => {
    add(removed);
    setRemoved([]);
  };
  // The reducer makes ids unique; this only has to be readable.
  const nextId = () => `fact-${facts.length + 1}`;
  return (
    <section className="panel" aria-labelledby="facts-heading" data-testid="facts-panel">
      <h2 id="facts-heading">Facts</h2>
      <div className="facts-layout">
        <div>
          <h3>Write a fact</h3>
          <p className="note">
            One prompt per language: the same fact in English and Chinese lets you compare where
            each language keeps it.
          </p>
          <FactForm onAdd={(f) => add([f])} nextId={nextId} />
          <Disclosure summary="Upload or paste facts" testId="more-upload">
            <FactUpload onAdd={add} />
          </Disclosure>
          <Disclosure summary="Take a fact from the bundled fact set" testId="more-factset">
            <FactSetPicker onAdd={add} />
          </Disclosure>
        </div>
        <div>
          <h3>
            Your facts <span className="note">({facts.length})</span>
          </h3>
          <FactList
            facts={facts}
            shown={shown}
            stateOf={stateOf}
            onShow={(id) => dispatch({ type: 'select', factId: id })}
            onRemove={(id) => dispatch({ type: 'remove-fact', id })}
            onClear={clear}
          />
          {removed.length > 0 && facts.length === 0 && (
            <p className="note" role="status" data-testid="facts-removed">
              Removed {removed.length} fact{removed.length === 1 ? '' : 's'}.{' '}
              <button type="button" onClick={undoClear} data-testid="undo-remove-all">
                Undo
              </button>
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
