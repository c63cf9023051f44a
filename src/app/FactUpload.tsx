/**
 * Facts from files or pasted text: mLAMA relation files (P36.jsonl, zh/P36.jsonl), mLAMA
 * templates files and PARAREL pattern files, PARAREL JSONL, CSV/TSV or the project's JSON, read
 * by parseUpload (files by parseUploadFile: size first, then the encoding its byte order mark
 * names). A relation file's lines are filled with the bundled templates or with templates the
 * user uploaded; the language comes from the picker, else the file name, else the labels'
 * script. The good facts are added at once; every bad line is listed with its number and the
 * reason. The accepted formats are listed beside, each with an example to download.
 */
import { type DragEvent, useEffect, useState } from 'react';
import {
  type DefaultSource,
  FORMAT_EXAMPLES,
  type Fact,
  MLAMA_LANGUAGES,
  type ParseOptions,
  type ParseResult,
  type TemplateSet,
  type UploadFormat,
  mergeTemplates,
  overrideTemplates,
  parseUpload,
  parseUploadFile,
  templateCount,
} from '../facts';
import { downloadBlob } from '../views/export';
import { bundledTemplates } from './factset';

const FORMAT_NAMES: Record<UploadFormat, string> = {
  'project-json': 'project JSON',
  'mlama-jsonl': 'mLAMA JSONL',
  'pararel-jsonl': 'PARAREL JSONL',
  'templates-jsonl': 'templates',
  csv: 'CSV',
  tsv: 'TSV',
};

const FROM: Record<DefaultSource, string> = {
  given: 'as chosen',
  'file name': 'from the file name',
  script: "from the labels' script",
  default: '',
};

interface Report {
  source: string;
  result: ParseResult;
}

/** A file's name with its folders where the browser gives them (a dropped folder: zh/P36.jsonl). */
const nameOf = (file: File) => file.webkitRelativePath || file.name;

/** "P36: en 2, zh 3; P37: en 1" */
function describeTemplates(set: TemplateSet): string {
  return Object.entries(set)
    .map(
      ([relation, byLanguage]) =>
        `${relation}: ${Object.entries(byLanguage)
          .map(([language, list]) => `${language} ${list.length}`)
          .join(', ')}`,
    )
    .join('; ');
}

function ReportView({ report }: { report: Report }) {
  const { source, result } = report;
  const added = result.facts.length;
  const read = templateCount(result.templates ?? {});
  const headline =
    result.format === 'templates-jsonl'
      ? read > 0
        ? `Read ${read} template${read === 1 ? '' : 's'} from ${source} (${describeTemplates(result.templates ?? {})}); facts read from now on use them`
        : `No templates could be read from ${source}`
      : added === 0 && result.errors.length > 0
        ? `No facts could be read from ${source}`
        : `Added ${added} fact${added === 1 ? '' : 's'} from ${source}`;
  const context = [
    FORMAT_NAMES[result.format],
    result.format !== 'project-json' &&
      (result.languageFrom === 'default'
        ? `default language ${result.language}`
        : `language ${result.language} ${FROM[result.languageFrom]}`),
    result.relation !== undefined &&
      result.relationFrom !== undefined &&
      `relation ${result.relation} ${FROM[result.relationFrom]}`,
  ].filter(Boolean);
  return (
    <div className="upload-report-item">
      <p>
        {headline} ({context.join('; ')})
        {result.errors.length > 0 &&
          `; ${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}:`}
      </p>
      {result.errors.length > 0 && (
        <ul className="upload-errors" data-testid="upload-errors">
          {result.errors.map((e, i) => (
            <li key={i} data-line={e.line}>
              {e.line > 0 ? <strong>Line {e.line}: </strong> : null}
              {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function FormatList() {
  return (
    <div className="upload-formats" data-testid="upload-formats">
      <h4>Accepted formats</h4>
      <ul>
        {FORMAT_EXAMPLES.map((example) => (
          <li key={example.fileName}>
            <details>
              <summary>{example.title}</summary>
              <p className="note">{example.about}</p>
              <pre className="format-example">{example.text}</pre>
            </details>
            <button
              type="button"
              className="link-button"
              onClick={() =>
                downloadBlob(
                  new Blob([example.text], { type: 'text/plain;charset=utf-8' }),
                  example.fileName,
                )
              }
              data-testid={`example-${example.fileName}`}
            >
              Example {example.fileName}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function FactUpload({
  onAdd,
}: {
  /** The facts read, and where from (a file name, or "the pasted text"). */
  onAdd: (facts: Fact[], source: string) => void;
}) {
  const [text, setText] = useState('');
  const [reports, setReports] = useState<Report[]>([]);
  const [over, setOver] = useState(false);
  const [language, setLanguage] = useState('');
  const [relation, setRelation] = useState('');
  const [bundled, setBundled] = useState<TemplateSet>({});
  const [bundledProblem, setBundledProblem] = useState<string>();
  const [uploaded, setUploaded] = useState<TemplateSet>({});

  useEffect(() => {
    let live = true;
    bundledTemplates().then(
      (set) => live && setBundled(set),
      (e: unknown) => live && setBundledProblem(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  const options = (extra: TemplateSet = {}): ParseOptions => ({
    templates: overrideTemplates(bundled, mergeTemplates(uploaded, extra)),
    ...(language ? { language } : {}),
    ...(relation.trim() ? { relation: relation.trim() } : {}),
  });

  /** Reads templates files first, so the relation files dropped with them use their templates. */
  const readFiles = async (files: File[]) => {
    const first = await Promise.all(files.map((f) => parseUploadFile(f, nameOf(f), options())));
    const read = first
      .map((r) => r.templates ?? {})
      .reduce((a, b) => mergeTemplates(a, b), {} as TemplateSet);
    const results =
      templateCount(read) === 0
        ? first
        : await Promise.all(
            files.map((f, i) =>
              first[i].format === 'templates-jsonl'
                ? first[i]
                : parseUploadFile(f, nameOf(f), options(read)),
            ),
          );
    if (templateCount(read) > 0) setUploaded((u) => mergeTemplates(u, read));
    for (const [i, r] of results.entries())
      if (r.facts.length > 0) onAdd(r.facts, nameOf(files[i]));
    setReports(results.map((result, i) => ({ source: nameOf(files[i]), result })));
  };
  const readPasted = () => {
    const result = parseUpload(text, 'pasted', options());
    if (result.templates) {
      const read = result.templates;
      setUploaded((u) => mergeTemplates(u, read));
    }
    if (result.facts.length > 0) onAdd(result.facts, 'the pasted text');
    setReports([{ source: 'the pasted text', result }]);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const files = [...e.dataTransfer.files];
    if (files.length > 0) void readFiles(files);
  };

  return (
    <div className="upload-layout">
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
        <label htmlFor="fact-paste">Paste facts, or drop files here</label>
        <textarea
          id="fact-paste"
          rows={4}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={'{"sub_label": "Germany", "obj_label": "Berlin"}'}
          spellCheck={false}
          data-testid="fact-paste"
        />
        <div className="row wrap upload-defaults">
          <label>
            Language{' '}
            <select
              value={language}
              onChange={(e) => setLanguage(e.target.value)}
              data-testid="upload-language"
            >
              <option value="">from the file name or script</option>
              {MLAMA_LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label>
            Relation{' '}
            <input
              value={relation}
              onChange={(e) => setRelation(e.target.value)}
              placeholder="from the file name"
              size={16}
              spellCheck={false}
              data-testid="upload-relation"
            />
          </label>
        </div>
        <p className="note" data-testid="upload-templates">
          For lines that give no template or prompt:{' '}
          {bundledProblem
            ? `the bundled templates could not be loaded (${bundledProblem})`
            : `the bundled templates (${Object.keys(bundled).join(', ') || 'loading'})`}
          {templateCount(uploaded) > 0 && (
            <>
              , replaced where you gave your own ({describeTemplates(uploaded)}){' '}
              <button
                type="button"
                className="link-button"
                onClick={() => setUploaded({})}
                data-testid="forget-templates"
              >
                forget yours
              </button>
            </>
          )}
          .
        </p>
        <div className="row wrap">
          <button
            type="button"
            disabled={!text.trim()}
            onClick={readPasted}
            data-testid="read-pasted"
          >
            Read pasted facts
          </button>
          <label className="file-button">
            Choose files…
            <input
              type="file"
              multiple
              accept=".jsonl,.ndjson,.json,.csv,.tsv,.txt"
              onChange={(e) => {
                const files = [...(e.target.files ?? [])];
                if (files.length > 0) void readFiles(files);
                e.target.value = '';
              }}
              data-testid="fact-file"
            />
          </label>
        </div>
        {reports.length > 0 && (
          <div className="upload-report" data-testid="upload-report" aria-live="polite">
            {reports.map((r, i) => (
              <ReportView key={i} report={r} />
            ))}
          </div>
        )}
      </div>
      <FormatList />
    </div>
  );
}
