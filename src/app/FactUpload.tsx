/**
 * Facts from a file or pasted text: mLAMA JSONL, PARAREL JSONL, CSV/TSV or the project's JSON,
 * read by parseUpload (files by parseUploadFile: size first, then the encoding its byte order
 * mark names). The good facts are added at once; every bad line is listed with its number and
 * the reason.
 */
import { type DragEvent, useState } from 'react';
import {
  type Fact,
  type ParseError,
  type ParseResult,
  type UploadFormat,
  parseUpload,
  parseUploadFile,
} from '../facts';

const FORMAT_NAMES: Record<UploadFormat, string> = {
  'project-json': 'project JSON',
  'mlama-jsonl': 'mLAMA JSONL',
  'pararel-jsonl': 'PARAREL JSONL',
  csv: 'CSV',
  tsv: 'TSV',
};

interface Report {
  source: string;
  format: UploadFormat;
  added: number;
  errors: ParseError[];
}

export function FactUpload({
  onAdd,
}: {
  /** The facts read, and where from (a file name, or "the pasted text"). */
  onAdd: (facts: Fact[], source: string) => void;
}) {
  const [text, setText] = useState('');
  const [report, setReport] = useState<Report>();
  const [over, setOver] = useState(false);

  const show = (result: ParseResult, source: string) => {
    if (result.facts.length > 0) onAdd(result.facts, source);
    setReport({ source, format: result.format, added: result.facts.length, errors: result.errors });
  };
  const readFile = async (file: File) => show(await parseUploadFile(file, file.name), file.name);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file) void readFile(file);
  };

  return (
    <div
      className={over ? 'upload drop-zone drop-over' : 'upload drop-zone'}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="fact-upload"
    >
      <label htmlFor="fact-paste">Paste facts, or drop a file here</label>
      <textarea
        id="fact-paste"
        rows={4}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={
          '{"sub_label": "France", "obj_label": "Paris", "template": "The capital of [X] is [Y] .", "language": "en"}'
        }
        spellCheck={false}
        data-testid="fact-paste"
      />
      <div className="row wrap">
        <button
          type="button"
          disabled={!text.trim()}
          onClick={() => show(parseUpload(text, 'pasted'), 'the pasted text')}
          data-testid="read-pasted"
        >
          Read pasted facts
        </button>
        <label className="file-button">
          Choose a file…
          <input
            type="file"
            accept=".jsonl,.ndjson,.json,.csv,.tsv,.txt"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void readFile(file);
              e.target.value = '';
            }}
            data-testid="fact-file"
          />
        </label>
        <span className="note">mLAMA or PARAREL JSONL, CSV/TSV, or a project JSON file.</span>
      </div>
      {report && (
        <div className="upload-report" data-testid="upload-report" aria-live="polite">
          <p>
            {report.added === 0 && report.errors.length > 0
              ? `No facts could be read from ${report.source}`
              : `Added ${report.added} fact${report.added === 1 ? '' : 's'} from ${report.source}`}{' '}
            ({FORMAT_NAMES[report.format]})
            {report.errors.length > 0 &&
              `; ${report.errors.length} problem${report.errors.length === 1 ? '' : 's'}:`}
          </p>
          {report.errors.length > 0 && (
            <ul className="upload-errors" data-testid="upload-errors">
              {report.errors.map((e, i) => (
                <li key={i} data-line={e.line}>
                  {e.line > 0 ? <strong>Line {e.line}: </strong> : null}
                  {e.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
