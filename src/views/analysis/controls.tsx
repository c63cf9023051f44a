/**
 * Small controls the analysis views share: a row of neuron buttons (into the neuron map), a
 * radio group, and the scope picker of the dataset views (all relations, or one).
 */
import { useId } from 'react';
import { neuronKey } from '../../analysis/selection';
import { formatCount, neuronLabel, neuronSpoken } from '../format';
import type { Neuron } from '../types';
import type { Scope } from './viewState';

/** A titled row of neurons, each a button that selects it. */
export function NeuronButtons({
  title,
  neurons,
  selected,
  onSelectNeuron,
  testId,
}: {
  /** Shown before the buttons with the count; left out, the buttons stand alone. */
  title?: string;
  neurons: readonly Neuron[];
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  testId?: string;
}) {
  return (
    <div className="kn-shared" data-testid={testId}>
      {title !== undefined && (
        <>
          <strong>
            {title}: {formatCount(neurons.length)} neuron{neurons.length === 1 ? '' : 's'}
          </strong>{' '}
        </>
      )}
      {neurons.map((n) => {
        const isSelected = selected?.layer === n.layer && selected?.unit === n.unit;
        return (
          <button
            key={neuronKey(n)}
            type="button"
            className="kn-link"
            aria-pressed={isSelected}
            aria-label={`Select ${neuronSpoken(n)}`}
            onClick={() => onSelectNeuron?.(n.layer, n.unit)}
          >
            {neuronLabel(n)}
          </button>
        );
      })}
    </div>
  );
}

export function RadioGroup<T extends string>({
  legend,
  value,
  options,
  onChange,
}: {
  legend: string;
  value: T;
  options: readonly (readonly [T, string])[];
  onChange: (value: T) => void;
}) {
  const name = useId();
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map(([v, label]) => (
        <label key={v} className="kn-radio">
          <input
            type="radio"
            name={name}
            value={v}
            checked={value === v}
            onChange={() => onChange(v)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

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
