/**
 * The views of issue #5: neuron maps (interactive and SVG), small multiples, the knowledge-neuron
 * list, the neuron panel, predictions, and exports. Import './views.css' once in the app.
 */
export type {
  ColorTransform,
  LanguageMap,
  Neuron,
  NeuronMapData,
  ScaleMode,
  ScoredNeuron,
  UnitRange,
} from './types';
export { NeuronMap, type NeuronMapProps } from './NeuronMap';
export { NeuronMaps, type NeuronMapsProps } from './NeuronMaps';
export { NeuronMapSvg, NeuronMapsSvg, type NeuronMapSvgProps } from './NeuronMapSvg';
export { TauControl, type TauControlProps } from './TauControl';
export { KnowledgeNeuronList, type KnowledgeNeuronListProps } from './KnowledgeNeuronList';
export {
  NeuronPanel,
  type NeuronFactScore,
  type NeuronPanelProps,
  type TokenLogit,
} from './NeuronPanel';
export {
  PredictionsTable,
  type PredictionRow,
  type PredictionsTableProps,
} from './PredictionsTable';
export { ExportMenu, type ExportMenuProps } from './ExportMenu';
export {
  type CopyResult,
  type SvgDocument,
  copyPng,
  downloadBlob,
  exportBasename,
  scoresCsv,
  scoresJson,
  svgBlob,
  svgDocument,
  svgToPng,
} from './export';
