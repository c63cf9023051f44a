/**
 * The neuron map's choice for a fact with several prompts in a language: the first paraphrase's
 * map, or the paraphrase-refined map with its share p (docs/method.md, "Selecting knowledge
 * neurons"). Shown only for such a fact; a fact of one prompt per language has nothing to refine.
 * The choice sits in the maps' toolbar row, its note in the toolbar's notes.
 */
import { PARAPHRASE_SHARE } from '../analysis/paraphrase';
import { RadioGroup } from '../views/kit/controls';
import type { LanguageView, ParaphraseMode } from './paraphrase-maps';

/** Languages with more than one prompt: those the choice is about. */
const withParaphrases = (views: readonly LanguageView[]) => views.filter((v) => v.jobs.length > 1);

/** p values the control offers: 0 to 0.95, so that "more than p" can still be met by all. */
const P_STEP = 0.05;
const P_MAX = 0.95;

export function ParaphraseControl({
  views,
  mode,
  onChange,
}: {
  views: readonly LanguageView[];
  mode: ParaphraseMode;
  onChange: (mode: ParaphraseMode) => void;
}) {
  const several = withParaphrases(views);
  if (several.length === 0) return null;
  // Languages whose paraphrases are not all mapped yet: the refinement uses the maps there are.
  const partial = several.filter((v) => v.results.length < v.jobs.length);
  return (
    <div className="paraphrase-mode" data-testid="paraphrase-mode">
      <RadioGroup
        legend={`Paraphrases (${several
          .map((v) => `${v.language}: ${v.jobs.length} prompts`)
          .join(', ')})`}
        value={mode.refined ? 'refined' : 'first'}
        onChange={(v) => onChange({ ...mode, refined: v === 'refined' })}
        options={[
          ['first', 'first paraphrase'],
          ['refined', 'paraphrase-refined'],
        ]}
      />
      <label className="paraphrase-p">
        Share p{' '}
        <input
          type="range"
          min={0}
          max={P_MAX}
          step={P_STEP}
          value={mode.p}
          disabled={!mode.refined}
          onChange={(e) => onChange({ ...mode, p: Number(e.target.value) })}
          aria-label="Share p of the paraphrases a neuron must exceed"
          data-testid="paraphrase-p"
        />{' '}
        <output>{mode.p.toFixed(2)}</output>
        {mode.p !== PARAPHRASE_SHARE && (
          <button
            type="button"
            className="link-button"
            disabled={!mode.refined}
            onClick={() => onChange({ ...mode, p: PARAPHRASE_SHARE })}
          >
            reset to {PARAPHRASE_SHARE}
          </button>
        )}
      </label>
      {mode.refined && partial.length > 0 && (
        <p className="note" data-testid="paraphrase-partial">
          Not every paraphrase has its map yet (
          {partial.map((v) => `${v.language}: ${v.results.length} of ${v.jobs.length}`).join(', ')}
          ): the refinement uses the maps there are. Run the rest with Run on the left.
        </p>
      )}
    </div>
  );
}

/** What the refined map is, for the maps' notes; nothing for a fact without paraphrases. */
export function ParaphraseNote({ views }: { views: readonly LanguageView[] }) {
  if (withParaphrases(views).length === 0) return null;
  return (
    <p className="note" data-testid="paraphrase-note">
      Paraphrases refined: a neuron is kept when more than p × n of the language’s n paraphrases
      have it among their knowledge neurons (each at the language’s τ); the map drawn is the mean of
      the paraphrases’ maps and a ring’s opacity is that share. p = {PARAPHRASE_SHARE} keeps what
      more than half of them agree on; at 0 every paraphrase’s neurons are kept (docs/method.md,
      “Knowledge neurons”).
    </p>
  );
}
