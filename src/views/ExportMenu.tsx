/**
 * Export buttons for a figure: PNG (2x), SVG, copy image, and the data as CSV and JSON. The
 * figure and the data are made only when a button is pressed, from the functions given.
 */
import { type ReactElement, useState } from 'react';
import { copyPng, downloadBlob, svgBlob, svgDocument, svgToPng } from './export';

export interface ExportMenuProps {
  /** File name without extension (see exportBasename). */
  basename: string;
  /** The figure, as an SVG element (NeuronMapSvg, NeuronMapsSvg). */
  figure: () => ReactElement;
  csv?: () => string;
  json?: () => string;
  /** What is exported, for the group's label: "Export en map". */
  label: string;
}

export function ExportMenu({ basename, figure, csv, json, label }: ExportMenuProps) {
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const run = async (what: string, job: () => Promise<void> | void) => {
    setMessage(null);
    try {
      await job();
    } catch (e) {
      setMessage({
        text: `${what} failed: ${e instanceof Error ? e.message : String(e)}`,
        error: true,
      });
    }
  };
  const text = (content: string, type: string, ext: string) =>
    downloadBlob(new Blob([content], { type }), `${basename}.${ext}`);
  return (
    <div className="kn-export" role="group" aria-label={label}>
      <span className="kn-export-label" aria-hidden="true">
        Export
      </span>
      <button
        type="button"
        onClick={() =>
          run('PNG', async () =>
            downloadBlob(await svgToPng(await svgDocument(figure())), `${basename}.png`),
          )
        }
      >
        PNG
      </button>
      <button
        type="button"
        onClick={() =>
          run('SVG', async () =>
            downloadBlob(svgBlob(await svgDocument(figure())), `${basename}.svg`),
          )
        }
      >
        SVG
      </button>
      <button
        type="button"
        onClick={() =>
          run('Copy', async () => {
            // The PNG is still being drawn when the clipboard is asked: see copyPng.
            const result = await copyPng(svgDocument(figure()).then((doc) => svgToPng(doc)));
            setMessage(
              result.ok
                ? { text: 'Image copied to the clipboard.', error: false }
                : { text: result.message, error: true },
            );
          })
        }
      >
        Copy image
      </button>
      {csv && (
        <button type="button" onClick={() => run('CSV', () => text(csv(), 'text/csv', 'csv'))}>
          CSV
        </button>
      )}
      {json && (
        <button
          type="button"
          onClick={() => run('JSON', () => text(json(), 'application/json', 'json'))}
        >
          JSON
        </button>
      )}
      <span
        className={message?.error ? 'kn-export-message kn-error' : 'kn-export-message'}
        role="status"
        data-testid="export-message"
      >
        {message?.text}
      </span>
    </div>
  );
}
