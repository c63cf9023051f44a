/**
 * Small multiples: one neuron map per language for the same fact, one under the other at the
 * width of their container, so that they share one unit axis (same x scale, zoomed together) and
 * the same layer rows; coloured by each map's own maximum or by a common one, each with its
 * threshold control and exports. The neurons every language shares (language-independent) are
 * listed first and marked on every map with a guide that lines up across the maps; the lists of
 * each language's knowledge neurons follow the maps, side by side.
 */
import { type ReactNode, useMemo } from 'react';
import { languageIndependent } from '../analysis/overlap';
import { defaultTau, neuronKey } from '../analysis/selection';
import { colorDomains, maxScore } from './color';
import { exportBasename, scoresCsv, scoresJson } from './export';
import { ExportMenu } from './ExportMenu';
import { fullRange, knowledgeNeurons } from './grid';
import { NeuronButtons, RadioGroup } from './kit/controls';
import { KnowledgeNeuronList } from './KnowledgeNeuronList';
import { MAP_KEYS_HINT, NeuronMap } from './NeuronMap';
import { NeuronMapSvg, NeuronMapsSvg } from './NeuronMapSvg';
import { TauControl } from './TauControl';
import { useContainerWidth } from './useContainerWidth';
import type { ColorTransform, LanguageMap, Neuron, ScaleMode, UnitRange } from './types';
import { useControllable } from './useControllable';

export interface NeuronMapsProps {
  /** The same fact in several languages (one model: every map has the same shape). */
  maps: readonly LanguageMap[];
  onTauChange: (language: string, tau: number) => void;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number, language: string) => void;
  /** Controlled when given; 'common' by default, so colours compare across languages. */
  scaleMode?: ScaleMode;
  onScaleModeChange?: (mode: ScaleMode) => void;
  transform?: ColorTransform;
  onTransformChange?: (transform: ColorTransform) => void;
  range?: UnitRange;
  onRangeChange?: (range: UnitRange) => void;
  /** Width of each map; the container's width when left out. */
  mapWidth?: number;
  /** More controls for the toolbar's row (the app's paraphrase choice). */
  controls?: ReactNode;
  /** More notes for the toolbar's collapsed area. */
  notes?: ReactNode;
}

/** "en and zh", "en, zh and ja". */
const listLanguages = (languages: string[]) =>
  languages.length < 2
    ? languages.join('')
    : `${languages.slice(0, -1).join(', ')} and ${languages[languages.length - 1]}`;

export function NeuronMaps({
  maps,
  onTauChange,
  selected,
  onSelectNeuron,
  mapWidth,
  controls,
  notes,
  ...controlled
}: NeuronMapsProps) {
  const [stack, measured] = useContainerWidth<HTMLDivElement>(720);
  const width = mapWidth ?? measured;
  const units = maps[0]?.map.units ?? 1;
  const [scaleMode, setScaleMode] = useControllable(
    controlled.scaleMode,
    controlled.onScaleModeChange,
    'common',
  );
  const [transform, setTransform] = useControllable(
    controlled.transform,
    controlled.onTransformChange,
    'linear',
  );
  const [range, setRange] = useControllable(controlled.range, controlled.onRangeChange, () =>
    fullRange(units),
  );
  const domains = useMemo(
    () =>
      colorDomains(
        maps.map((m) => m.map.scores),
        scaleMode,
      ),
    [maps, scaleMode],
  );
  const perLanguage = useMemo(
    () =>
      maps.map((m) => ({
        neurons: m.refined
          ? [...m.refined.neurons]
          : knowledgeNeurons(m.map.scores, m.map.layers, m.map.units, m.tau),
        max: maxScore(m.map.scores),
      })),
    [maps],
  );
  const shared = useMemo(
    () =>
      languageIndependent(
        Object.fromEntries(maps.map((m, i) => [m.language, perLanguage[i].neurons])),
      ),
    [maps, perLanguage],
  );
  const sharedKeys = useMemo(() => new Set(shared.map(neuronKey)), [shared]);
  const exportMaps = () =>
    maps.map((m, i) => ({
      map: m.map,
      language: m.language,
      tau: m.tau,
      domain: domains[i],
      refined: m.refined,
    }));
  const first = maps[0];
  if (!first) return null;

  return (
    <section className="kn-maps" aria-label="Neuron maps by language">
      {/* One row: the thresholds and the view's own controls; colours, the export of all maps
          and the notes in a collapsed area, so that the maps start high on the first screen. */}
      <div className="kn-maps-toolbar" data-testid="maps-toolbar">
        <fieldset className="kn-taus">
          <legend className="kn-sr-only">Threshold τ (knowledge neuron: score &gt; τ × max)</legend>
          {maps.map((m) => (
            <TauControl
              key={m.language}
              language={m.language}
              value={m.tau}
              defaultValue={defaultTau(m.language)}
              onChange={(tau) => onTauChange(m.language, tau)}
            />
          ))}
        </fieldset>
        {controls}
        <details className="kn-maps-more" data-testid="maps-more">
          <summary>Colours, export, notes</summary>
          <div className="kn-maps-more-body">
            <RadioGroup
              legend="Colour scale"
              value={scaleMode}
              onChange={setScaleMode}
              options={[
                ['common', 'common max'],
                ['per-map', 'per map'],
              ]}
            />
            <RadioGroup
              legend="Colour by"
              value={transform}
              onChange={setTransform}
              options={[
                ['linear', 'score'],
                ['sqrt', '√ score'],
              ]}
            />
            {maps.length > 1 && (
              <ExportMenu
                label="Export all maps"
                basename={`${exportBasename(first.map)}_all`}
                figure={() => (
                  <NeuronMapsSvg
                    maps={exportMaps()}
                    scaleMode={scaleMode}
                    transform={transform}
                    range={range}
                    selected={selected}
                    shared={shared}
                  />
                )}
              />
            )}
            <p className="note kn-tau-note" data-testid="tau-defaults">
              Threshold τ: a knowledge neuron’s score is above τ × the map’s max. The defaults are
              the values the paper (arXiv 2308.13198) chose per language: 0.3 for English, 0.2 for
              Chinese; 0.3 for other languages. Change them above; nothing is recomputed.
            </p>
            {notes}
            <p className="note">{MAP_KEYS_HINT}</p>
          </div>
        </details>
      </div>
      {maps.length > 1 && (
        <NeuronButtons
          title={`Shared by ${listLanguages(maps.map((m) => m.language))}`}
          neurons={shared}
          selected={selected}
          onSelectNeuron={(layer, unit) => onSelectNeuron?.(layer, unit, first.language)}
          testId="shared-neurons"
        />
      )}
      <div className="kn-maps-stack" ref={stack}>
        {maps.map((m, i) => {
          // What the map shows: the view and its export alike.
          const shown = {
            ...m,
            domain: domains[i],
            transform,
            range,
            selected,
            shared: maps.length > 1 ? shared : undefined,
          };
          return (
            <NeuronMap
              key={m.language}
              {...shown}
              onRangeChange={setRange}
              onSelectNeuron={(layer, unit) => onSelectNeuron?.(layer, unit, m.language)}
              width={width}
              hint={false}
              actions={
                <ExportMenu
                  label={`Export the ${m.language} map`}
                  basename={exportBasename(m.map, m.language)}
                  figure={() => <NeuronMapSvg {...shown} scaleMode={scaleMode} />}
                  csv={() => scoresCsv(m.map, m.tau)}
                  json={() => scoresJson(m.map, { language: m.language, tau: m.tau })}
                />
              }
            />
          );
        })}
      </div>
      <div className="kn-maps-lists">
        {maps.map((m, i) => (
          <KnowledgeNeuronList
            key={m.language}
            language={m.language}
            neurons={perLanguage[i].neurons}
            maxScore={perLanguage[i].max}
            shared={maps.length > 1 ? sharedKeys : undefined}
            paraphrases={m.refined?.paraphrases}
            selected={selected}
            onSelectNeuron={(layer, unit) => onSelectNeuron?.(layer, unit, m.language)}
          />
        ))}
      </div>
    </section>
  );
}
