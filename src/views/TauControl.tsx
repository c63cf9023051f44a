/**
 * The threshold of one language's knowledge neurons: a slider and a number field that both emit
 * tau in [0, 1]. Views re-mark from the new value; nothing is recomputed.
 */
import { useId } from 'react';

export interface TauControlProps {
  language: string;
  value: number;
  onChange: (tau: number) => void;
  /** The language's default, offered as a reset. */
  defaultValue?: number;
}

export function TauControl({ language, value, onChange, defaultValue }: TauControlProps) {
  const id = useId();
  const emit = (raw: string) => {
    const tau = Number(raw);
    // A half-typed number ('', '0.') must not reach the maps; the field keeps what was typed.
    if (raw.trim() !== '' && Number.isFinite(tau)) onChange(Math.min(1, Math.max(0, tau)));
  };
  return (
    <div className="kn-tau" data-testid={`tau-${language}`}>
      <label htmlFor={`${id}-range`}>
        τ <span className="kn-tau-lang">{language}</span>
      </label>
      <input
        id={`${id}-range`}
        type="range"
        min={0}
        max={1}
        step={0.01}
        value={value}
        onChange={(e) => emit(e.target.value)}
      />
      <input
        type="number"
        min={0}
        max={1}
        step={0.01}
        value={value}
        aria-label={`τ for ${language}`}
        onChange={(e) => emit(e.target.value)}
      />
      {defaultValue !== undefined && value !== defaultValue && (
        <button type="button" onClick={() => onChange(defaultValue)}>
          default {defaultValue}
        </button>
      )}
    </div>
  );
}
