/**
 * `kne attribute`: every prompt of the facts (this shard's), attributed and selected by the
 * explorer's dataset runner (src/analysis/services.ts), each result saved to the --out folder as
 * it finishes; a rerun with the same folder skips what is there.
 */
import { DEFAULT_SHARE, defaultTau } from '../analysis/selection';
import { type ResultsManifest, RESULTS_FORMAT, RESULTS_VERSION } from '../analysis/results';
import { runDatasetService } from '../analysis/services';
import { resolveSettings, type AttributionMethod } from '../attribution/settings';
import { languagesOf, promptRate } from '../analysis/dataset';
import { UsageError } from './errors';
import { chooseFacts } from './facts';
import { RunFolder } from './folder';
import { openModel } from './model';
import type { Parsed } from './options';
import { Progress } from './progress';
import { resolveShard, shardOf } from './shard';
import type { CommandIo } from './io';
import { languages, list, required, tauMap, text, threads, wholeNumber } from './values';

/** The degenerate-pair search's settings when --degenerate is given (the explorer's defaults). */
const DKN_SETTINGS = { topK: 20, singleDrop: 0.2, jointDrop: 0.25 };

export async function attributeCommand(p: Parsed, io: CommandIo): Promise<void> {
  const out = required(p, 'out', 'attribute');
  const modelSpec = required(p, 'model', 'attribute');
  const factsSpec = required(p, 'facts', 'attribute');
  const shard = resolveShard({ shard: text(p, 'shard'), shards: text(p, 'shards') }, io.env);
  let settings;
  try {
    settings = resolveSettings({
      method: text(p, 'method') as AttributionMethod | undefined,
      steps: wholeNumber(p, 'steps', 1, 200),
    });
  } catch (e) {
    throw new UsageError(`--method/--steps: ${(e as Error).message}`);
  }
  const top = wholeNumber(p, 'top', 0, 100_000) ?? 20;
  const tau = tauMap(p, 'tau');
  const chosen = await chooseFacts(
    {
      facts: factsSpec,
      relations: list(p, 'relations'),
      perRelation: wholeNumber(p, 'per-relation', 1, 10_000_000),
      languages: languages(p, 'languages'),
      paraphrases: p.values.paraphrases === true,
    },
    io.log,
  );
  const runLanguages = languages(p, 'languages') ?? languagesOf(chosen.facts);
  const facts = shardOf(chosen.facts, shard, (f) => f.id);
  const overridden = shard.overrides.length ? ` (overrides ${shard.overrides.join(', ')})` : '';
  io.log(
    `shard ${shard.index}/${shard.count} (${shard.source})${overridden}: ${facts.length} of ` +
      `${chosen.facts.length} facts of ${chosen.label}, ` +
      `${facts.reduce((s, f) => s + f.prompts.length, 0)} prompts in ${runLanguages.join(', ')}`,
  );

  const opened = await openModel(modelSpec, {
    offline: p.values.offline === true,
    token: text(p, 'token'),
    threads: threads(p, io.env),
    env: io.env,
    log: io.log,
    signal: io.signal,
  });
  try {
    const { identity } = opened;
    io.log(
      `model ${identity.id}${identity.commit ? ` (commit ${identity.commit})` : ''}: ` +
        `${identity.modelType}, ${identity.layers} layers x ${identity.units} units; ` +
        `${settings.method}, ${settings.steps} step${settings.steps === 1 ? '' : 's'}`,
    );
    const manifest: ResultsManifest = {
      format: RESULTS_FORMAT,
      version: RESULTS_VERSION,
      tool: `kne ${io.version}`,
      model: identity,
      settings,
      tau: Object.fromEntries(runLanguages.map((l) => [l, defaultTau(l, tau)])),
      p: DEFAULT_SHARE,
      languages: runLanguages,
      degenerate: p.values.degenerate === true ? DKN_SETTINGS : null,
      maps: p.values.maps === true,
      top,
      shard: { index: shard.index, count: shard.count },
      facts: facts.length,
      complete: false,
    };
    const { folder, kept } = await RunFolder.open(out, manifest, facts, io.log);
    if (kept)
      io.log(`${out}: ${kept} records of an earlier run found; they are not computed again`);
    const progress = new Progress(io.stderr, 'items');
    // The attribution rate of this process, for the summary ('' when it attributed nothing).
    let rate = '';
    try {
      const run = await runDatasetService(
        opened.model,
        {
          facts,
          languages: runLanguages,
          attribution: settings,
          selection: { tau: manifest.tau, p: manifest.p },
          degenerate: manifest.degenerate ?? false,
          prompts: folder.prompts,
        },
        {
          store: folder.store,
          signal: io.signal,
          onProgress: (d) => {
            rate = promptRate(d);
            progress.update({
              done: d.done,
              total: d.total,
              reused: d.reused,
              blocks: d.blocks,
              prompts: d.prompts,
              current: d.current && `${d.current.factId} (${d.current.language})`,
            });
          },
        },
      );
      progress.end();
      for (const f of run.failures)
        io.log(`could not run ${f.factId} (${f.language}): ${f.message}`);
      const records = await folder.finish(run.failures);
      const count = (type: string) => records.filter((r) => r.type === type).length;
      io.log(
        `done: ${count('prompt')} prompts, ${count('kn')} fact x language items ` +
          `(${folder.written} prompts computed now${rate && `, ${rate}`})` +
          `${count('dkn') ? `, ${count('dkn')} degenerate-pair searches` : ''}` +
          `${run.failures.length ? `, ${run.failures.length} could not run` : ''} -> ${out}`,
      );
    } catch (e) {
      progress.end();
      await folder.close();
      if (io.signal.aborted)
        io.log(
          `stopped: ${folder.written} prompts computed by this run are saved in ${out}; run the ` +
            'same command again to resume',
        );
      throw e;
    }
  } finally {
    await opened.release();
  }
}
