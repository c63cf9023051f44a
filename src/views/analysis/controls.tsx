/**
 * The scope of the dataset views (all relations, or one): its picker and how it reads. The
 * controls every view uses are in ../kit/controls.
 */
import { useId } from 'react';
import { formatCount } from '../format';
import type { Scope } from './viewState';

/** How a relation reads in pickers and figures (facts without one have null). */
export const relationLabel = (relation: string | null): string => relation ?? '(no relation)';

export const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export const scopeLabel = (scope: Scope): string =>
  scope === null ? 'all relations' : `relation ${relationLabel(scope.relation)}`;

/**
 * All relations, or one. The options' values are indices, so any relation id (markup included)
 * stays text.
 */
export function ScopePicker({
  relations,
  value,
  onChange,
  label = 'Relation',
}: {
  /** Relation ids in display order, with how many facts each has when known. */
  relations: readonly { relation: string | null; facts?: number }[];
  value: Scope;
  onChange: (scope: Scope) => void;
  label?: string;
}) {
  const id = useId();
  const current = value === null ? -1 : relations.findIndex((r) => r.relation === value.relation);
  return (
    <div className="kn-field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={current}
        onChange={(e) => {
          const i = Number(e.target.value);
          onChange(i < 0 ? null : { relation: relations[i].relation });
        }}
      >
        <option value={-1}>All relations</option>
        {relations.map((r, i) => (
          <option key={i} value={i}>
            {relationLabel(r.relation)}
            {r.facts !== undefined
              ? ` (${formatCount(r.facts)} fact${r.facts === 1 ? '' : 's'})`
              : ''}
          </option>
        ))}
      </select>
    </div>
  );
}
