/**
 * The Hugging Face token for gated models: pasted once, kept in this browser only
 * (src/app/hub-token.ts), never shown again, and forgettable.
 */
import { type FormEvent, useState } from 'react';
import { forgetHubToken, saveHubToken } from './hub-token';

export function HubTokenField({
  kept,
  onChange,
}: {
  /** Whether a token is kept now. */
  kept: boolean;
  onChange: (kept: boolean) => void;
}) {
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string>();
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!draft.trim()) return;
    const ok = saveHubToken(draft);
    setDraft('');
    setProblem(ok ? undefined : 'This browser refused to keep the token (storage is off or full).');
    onChange(ok);
  };
  if (kept)
    return (
      <p className="row note" data-testid="hub-token-kept">
        A Hugging Face token is kept in this browser; it is sent only to huggingface.co.
        <button
          type="button"
          onClick={() => {
            forgetHubToken();
            onChange(false);
          }}
        >
          Forget the token
        </button>
      </p>
    );
  return (
    <form onSubmit={save} className="row">
      <label className="grow">
        Hugging Face token{' '}
        <span className="note">(for gated models; kept in this browser only)</span>
        <input
          type="password"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="hf_…"
          autoComplete="off"
          spellCheck={false}
          data-testid="hub-token"
        />
      </label>
      <button type="submit" disabled={!draft.trim()}>
        Keep the token
      </button>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
