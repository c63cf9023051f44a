/** Fact sets and upload parsers: pure data, browser-safe, usable from any layer. */
export type { Fact, Prompt } from './types';
export {
  MASK,
  OBJECT_SLOT,
  SUBJECT_SLOT,
  TemplateError,
  clozeProblem,
  fillTemplate,
  splitCloze,
  templateProblem,
} from './template';
export type { ParseError, UploadLimits } from './limits';
export { DEFAULT_LIMITS, checkUploadSize } from './limits';
export type { DefaultSource, ParseOptions, ParseResult, UploadFormat } from './parse';
export {
  detectFormat,
  formatOfFileName,
  languageFromFileName,
  languageFromScript,
  parseUpload,
  parseUploadFile,
  relationFromFileName,
  serializeFacts,
} from './parse';
export { decodeText } from './text';
export { MLAMA_LANGUAGES } from './languages';
export { type TemplateSet, mergeTemplates, overrideTemplates, templateCount } from './templates';
export { type FormatExample, FORMAT_EXAMPLES } from './examples';
export { FACTS_FORMAT_VERSION } from './project-json';
export type { FactSet, FactSetRelation, LoadFactSetOptions, ReadText } from './factset';
export { loadFactSet, withParaphrases } from './factset';
