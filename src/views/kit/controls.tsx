/**
 * Controls the views share: a radio group, and neuron buttons (each selects its neuron in the
 * neuron map), alone or in a titled row.
 */
import { useId } from 'react';
import { neuronKey } from '../../analysis/selection';
import { formatCount, neuronLabel, neuronSpoken } from '../format';
import type { Neuron } from '../types';

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
  const name = useId(); // two groups on a page (two views, two maps) must not merge
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
      {neurons.map((n) => (
        <NeuronButton
          key={neuronKey(n)}
          neuron={n}
          selected={selected}
          onSelectNeuron={onSelectNeuron}
        />
      ))}
    </div>
  );
}

/** Whether `n` is the selected neuron. */
export const isSelected = (n: Neuron, selected: Neuron | null | undefined): boolean =>
  selected?.layer === n.layer && selected?.unit === n.unit;

/** A neuron's label as a button that selects it (pressed while it is the selected one). */
export function NeuronButton({
  neuron,
  selected,
  onSelectNeuron,
}: {
  neuron: Neuron;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
}) {
  return (
    <button
      type="button"
      className="kn-link"
      aria-pressed={isSelected(neuron, selected)}
      aria-label={`Select ${neuronSpoken(neuron)}`}
      onClick={() => onSelectNeuron?.(neuron.layer, neuron.unit)}
    >
      {neuronLabel(neuron)}
    </button>
  );
}
