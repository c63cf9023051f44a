/**
 * A fact typed in: one prompt per language, each a cloze with [MASK] or a template with [X]
 * and [Y] plus a subject, and the object. Problems show under their field when the user adds
 * the fact, and the fields keep what was typed.
 */
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import type { Fact } from '../facts';
import { type DraftErrors, type PromptDraft, emptyDraft, factFromDrafts } from './fact-form';

/** Suggested language codes; any BCP 47 primary code is accepted. */
const LANGUAGES = ['en', 'zh', 'fr', 'de', 'es', 'it', 'pt', 'nl', 'ru', 'ja', 'ko', 'ar', 'hi'];

function Field({
  label,
  error,
  children,
}: {
  label: string;
  error?: string;
  children: (props: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  }) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        'aria-invalid': !!error,
        ...(error ? { 'aria-describedby': errorId } : {}),
      })}
      {error && (
        <span className="field-error" id={errorId} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function DraftRow({
  draft,
  errors,
  index,
  onChange,
  onRemove,
}: {
  draft: PromptDraft;
  errors: DraftErrors;
  index: number;
  onChange: (d: PromptDraft) => void;
  onRemove?: () => void;
}) {
  const set = (patch: Partial<PromptDraft>) => onChange({ ...draft, ...patch });
  const n = index + 1;
  // One name per row groups its two radios (arrow keys move between them).
  const modeName = useId();
  return (
    <fieldset className="draft" data-testid={`draft-${index}`}>
      <legend>Prompt {n}</legend>
      <div className="row wrap">
        <Field label="Language" error={errors.language}>
          {(p) => (
            <input
              {...p}
              className="lang-input"
              list="fact-languages"
              value={draft.language}
              onChange={(e) => set({ language: e.target.value })}
              data-testid="draft-language"
            />
          )}
        </Field>
        <div className="field" role="radiogroup" aria-label={`How prompt ${n} is written`}>
          <span className="field-label">Written as</span>
          <label className="choice-inline">
            <input
              type="radio"
              name={modeName}
              checked={draft.mode === 'cloze'}
              onChange={() => set({ mode: 'cloze' })}
            />
            prompt with [MASK]
          </label>
          <label className="choice-inline">
            <input
              type="radio"
              name={modeName}
              checked={draft.mode === 'template'}
              onChange={() => set({ mode: 'template' })}
              data-testid="draft-mode-template"
            />
            template with [X] and [Y]
          </label>
        </div>
      </div>
      <div className="row wrap">
        {draft.mode === 'cloze' ? (
          <Field label="Prompt" error={errors.text}>
            {(p) => (
              <input
                {...p}
                className="grow-input"
                value={draft.text}
                onChange={(e) => set({ text: e.target.value })}
                placeholder="The capital of France is [MASK] ."
                data-testid="draft-text"
              />
            )}
          </Field>
        ) : (
          <>
            <Field label="Template" error={errors.template}>
              {(p) => (
                <input
                  {...p}
                  className="grow-input"
                  value={draft.template}
                  onChange={(e) => set({ template: e.target.value })}
                  placeholder="The capital of [X] is [Y] ."
                  data-testid="draft-template"
                />
              )}
            </Field>
            <Field label="Subject [X]" error={errors.subject}>
              {(p) => (
                <input
                  {...p}
                  value={draft.subject}
                  onChange={(e) => set({ subject: e.target.value })}
                  placeholder="France"
                  data-testid="draft-subject"
                />
              )}
            </Field>
          </>
        )}
        <Field
          label={draft.mode === 'cloze' ? 'Object [MASK]' : 'Object [Y]'}
          error={errors.object}
        >
          {(p) => (
            <input
              {...p}
              value={draft.object}
              onChange={(e) => set({ object: e.target.value })}
              placeholder="Paris"
              data-testid="draft-object"
            />
          )}
        </Field>
        {onRemove && (
          <button
            type="button"
            className="self-end"
            onClick={onRemove}
            aria-label={`Remove prompt ${n}`}
          >
            Remove
          </button>
        )}
      </div>
    </fieldset>
  );
}

export function FactForm({ onAdd, nextId }: { onAdd: (fact: Fact) => void; nextId: () => string }) {
  const [drafts, setDrafts] = useState<PromptDraft[]>([emptyDraft('en')]);
  const [errors, setErrors] = useState<DraftErrors[]>([]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { fact, errors: found } = factFromDrafts(drafts, nextId());
    setErrors(found);
    if (!fact) return;
    onAdd(fact);
    setDrafts([emptyDraft(drafts[0].language)]);
    setErrors([]);
  };
  const nextLanguage = () => LANGUAGES.find((l) => !drafts.some((d) => d.language === l)) ?? '';

  return (
    <form className="fact-form" onSubmit={submit} aria-label="Write a fact" noValidate>
      <datalist id="fact-languages">
        {LANGUAGES.map((l) => (
          <option key={l} value={l} />
        ))}
      </datalist>
      {drafts.map((d, i) => (
        <DraftRow
          key={i}
          index={i}
          draft={d}
          errors={errors[i] ?? {}}
          onChange={(next) => setDrafts(drafts.map((x, j) => (j === i ? next : x)))}
          onRemove={
            drafts.length > 1
              ? () => {
                  setDrafts(drafts.filter((_, j) => j !== i));
                  setErrors(errors.filter((_, j) => j !== i));
                }
              : undefined
          }
        />
      ))}
      <div className="row">
        <button
          type="button"
          onClick={() => setDrafts([...drafts, emptyDraft(nextLanguage())])}
          data-testid="add-language"
        >
          Add a language
        </button>
        <button type="submit" className="primary" data-testid="add-fact">
          Add fact
        </button>
      </div>
    </form>
  );
}
