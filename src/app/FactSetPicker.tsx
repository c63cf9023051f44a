/**
 * Facts from the bundled English/Chinese fact set (data/factset): pick a relation, then a
 * subject (in the order of their English names, narrowed by a search over every language's
 * subject and object); the fact comes with its prompt in every language of the set, or with one
 * prompt per template of its relation (the paraphrases) on request. The set is fetched the first
 * time the picker opens.
 */
import { useEffect, useMemo, useState } from 'react';
import { type Fact, type FactSet, withParaphrases } from '../facts';
import { errorText } from './errors';
import { bundledFactSet } from './factset';

/** "France → Paris": the English subject and object, else the first language's. */
function factLabel(f: Fact): string {
  const p = f.prompts.find((x) => x.language === 'en') ?? f.prompts[0];
  return p ? `${p.subject ?? f.subject ?? f.id} → ${p.object}` : (f.subject ?? f.id);
}

export function FactSetPicker({ onAdd }: { onAdd: (facts: Fact[]) => void }) {
  const [set, setSet] = useState<FactSet>();
  const [error, setError] = useState<string>();
  const [relation, setRelation] = useState('');
  const [factId, setFactId] = useState('');
  const [search, setSearch] = useState('');
  const [paraphrases, setParaphrases] = useState(false);

  useEffect(() => {
    bundledFactSet().then(
      (s) => {
        setSet(s);
        setRelation(s.relations[0]?.id ?? '');
      },
      (e: unknown) => setError(`The bundled fact set could not be loaded: ${errorText(e)}`),
    );
  }, []);

  const facts = useMemo(() => {
    const needle = search.trim().toLocaleLowerCase();
    const matches = (f: Fact) =>
      needle === '' ||
      f.prompts.some((p) =>
        [p.subject ?? '', p.object].some((s) => s.toLocaleLowerCase().includes(needle)),
      );
    return (set?.facts.filter((f) => f.relation === relation && matches(f)) ?? []).sort((a, b) =>
      factLabel(a).localeCompare(factLabel(b), 'en'),
    );
  }, [set, relation, search]);
  const chosen = facts.find((f) => f.id === factId) ?? facts[0];
  const templates = set?.relations.find((r) => r.id === relation)?.templates ?? {};
  const templateCounts = Object.entries(templates)
    .map(([language, forms]) => `${forms.length} ${language}`)
    .join(', ');

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
        Search
        <input
          type="search"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setFactId('');
          }}
          placeholder="subject or object, any language"
          spellCheck={false}
          data-testid="factset-search"
        />
      </label>
      <label>
        Fact{search.trim() ? ` (${facts.length} found)` : ''}
        <select
          value={chosen?.id ?? ''}
          onChange={(e) => setFactId(e.target.value)}
          data-testid="factset-fact"
        >
          {facts.map((f) => (
            <option key={f.id} value={f.id}>
              {factLabel(f)}
            </option>
          ))}
        </select>
      </label>
      <label className="kn-radio">
        <input
          type="checkbox"
          checked={paraphrases}
          onChange={(e) => setParaphrases(e.target.checked)}
          data-testid="factset-paraphrases"
        />
        with its paraphrases ({templateCounts} templates)
      </label>
      <button
        type="button"
        disabled={!chosen}
        title={chosen ? undefined : 'No fact of this relation matches the search'}
        onClick={() =>
          chosen &&
          onAdd([
            paraphrases
              ? withParaphrases(chosen, templates)
              : { ...chosen, prompts: [...chosen.prompts] },
          ])
        }
        data-testid="factset-add"
      >
        Add this fact ({set.languages.join(' + ')})
      </button>
    </div>
  );
}
