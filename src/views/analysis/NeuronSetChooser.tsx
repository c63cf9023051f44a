/**
 * Chooses the neurons the intervention lab acts on: a language's KN, the LIKN, a degenerate
 * group (or all of them), or neurons typed by hand. It emits a `NeuronSetChoice`, which names no
 * fact, so the same choice can be run on every fact of a relation; what it selects for the
 * current fact is shown beneath.
 */
import { type ReactNode, useId, useState } from 'react';
import {
  type NeuronSetChoice,
  type NeuronSetSources,
  parseNeuronList,
  resolveNeuronSet,
} from '../../analysis/neuron-sets';
import { formatCount, neuronLabel } from '../format';
import { NeuronButtons } from '../kit/controls';
import type { Neuron } from '../types';

export interface NeuronSetChooserProps {
  sources: NeuronSetSources;
  /** Model shape, to check hand-picked neurons. */
  layers: number;
  units: number;
  value: NeuronSetChoice | null;
  onChange: (choice: NeuronSetChoice) => void;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
}

/**
 * Why a choice cannot run on this model, or undefined: hand-picked neurons (typed, or from a
 * link made on another model) outside its layers and units. Sets resolved from the fact's own
 * analyses are the model's by construction.
 */
export function choiceProblem(
  choice: NeuronSetChoice | null,
  layers: number,
  units: number,
): string | undefined {
  if (choice?.kind !== 'custom') return undefined;
  const outside = choice.neurons.filter((n) => n.layer >= layers || n.unit >= units);
  if (outside.length === 0) return undefined;
  return (
    `${formatCount(outside.length)} of the hand-picked neurons ${outside.length === 1 ? 'is' : 'are'} ` +
    `outside this model (${layers} layers × ${formatCount(units)} units): ` +
    `${outside.map((n) => `${n.layer}:${n.unit}`).join(', ')}. Remove ${outside.length === 1 ? 'it' : 'them'} to run.`
  );
}

/** The neurons a choice selects on this model: only those inside it. */
export function chosenNeurons(
  choice: NeuronSetChoice,
  sources: NeuronSetSources,
  layers: number,
  units: number,
): Neuron[] {
  return resolveNeuronSet(choice, sources).filter((n) => n.layer < layers && n.unit < units);
}

const listText = (neurons: readonly Neuron[]) =>
  neurons.map((n) => `${n.layer}:${n.unit}`).join(', ');

const groupLabel = (group: readonly Neuron[], i: number) =>
  `group ${i + 1}: ${group.map(neuronLabel).join(', ')}`;

export function NeuronSetChooser({
  sources,
  layers,
  units,
  value,
  onChange,
  selected,
  onSelectNeuron,
}: NeuronSetChooserProps) {
  const id = useId();
  const languages = Object.keys(sources.kn);
  const [language, setLanguage] = useState(
    value?.kind === 'kn' ? value.language : (languages[0] ?? ''),
  );
  const [group, setGroup] = useState<number | 'all'>(value?.kind === 'dkn' ? value.group : 'all');
  const [text, setText] = useState(value?.kind === 'custom' ? listText(value.neurons) : '');
  const parsed = parseNeuronList(text, layers, units);
  const customValid = parsed.errors.length === 0 && parsed.neurons.length > 0;
  // The option ticked: the emitted choice's, or one picked that cannot emit yet (hand-picked
  // before anything valid is typed).
  const [picked, setPicked] = useState<NeuronSetChoice['kind'] | null>(null);
  const kind = picked ?? value?.kind ?? null;
  const count = (c: NeuronSetChoice) => formatCount(resolveNeuronSet(c, sources).length);
  const hasGroups = sources.degenerate.length > 0;

  const option = (
    k: NeuronSetChoice['kind'],
    label: ReactNode,
    choice: () => NeuronSetChoice | null,
    disabled = false,
  ) => (
    <label className="kn-choice">
      <input
        type="radio"
        name={id}
        checked={kind === k}
        disabled={disabled}
        onChange={() => {
          setPicked(k);
          const c = choice();
          if (c) onChange(c);
        }}
      />
      {label}
    </label>
  );

  return (
    <fieldset className="kn-chooser" data-testid="neuron-set-chooser">
      <legend>Neurons to intervene on</legend>
      {option(
        'kn',
        <>
          KN of{' '}
          <select
            aria-label="Language of the knowledge neurons"
            value={language}
            onChange={(e) => {
              setLanguage(e.target.value);
              onChange({ kind: 'kn', language: e.target.value });
            }}
          >
            {languages.map((l) => (
              <option key={l} value={l}>
                {l} ({count({ kind: 'kn', language: l })})
              </option>
            ))}
          </select>
        </>,
        () => ({ kind: 'kn', language }),
        languages.length === 0,
      )}
      {option(
        'likn',
        <>LIKN, in every language&apos;s KN ({count({ kind: 'likn' })})</>,
        () => ({ kind: 'likn' }),
        languages.length < 2,
      )}
      {option(
        'dkn',
        <>
          DKN{' '}
          <select
            aria-label="Degenerate group"
            value={String(group)}
            disabled={!hasGroups}
            onChange={(e) => {
              const g = e.target.value === 'all' ? 'all' : Number(e.target.value);
              setGroup(g);
              onChange({ kind: 'dkn', group: g });
            }}
          >
            <option value="all">all groups ({count({ kind: 'dkn', group: 'all' })})</option>
            {sources.degenerate.map((g, i) => (
              <option key={i} value={i}>
                {groupLabel(g, i)}
              </option>
            ))}
          </select>
          {!hasGroups && <span className="kn-muted"> (none found)</span>}
        </>,
        () => ({ kind: 'dkn', group }),
        !hasGroups,
      )}
      {option(
        'custom',
        <>
          hand-picked{' '}
          <input
            type="text"
            className="kn-neuron-input"
            aria-label="Hand-picked neurons, layer:unit separated by commas"
            aria-invalid={text.trim() !== '' && !customValid}
            placeholder="e.g. 3:12, 5:407"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              const p = parseNeuronList(e.target.value, layers, units);
              if (p.errors.length === 0 && p.neurons.length > 0)
                onChange({ kind: 'custom', neurons: p.neurons });
            }}
          />
        </>,
        () => (customValid ? { kind: 'custom', neurons: parsed.neurons } : null),
      )}
      {parsed.errors.length > 0 && (
        <ul className="kn-error kn-chooser-errors" role="alert">
          {parsed.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      {value && (
        <NeuronButtons
          title="Selected for this fact"
          neurons={chosenNeurons(value, sources, layers, units)}
          selected={selected}
          onSelectNeuron={onSelectNeuron}
          testId="chosen-neurons"
        />
      )}
    </fieldset>
  );
}
