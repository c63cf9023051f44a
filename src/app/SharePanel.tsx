/**
 * The share link: the address of this view (model, facts, settings, tau, shown fact), which
 * the address bar also keeps current. Copying needs clipboard permission; the field works
 * without it.
 */
import { useEffect, useState } from 'react';
import { shareUrl } from './share';
import type { ExplorerState } from './state';

export function SharePanel({ state }: { state: ExplorerState }) {
  const [url, setUrl] = useState('');
  const [message, setMessage] = useState('');
  useEffect(() => {
    let live = true;
    void shareUrl(state, window.location.href).then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
  }, [state]);

  // A confirmation is news, not state: it clears itself after a few seconds.
  useEffect(() => {
    if (!message) return;
    const timer = setTimeout(() => setMessage(''), 4000);
    return () => clearTimeout(timer);
  }, [message]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setMessage('Link copied.');
    } catch {
      setMessage('Copying was refused here: select the link and copy it.');
    }
  };
  return (
    <section className="panel share" aria-labelledby="share-heading" data-testid="share-panel">
      <h2 id="share-heading">Share this view</h2>
      <div className="row">
        <label className="grow">
          Link (the model, facts, settings and views; results are computed again where they are not
          stored)
          <input readOnly value={url} onFocus={(e) => e.target.select()} data-testid="share-url" />
        </label>
        <button type="button" onClick={() => void copy()} disabled={!url}>
          Copy link
        </button>
      </div>
      <span className="note" role="status">
        {message}
      </span>
    </section>
  );
}
