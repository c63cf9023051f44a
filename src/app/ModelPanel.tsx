/**
 * Step 1, the model: a bundled demo model, a Hugging Face Hub model (downloaded once, kept in
 * Cache Storage, listed and removable), or a model folder from disk (picked or dropped).
 */
import { type DragEvent, type FormEvent, useState } from 'react';
import { type ModelRef, modelLabel, parseHubRef, sameModel } from '../weights';
import type { LoadEvent, ModelInfo } from '../worker-api';
import type { BundledModel } from './bundled';
import { errorText } from './errors';
import { HubModelList } from './HubModelList';
import { HubTokenField } from './HubTokenField';
import { HUB_MODELS } from './hub-models';
import { readHubToken } from './hub-token';
import { formatAssessment, formatBytes, formatCount, formatSeconds, formatWeights } from './format';
import { type PickedFolder, folderFromDrop, folderFromInput } from './picked-files';
import type { ModelControl } from './useModel';

const PHASE_TEXT: Record<LoadEvent['phase'], string> = {
  download: 'Downloading',
  read: 'Reading',
  prepare: 'Compiling the model’s graphs',
};

/** A model's load: what is read or compiled, and how far; with Cancel when `onCancel` is given. */
export function LoadProgress({
  model,
  progress,
  onCancel,
}: {
  model: ModelRef;
  progress?: LoadEvent;
  onCancel?: () => void;
}) {
  const known = progress && progress.totalBytes > 0;
  const text = !progress
    ? `Opening ${modelLabel(model)}…`
    : progress.phase === 'prepare'
      ? `${PHASE_TEXT.prepare}…`
      : `${PHASE_TEXT[progress.phase]} ${progress.file ?? ''}: ${formatBytes(progress.loadedBytes)}` +
        (known ? ` of ${formatBytes(progress.totalBytes)}` : '');
  const bar = (
    <div className="load-progress">
      <progress
        max={known ? progress.totalBytes : undefined}
        value={known ? progress.loadedBytes : undefined}
        aria-label={`Loading ${modelLabel(model)}`}
      />
      <span>{text}</span>
    </div>
  );
  if (!onCancel) return bar;
  return (
    <div className="row">
      {bar}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function ModelSummary({ info }: { info: ModelInfo }) {
  const { config } = info;
  const family = config.family === 'bert' ? 'masked LM' : 'causal LM';
  return (
    <p data-testid="model-summary">
      <strong>{info.label}</strong>: {config.modelType} ({family}), {config.numLayers} layers ×{' '}
      {formatCount(config.intermediateSize)} FFN units, vocabulary {formatCount(config.vocabSize)},
      checkpoint {formatBytes(info.checkpointBytes)} ·{' '}
      <span data-testid="model-weights">weights {formatWeights(info.weights)}</span> · on{' '}
      {info.backend === 'webgpu' ? 'WebGPU' : 'WASM'}, loaded in {formatSeconds(info.loadSeconds)}
      {info.weights.notes.length > 0 && (
        <span className="note"> · {info.weights.notes.join('; ')}</span>
      )}
      {config.family === 'gpt2' && (
        <span className="note">
          {' '}
          · a causal model reads the text before [MASK] only; put [MASK] at the end.
        </span>
      )}
    </p>
  );
}

function Status({
  control,
  starting,
  onLoad,
}: {
  control: ModelControl;
  starting: boolean;
  onLoad: (ref: ModelRef) => void;
}) {
  const s = control.status;
  return (
    <div
      className="model-status"
      data-testid="model-status"
      data-phase={s.phase}
      aria-live="polite"
    >
      {s.phase === 'none' && (
        <p className="note">{starting ? 'Starting the engine…' : 'No model loaded yet.'}</p>
      )}
      {s.phase === 'loading' && (
        <LoadProgress model={s.ref} progress={s.progress} onCancel={control.cancel} />
      )}
      {s.phase === 'ready' && <ModelSummary info={s.info} />}
      {s.phase === 'error' && (
        <p className="error" role="alert" data-testid="model-error" data-error-name={s.errorName}>
          {s.error}
        </p>
      )}
      {s.phase === 'waiting' && s.reason === 'download' && (
        <p className="row">
          This view uses <strong>{modelLabel(s.ref)}</strong> from the Hugging Face Hub, which is
          not downloaded in this browser yet.
          <button type="button" onClick={() => onLoad(s.ref)}>
            Download and load it
          </button>
        </p>
      )}
      {s.phase === 'waiting' && s.reason === 'pick-folder' && (
        <p role="alert">
          This view uses a model from a folder on the disk of whoever made it,{' '}
          <strong>{modelLabel(s.ref)}</strong>. Pick or drop that model folder below to continue.
        </p>
      )}
    </div>
  );
}

function HubPicker({
  control,
  onLoad,
  id,
  setId,
  tokenKept,
}: {
  control: ModelControl;
  onLoad: (ref: ModelRef) => void;
  /** The Hub id box, which the list of supported models fills too. */
  id: string;
  setId: (id: string) => void;
  tokenKept: boolean;
}) {
  const gated = HUB_MODELS.find((m) => m.gated && m.id === id.trim());
  // What the model takes, read before its download (config.json and the checkpoint's size).
  const [check, setCheck] = useState<{ id: string; lines?: string[]; error?: string }>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!id.trim()) return;
    onLoad(parseHubRef(id));
  };
  const assess = () => {
    const asked = id.trim();
    setCheck({ id: asked });
    control.assess(parseHubRef(asked)).then(
      (a) => setCheck((c) => (c?.id === asked ? { id: asked, lines: formatAssessment(a) } : c)),
      (e: unknown) => setCheck((c) => (c?.id === asked ? { id: asked, error: errorText(e) } : c)),
    );
  };
  return (
    <fieldset className="model-source">
      <legend>Hugging Face Hub</legend>
      <form onSubmit={submit} className="row wrap hub-form">
        <label className="grow">
          Model id
          <input
            value={id}
            onChange={(e) => setId(e.target.value)}
            placeholder="google-bert/bert-base-multilingual-cased"
            spellCheck={false}
            autoCapitalize="off"
            data-testid="hub-id"
          />
        </label>
        <button type="button" disabled={!id.trim()} onClick={assess}>
          Size and time first
        </button>
        <button type="submit" disabled={!id.trim()}>
          Download and load
        </button>
      </form>
      {gated && !tokenKept && (
        <p className="note" role="status" data-testid="hub-gated">
          {gated.title} is gated: request access on its model page on huggingface.co, then paste a
          Hugging Face access token below.
        </p>
      )}
      {check && (
        <div className="note" data-testid="hub-assessment" aria-live="polite">
          {!check.lines && !check.error && <p>Reading the size of {check.id}…</p>}
          {check.lines?.map((line) => (
            <p key={line}>{line}</p>
          ))}
          {check.error && (
            <p className="error" role="alert">
              {check.error}
            </p>
          )}
        </div>
      )}
      <p className="note">
        BERT/mBERT, RoBERTa/XLM-R, GPT-2/mGPT and Llama/Mistral/Qwen2/Qwen3 checkpoints in
        safetensors format. Downloaded once, then kept in this browser for offline use.
      </p>
      {control.cached && control.cached.length > 0 && (
        <table className="cached" data-testid="cached-models">
          <caption>Downloaded models</caption>
          <tbody>
            {control.cached.map((m) => {
              const ref = parseHubRef(m.id);
              return (
                <tr key={m.id}>
                  <th scope="row">{m.id}</th>
                  <td>{formatBytes(m.bytes)}</td>
                  <td>
                    <button type="button" onClick={() => onLoad(ref)}>
                      Load
                    </button>{' '}
                    <button
                      type="button"
                      onClick={() => void control.removeCached(m.id)}
                      aria-label={`Remove ${m.id} from this browser`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </fieldset>
  );
}

function FolderPicker({ onFolder }: { onFolder: (f: PickedFolder) => void }) {
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void folderFromDrop(e.dataTransfer).then((f) => f.files.length > 0 && onFolder(f));
  };
  return (
    <fieldset className="model-source">
      <legend>From your disk</legend>
      <div
        className={over ? 'drop-zone drop-over' : 'drop-zone'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="model-drop"
      >
        <label>
          Pick a model folder
          <input
            type="file"
            // React does not know the attribute; the DOM does (all current browsers).
            {...{ webkitdirectory: '' }}
            multiple
            onChange={(e) => {
              if (e.target.files?.length) onFolder(folderFromInput(e.target.files));
              e.target.value = '';
            }}
            data-testid="model-folder"
          />
        </label>
        <p className="note">
          or drop it here: a Hugging Face folder with config.json, tokenizer.json and
          model.safetensors. The files stay on your computer.
        </p>
      </div>
    </fieldset>
  );
}

/** The "load float32 weights as 16-bit" setting. */
function PrecisionSetting({ on, onChange }: { on: boolean; onChange: (on: boolean) => void }) {
  return (
    <label className="choice" data-testid="float32-as-16">
      <input type="checkbox" checked={on} onChange={(e) => onChange(e.target.checked)} />
      <span>
        Load float32 weights as 16-bit{' '}
        <span className="note">
          (half the memory, for a model that would not fit otherwise; the weights are rounded, so
          maps differ slightly from the float32 model’s, and every export says so. A folder from
          disk is picked again to apply it.)
        </span>
      </span>
    </label>
  );
}

export function ModelPanel({
  control,
  bundled,
  selected,
  starting,
  onLoad,
  float32As16,
  onFloat32As16,
  threads = 1,
}: {
  control: ModelControl;
  bundled: BundledModel[] | undefined;
  selected: ModelRef | undefined;
  /** The engine has not started yet (models load once it has). */
  starting: boolean;
  onLoad: (ref: ModelRef, folder?: PickedFolder) => void;
  float32As16: boolean;
  onFloat32As16: (on: boolean) => void;
  /** The engine's WASM threads, for the listed models' times. */
  threads?: number;
}) {
  const [hubId, setHubId] = useState('');
  const [tokenKept, setTokenKept] = useState(() => !!readHubToken());
  return (
    <section className="panel" aria-labelledby="model-heading" data-testid="model-panel">
      <h2 id="model-heading">Model</h2>
      <div className="model-sources">
        <fieldset className="model-source">
          <legend>Demo models</legend>
          {bundled === undefined && <p className="note">Looking for the demo models…</p>}
          {bundled?.length === 0 && (
            <p className="note">This site ships no demo model; use the Hub or a folder.</p>
          )}
          {bundled?.map((m) => {
            const ref: ModelRef = { kind: 'bundled', name: m.name };
            return (
              <label key={m.name} className="choice">
                <input
                  type="radio"
                  name="bundled-model"
                  checked={sameModel(selected, ref)}
                  onChange={() => onLoad(ref)}
                />
                <span>
                  <strong>{m.title}</strong> <span className="note">{m.description}</span>
                </span>
              </label>
            );
          })}
        </fieldset>
        <HubPicker
          control={control}
          onLoad={onLoad}
          id={hubId}
          setId={setHubId}
          tokenKept={tokenKept}
        />
        <FolderPicker onFolder={(f) => onLoad({ kind: 'files', label: f.label }, f)} />
      </div>
      {/* Folded: the list is a table wider and taller than the workspace's side column. */}
      <details className="more hub-list" data-testid="more-hub-models">
        <summary>Supported Hub models, with size and time per map; access token</summary>
        <HubModelList threads={threads} float32As16={float32As16} onChoose={setHubId} />
        <HubTokenField kept={tokenKept} onChange={setTokenKept} />
      </details>
      <PrecisionSetting on={float32As16} onChange={onFloat32As16} />
      <Status control={control} starting={starting} onLoad={onLoad} />
    </section>
  );
}
