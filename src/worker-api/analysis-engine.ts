/**
 * The analysis calls of ./api.ts on the engine's loaded model: each runs a service of
 * src/analysis/services.ts with the call's settings, throttles its progress, and keeps what it
 * computes in a result store scoped to the model's key, so that dataset runs and fact checks
 * resume and a finished analysis answers at once when asked again. While a weight edit is
 * active every call gets a fresh in-memory store instead: results of the edited model are never
 * kept, and nothing kept for the model is reused.
 */
import { type AttributionResult, attribute, layoutOf } from '../attribution/attribute';
import type { Model } from '../model';
import { PromptError, encodePrompt } from '../attribution/prompt';
import { type AttributionSettings, settingsKey } from '../attribution/settings';
import {
  type DatasetItem,
  MemoryResultStore,
  type ResultStore,
  type RunFailure,
  digest,
  planDataset,
} from '../analysis/dataset';
import { editFact } from '../analysis/edits';
import { relationSplits } from '../analysis/factcheck';
import { resolveNeuronSet } from '../analysis/neuron-sets';
import { defaultTau, knowledgeNeuronsByLanguage } from '../analysis/selection';
import {
  type DegenerateResult,
  degenerateForPrompt,
  factCheckRelations,
  factOverlap,
  interventionLab,
  runDatasetService,
} from '../analysis/services';
import type {
  AnalysisEstimate,
  AnalysisEstimateRequest,
  DatasetAnswer,
  DatasetCall,
  DatasetProgress,
  DegenerateAnswer,
  DegenerateCall,
  DegenerateProgress,
  EditAnswer,
  EditCall,
  FactCheckAnswer,
  FactCheckCall,
  FactCheckProgress,
  LabCall,
  LabProgress,
  LabResult,
  OverlapAnswer,
  OverlapCall,
  Benchmark,
  ModelInfo,
  OverlapProgress,
  ServiceProgress,
} from './api';
import { estimatePrompt, forwardSeconds } from './benchmark';
import type { Engine } from './engine';
import type { AnalysisCall, Serves } from './queued-calls';
import { PROGRESS_MS, throttle } from './runs';

/** Opens the persistent store; rejects where the browser refuses storage. */
export type StoreOpener = () => Promise<ResultStore>;

/** Bumped when a memoised answer's shape changes, so old answers are not returned. */
const MEMO = 'memo/v1';

/** The degenerate search's defaults (src/analysis/degenerate.ts), for keys and estimates. */
const PAIR_DEFAULTS = { topK: 20, singleDrop: 0.2, jointDrop: 0.25 };

/** A store whose keys all live under one prefix of another (one model's results). */
export function scopedStore(store: ResultStore, scope: string): ResultStore {
  const ns = `${encodeURIComponent(scope)}|`;
  return {
    get: (key) => store.get(ns + key),
    put: (key, value) => store.put(ns + key, value),
    keys: async (prefix) => (await store.keys(ns + prefix)).map((k) => k.slice(ns.length)),
  };
}

/** A held map is reused for a prompt only when it is that prompt's, with the same settings. */
function matchingMap(
  known: AttributionResult | undefined,
  text: string,
  object: string,
  settings: AttributionSettings,
): AttributionResult | undefined {
  return known &&
    known.prompt === text &&
    known.object === object &&
    settingsKey(known) === settingsKey(settings)
    ? known
    : undefined;
}

/** Progress that always passes the first and last message, and at most one per PROGRESS_MS. */
function progressOf<P extends ServiceProgress>(
  send: ((p: P) => void) | undefined,
  now: () => number,
  force: (p: P) => boolean = (p) => p.done === p.total,
): (p: P) => void {
  const t = throttle(send, PROGRESS_MS, now);
  return (p) => t.push(p, force(p));
}

export class AnalysisEngine implements Serves<AnalysisCall> {
  private persistent: Promise<ResultStore | null> | undefined;
  /** Where results go for the page's life when the browser refuses storage. */
  private readonly fallback = new MemoryResultStore();

  constructor(
    private readonly engine: Engine,
    private readonly openStore: StoreOpener,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private loaded(): { model: Model; info: ModelInfo } {
    const model = this.engine.model();
    return { model, info: this.engine.info! };
  }

  /** The loaded model's result store, and whether what goes in outlives the page. */
  private async store(info: ModelInfo): Promise<{ store: ResultStore; persistent: boolean }> {
    if (info.edits.length) return { store: new MemoryResultStore(), persistent: false };
    this.persistent ??= this.openStore().catch(() => null);
    const base = await this.persistent;
    return { store: scopedStore(base ?? this.fallback, info.key), persistent: base !== null };
  }

  /** The stored answer to `request`, or the computed one, then stored. */
  private async memo<T>(
    store: ResultStore,
    kind: string,
    request: unknown,
    compute: () => Promise<T>,
  ): Promise<T> {
    const key = `${MEMO}/${kind}/${digest(request)}`;
    const hit = (await store.get(key)) as T | undefined;
    if (hit !== undefined) return hit;
    const value = await compute();
    await store.put(key, value);
    return value;
  }

  async factOverlap(
    call: OverlapCall,
    signal: AbortSignal,
    onProgress?: (p: OverlapProgress) => void,
  ): Promise<OverlapAnswer> {
    const { model } = this.loaded();
    const computed: AttributionResult[] = [];
    const overlap = await factOverlap(
      model,
      {
        fact: call.fact,
        attribution: call.settings,
        selection: { tau: call.tau },
        known: call.known,
      },
      {
        signal,
        onProgress: progressOf(onProgress, this.now),
        onAttribution: (r) => computed.push(r),
      },
    );
    return { overlap, computed };
  }

  /** What identifies a degenerate search's answer (not the map it starts from). */
  private degenerateKey(call: Omit<DegenerateCall, 'runId'>) {
    const { prompt, settings } = call;
    return {
      prompt: [prompt.language, prompt.text, prompt.object],
      attribution: settingsKey(settings),
      tau: defaultTau(prompt.language, call.tau),
      topK: call.topK ?? PAIR_DEFAULTS.topK,
      singleDrop: call.singleDrop ?? PAIR_DEFAULTS.singleDrop,
      jointDrop: call.jointDrop ?? PAIR_DEFAULTS.jointDrop,
    };
  }

  async degenerate(
    call: DegenerateCall,
    signal: AbortSignal,
    onProgress?: (p: DegenerateProgress) => void,
  ): Promise<DegenerateAnswer> {
    const { model, info } = this.loaded();
    const { store } = await this.store(info);
    const progress = progressOf(onProgress, this.now);
    const { prompt } = call;
    const out: { computed: AttributionResult | null } = { computed: null };
    const result = await this.memo<DegenerateResult>(
      store,
      'degenerate',
      this.degenerateKey(call),
      async () => {
        let map = matchingMap(call.known, prompt.text, prompt.object, call.settings);
        if (!map) {
          map = await attribute(model, prompt.text, prompt.object, call.settings, {
            signal,
            onProgress: (p) => progress({ phase: 'attribution', ...p }),
          });
          out.computed = map;
        }
        const [{ neurons }] = knowledgeNeuronsByLanguage(
          [{ language: prompt.language, scores: map.scores }],
          model.numLayers,
          model.numUnits,
          { tau: call.tau },
        );
        return degenerateForPrompt(
          model,
          {
            prompt,
            kn: neurons,
            attribution: call.settings,
            topK: call.topK,
            singleDrop: call.singleDrop,
            jointDrop: call.jointDrop,
          },
          { signal, onProgress: progress },
        );
      },
    );
    return { result, computed: out.computed };
  }

  private labKey(call: Omit<LabCall, 'runId'>) {
    return {
      facts: call.facts,
      choice: call.choice,
      targets: call.targets,
      kinds: call.kinds ?? ['suppress', 'enhance'],
      topK: call.topK ?? 5,
      tapMode: call.settings.tapMode,
      multiToken: call.settings.multiToken,
    };
  }

  async interventionLab(
    call: LabCall,
    signal: AbortSignal,
    onProgress?: (p: LabProgress) => void,
  ): Promise<LabResult> {
    const { model, info } = this.loaded();
    const { store } = await this.store(info);
    return this.memo(store, 'lab', this.labKey(call), () =>
      interventionLab(
        model,
        {
          facts: call.facts,
          choice: call.choice,
          targets: call.targets,
          kinds: call.kinds,
          topK: call.topK ?? 5,
          tapMode: call.settings.tapMode,
          multiToken: call.settings.multiToken,
        },
        { signal, onProgress: progressOf(onProgress, this.now) },
      ),
    );
  }

  async applyEdit(
    call: EditCall,
    signal: AbortSignal,
    onProgress?: (p: ServiceProgress) => void,
  ): Promise<EditAnswer> {
    const { model } = this.loaded();
    const { handle, report } = await editFact(model, call.fact, call.neurons, call.edit, {
      topK: call.topK ?? 5,
      tapMode: call.settings.tapMode,
      multiToken: call.settings.multiToken,
      signal,
      onProgress: progressOf(onProgress, this.now),
    });
    const edit = this.engine.edits().add(handle, {
      label: call.label,
      factId: call.fact.id,
      kind: call.edit.kind,
    });
    return { edit, report, info: this.engine.info! };
  }

  async revertEdit(id: string): Promise<ModelInfo> {
    await this.engine.edits().revert(id);
    return this.engine.info!;
  }

  async datasetRun(
    call: DatasetCall,
    signal: AbortSignal,
    onProgress?: (p: DatasetProgress) => void,
  ): Promise<DatasetAnswer> {
    const { model, info } = this.loaded();
    const { store, persistent } = await this.store(info);
    const run = await runDatasetService(
      model,
      {
        facts: call.facts,
        languages: call.languages,
        attribution: call.settings,
        selection: { tau: call.tau },
        degenerate: call.degenerate,
      },
      // Every finished item passes (the count the page shows), the steps within one throttled.
      { store, signal, onProgress: progressOf(onProgress, this.now, (p) => !p.current) },
    );
    return { ...run, persistent };
  }

  private checkKey(call: Omit<FactCheckCall, 'runId'>) {
    return {
      facts: call.facts,
      relations: call.relations ?? null,
      language: call.language,
      attribution: settingsKey(call.settings),
      tau: defaultTau(call.language, call.tau),
    };
  }

  async factCheck(
    call: FactCheckCall,
    signal: AbortSignal,
    onProgress?: (p: FactCheckProgress) => void,
  ): Promise<FactCheckAnswer> {
    const { model, info } = this.loaded();
    const { store, persistent } = await this.store(info);
    const report = await this.memo(store, 'factcheck', this.checkKey(call), () =>
      factCheckRelations(
        model,
        {
          facts: call.facts,
          relations: call.relations,
          language: call.language,
          attribution: call.settings,
          selection: { tau: call.tau },
        },
        { store, signal, onProgress: progressOf(onProgress, this.now, (p) => !p.current) },
      ),
    );
    return { ...report, persistent };
  }

  async estimateAnalysis(request: AnalysisEstimateRequest): Promise<AnalysisEstimate> {
    const { model, info } = this.loaded();
    const { store, persistent } = await this.store(info);
    const b = await this.engine.benchmark();
    const cost = new Cost(model, b);
    const done = (items: number): AnalysisEstimate => ({
      items,
      stored: items,
      complete: true,
      blocks: 0,
      tokenBlocks: 0,
      seconds: 0,
      failures: [],
      persistent,
    });
    const memoised = async (kind: string, key: unknown) =>
      (await store.get(`${MEMO}/${kind}/${digest(key)}`)) !== undefined;

    switch (request.kind) {
      case 'degenerate': {
        const { prompt, settings } = request;
        if (await memoised('degenerate', this.degenerateKey(request))) return done(1);
        const map = matchingMap(request.known, prompt.text, prompt.object, settings);
        let K = request.topK ?? PAIR_DEFAULTS.topK;
        if (map) {
          const [{ neurons }] = knowledgeNeuronsByLanguage(
            [{ language: prompt.language, scores: map.scores }],
            model.numLayers,
            model.numUnits,
            { tau: request.tau },
          );
          K = Math.min(K, neurons.length);
        } else cost.attribution(prompt.text, prompt.object, settings);
        // The baseline, K singles and K(K-1)/2 pairs; the clusters' checks come on top.
        const sets = 1 + (K * (K + 1)) / 2;
        cost.forward(prompt.text, prompt.object, settings, sets);
        return cost.result(sets, 0, [], persistent);
      }
      case 'lab': {
        if (await memoised('lab', this.labKey(request))) return done(request.targets.length);
        const rows = 1 + (request.kinds ?? ['suppress', 'enhance']).length;
        let prompts = 0;
        for (const t of request.targets) {
          const fact = request.facts.find((f) => f.id === t.factId);
          if (!fact || resolveNeuronSet(request.choice, t.sources).length === 0) continue;
          // Its own prompts and about as many of an unrelated fact.
          for (const p of fact.prompts) {
            cost.forward(p.text, p.object, request.settings, 2 * rows);
            prompts += 2;
          }
        }
        return cost.result(prompts, 0, [], persistent);
      }
      case 'dataset': {
        const plan = await planDataset(model, request.facts, {
          languages: request.languages,
          attribution: request.settings,
          selection: { tau: request.tau },
          degenerate: request.degenerate,
          store,
        });
        cost.plan(plan.items, request.settings);
        return {
          ...cost.result(plan.items.length, plan.reused, plan.failures, persistent),
          complete: plan.reused === plan.items.length,
        };
      }
      case 'factcheck': {
        if (await memoised('factcheck', this.checkKey(request))) return done(0);
        const chosen = request.relations && new Set(request.relations);
        const splits = relationSplits(
          chosen ? request.facts.filter((f) => chosen.has(f.relation ?? null)) : request.facts,
          request.language,
        );
        const plan = await planDataset(
          model,
          splits.flatMap((s) => s.train),
          {
            languages: [request.language],
            attribution: request.settings,
            selection: { tau: request.tau },
            degenerate: true,
            store,
          },
        );
        cost.plan(plan.items, request.settings);
        // Each test fact: both statements predicted and attributed (when D_r is not empty).
        for (const fact of splits.flatMap((s) => s.test)) {
          const prompt = fact.prompts.find((p) => p.language === request.language)!;
          for (const object of [prompt.object, fact.wrongObjects![request.language][0]]) {
            cost.forward(prompt.text, object, request.settings, 1);
            cost.attribution(prompt.text, object, request.settings);
          }
        }
        return cost.result(plan.items.length, plan.reused, plan.failures, persistent);
      }
    }
  }
}

/** Variants one forward pass of an intervention or pair search carries (degenerate.ts's default). */
const VARIANTS_PER_PASS = 64;

/**
 * Block evaluations, token-block evaluations and seconds, added up prompt by prompt from this
 * device's benchmark (each call priced by its fixed cost and its work).
 */
class Cost {
  private blocks = 0;
  private tokenBlocks = 0;
  private seconds = 0;

  constructor(
    private readonly model: Model,
    private readonly b: Benchmark,
  ) {}

  private tokens(text: string, object: string, settings: AttributionSettings): number {
    try {
      return encodePrompt(
        this.model.config,
        this.model.tokenizer,
        text,
        object,
        settings.multiToken,
      ).ids.length;
    } catch (e) {
      // A prompt that cannot run costs nothing; the run reports it.
      if (e instanceof PromptError) return 0;
      throw e;
    }
  }

  /** One attribution of `object` in `text`. */
  attribution(text: string, object: string, settings: AttributionSettings): void {
    let enc;
    try {
      enc = encodePrompt(
        this.model.config,
        this.model.tokenizer,
        text,
        object,
        settings.multiToken,
      );
    } catch (e) {
      if (e instanceof PromptError) return;
      throw e;
    }
    const est = estimatePrompt(
      this.b,
      this.model.config,
      this.model.arch.causal,
      layoutOf(enc),
      settings,
    );
    this.blocks += est.counts.forward + est.counts.backward;
    this.tokenBlocks += est.counts.forwardTokens + est.counts.backwardTokens;
    this.seconds += est.seconds;
  }

  /** `rows` forward passes of the prompt through every block and the head, batched. */
  forward(text: string, object: string, settings: AttributionSettings, rows: number): void {
    const tokens = this.tokens(text, object, settings);
    if (!tokens) return;
    const L = this.model.numLayers;
    this.blocks += rows * L;
    this.tokenBlocks += rows * L * tokens;
    for (let left = rows; left > 0; left -= VARIANTS_PER_PASS)
      this.seconds += forwardSeconds(this.b, L, Math.min(left, VARIANTS_PER_PASS), tokens);
  }

  /** What a dataset run's items still need: attributions, and pair searches (forward only). */
  plan(items: readonly DatasetItem[], settings: AttributionSettings): void {
    for (const item of items) {
      if (item.estimate.attribution > 0)
        for (const p of item.prompts) this.attribution(p.text, p.object, settings);
      // The search's estimate is in block evaluations: sets through every block.
      const sets = item.estimate.degenerate / this.model.numLayers;
      if (sets > 0) this.forward(item.prompts[0].text, item.prompts[0].object, settings, sets);
    }
  }

  result(
    items: number,
    stored: number,
    failures: RunFailure[],
    persistent: boolean,
  ): AnalysisEstimate {
    return {
      items,
      stored,
      complete: false,
      blocks: this.blocks,
      tokenBlocks: this.tokenBlocks,
      seconds: this.seconds,
      failures,
      persistent,
    };
  }
}
