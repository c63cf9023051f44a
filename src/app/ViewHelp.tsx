/**
 * "What am I looking at": one or two sentences on how to read a view, collapsed by default, with
 * the section of the method document (docs/method.md) it rests on, shown in place.
 */
import { useState } from 'react';
import type { Tab } from './analysis-state';
import { errorText } from './errors';
import { VIEW_HELP, loadMethodDoc, methodSection } from './method-doc';

function MethodText({ section }: { section: string }) {
  const [text, setText] = useState<{ paragraphs?: string[]; error?: string }>();
  if (!text)
    return (
      <button
        type="button"
        className="link-button"
        onClick={() =>
          loadMethodDoc().then(
            (doc) => setText({ paragraphs: methodSection(doc, section) ?? [] }),
            (e: unknown) => setText({ error: errorText(e) }),
          )
        }
        data-testid="view-help-method"
      >
        Read “{section}” from the method (docs/method.md)
      </button>
    );
  if (text.error)
    return (
      <p className="error" role="alert">
        The method document could not be loaded: {text.error}
      </p>
    );
  return (
    <div className="method-text" data-testid="view-help-text">
      <h4>docs/method.md · {section}</h4>
      {text.paragraphs!.map((p, i) => (
        <p key={i} style={{ whiteSpace: 'pre-wrap' }}>
          {p}
        </p>
      ))}
    </div>
  );
}

export function ViewHelp({ view }: { view: Tab }) {
  const { text, section } = VIEW_HELP[view];
  return (
    <details className="view-help" data-testid={`view-help-${view}`}>
      <summary>What am I looking at?</summary>
      <p>{text}</p>
      {/* Keyed by the view: another view's note starts closed on its own section. */}
      <MethodText key={view} section={section} />
    </details>
  );
}
