/**
 * The analysis views of issue #6: language overlap (Venn / UpSet), layer distributions of KN,
 * LIKN and DKN, the intervention lab, degenerate neurons, fact checking, selection-frequency
 * heatmaps, a weight edit's before and after, and one fact on two models by relative depth. Each is a pure React component (data in, callbacks out) with an SVG figure that is
 * also its export, and a JSON view state the app can keep in a link. Import './analysis.css'
 * once in the app, after '../views.css'.
 */
export type { FigureContext } from '../kit/figure';
export * from './viewState';
export {
  LanguageOverlapView,
  OverlapFigure,
  overlapCsv,
  regionLabel,
  type LanguageOverlapViewProps,
  type OverlapFigureProps,
} from './LanguageOverlap';
export {
  LayerDistributionFigure,
  LayerDistributionView,
  layerDistributionCsv,
  type LayerDistributionFigureProps,
  type LayerDistributionViewProps,
} from './LayerDistribution';
export { InterventionLabView, labCsv, type InterventionLabViewProps } from './InterventionLab';
export {
  NeuronSetChooser,
  type NeuronSetChooserProps,
  choiceProblem,
  chosenNeurons,
} from './NeuronSetChooser';
export { EffectBarsFigure, effectRows, type EffectBarsFigureProps } from './EffectBars';
export {
  DegenerateGraphFigure,
  DegenerateView,
  SuppressionMatrixFigure,
  degenerateCsv,
  degenerateGraph,
  type DegenerateFigureProps,
  type DegenerateViewProps,
} from './Degenerate';
export {
  ConfusionFigure,
  F1BarsFigure,
  FactCheckView,
  POSITIVE_CLASS,
  factCheckCsv,
  type FactCheckFigureProps,
  type FactCheckViewProps,
} from './FactCheck';
export {
  FrequencyFigure,
  SelectionFrequencyView,
  frequencyCsv,
  mostFrequent,
  type FrequencyFigureProps,
  type FrequencyMap,
  type ScopedFrequency,
  type SelectionFrequencyViewProps,
} from './SelectionFrequency';
export {
  WeightEditFigure,
  WeightEditView,
  editSummary,
  weightEditCsv,
  type WeightEditFigureProps,
  type WeightEditViewProps,
} from './WeightEdit';
export {
  DepthAlignedMapsFigure,
  KnDepthFigure,
  ModelComparisonView,
  comparisonOf,
  type ComparedLanguage,
  type ComparedModel,
  type ModelComparisonProps,
} from './ModelComparison';
