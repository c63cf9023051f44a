/**
 * Facts from the bundled English/Chinese fact set (data/factset): pick a relation, then a
 * subject; the fact comes with its prompt in every language of the set. The set is fetched
 * the first time the picker opens.
 */
import { useEffect, useMemo, useState } from 'react';
import type { Fact, FactSet } from '../facts';
import { errorText } from './errors';
import { bundledFactSet } from './factset';

export function FactSetPicker({ onAdd }: { onAdd: (facts: Fact[]) => void }) {
  const [set, setSet] = useState<FactSet>();
  const [error, setError] = useState<string>();
  const [relation, setRelation] = useState('');
  const [factId, setFactId] = useState('');

  useEffect(() => {
    bundledFactSet().then(
      (s) => {
        setSet(s);
        setRelation(s.relations[0]?.id ?? '');
      },
      (e: unknown) => setError(`The bundled fact set could not be loaded: ${errorText(e)}`),
    );
  }, []);

  const facts = useMemo(
    () => set?.facts.filter((f) => f.relation === relation) ?? [],
    [set, relation],
  );
  const chosen = facts.find((f) => f.id === factId) ?? facts[0];
  const label = (f: Fact) => {
    const en = f.prompts.find((p) => p.language === 'en');
    return en ? `${en.subject ?? f.subject} → ${en.object}` : (f.subject ?? f.id);
  };

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!set) return <p className="note">Loading the fact set…</p>;
  return (
    <div className="row wrap factset-picker">
      <label>
        Relation
        <select
          value={relation}
          onChange={(e) => {
            setRelation(e.target.value);
            setFactId('');
          }}
          data-testid="factset-relation"
        >
          {set.relations.map((r) => (
            <option key={r.id} value={r.id}>
              {r.id} · {r.label.en ?? r.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Fact
        <select
          value={chosen?.id ?? ''}
          onChange={(e) => setFactId(e.target.value)}
          data-testid="factset-fact"
        >
          {facts.map((f) => (
            <option key={f.id} value={f.id}>
              {label(f)}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        disabled={!chosen}
        onClick={() => chosen && onAdd([{ ...chosen, prompts: [...chosen.prompts] }])}
        data-testid="factset-add"
      >
        Add this fact ({set.languages.join(' + ')})
      </button>
    </div>
  );
}
