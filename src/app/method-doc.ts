/**
 * The method document (docs/method.md) inside the app: the views' "what am I looking at" notes
 * open the section they rest on, read from the document itself (bundled as text, loaded only when
 * asked for), so the app and the repository say the same thing and nothing is fetched elsewhere.
 */
import type { Tab } from './analysis-state';

/** Per view: what it shows, in a sentence or two, and the section of docs/method.md behind it. */
export const VIEW_HELP: Record<Tab, { text: string; section: string }> = {
  map: {
    text:
      'One row per layer, one column per feed-forward unit; a cell’s colour is the neuron’s attribution ' +
      'score for the object (red raises its probability, blue lowers it). Ringed neurons are the ' +
      'knowledge neurons, score above τ × the map’s maximum; those every language has are listed above the maps.',
    section: 'Knowledge neurons',
  },
  overlap: {
    text:
      'Each language’s knowledge neurons of the fact as a set: the region all languages share is the ' +
      'language-independent neurons (LIKN), the others the neurons only some languages have.',
    section: 'Language-independent knowledge neurons (LIKN)',
  },
  degenerate: {
    text:
      'Knowledge neurons that back each other up: suppressing one alone keeps the prediction, suppressing ' +
      'them together breaks it. The graph links such neurons; the matrix shows the probability with each pair suppressed.',
    section: 'Degenerate knowledge neurons (DKN)',
  },
  lab: {
    text:
      'The relative change of P(object) in every language when the chosen neurons are suppressed (×0) or ' +
      'enhanced (×2) at the object position, next to the same change on an unrelated fact.',
    section: 'Interventions',
  },
  edits: {
    text:
      'The predictions in each language before and after changing the chosen neurons’ value vectors in the ' +
      'weights (erase, or move towards a new object); Revert restores the weights exactly.',
    section: 'Interventions',
  },
  dataset: {
    text:
      'Over every fact and language of a data set: how many knowledge neurons (KN, LIKN, DKN) each layer ' +
      'holds, and how often each neuron is selected.',
    section: 'Knowledge neurons',
  },
  factcheck: {
    text:
      'Statements judged true or false by the attribution of their relation’s degenerate neurons, in ' +
      'confusion matrices with F1 per relation, against the model’s top prediction as the baseline.',
    section: 'Fact checking with DKN',
  },
  compare: {
    text:
      'The same fact on two models: their maps side by side on a shared axis of relative depth (layer l ' +
      'of an L-layer model spans l/L to (l+1)/L), and where each model’s knowledge neurons sit by depth, ' +
      'with the share both put at the same depths.',
    section: 'Comparing two models by depth',
  },
};

/**
 * The paragraphs of the section headed `## heading` of a Markdown document, up to the next
 * heading of that level; undefined when there is no such section. Lines of a paragraph are
 * joined; tables and lists keep their lines.
 */
export function methodSection(markdown: string, heading: string): string[] | undefined {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return undefined;
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const paragraphs: string[] = [];
  let block: string[] = [];
  const flush = () => {
    if (block.length === 0) return;
    const structured = block.some((l) => /^\s*([-|]|\d+\.)\s/.test(l));
    paragraphs.push(block.join(structured ? '\n' : ' '));
    block = [];
  };
  for (const line of lines.slice(start + 1, end)) {
    if (line.trim() === '') flush();
    else block.push(line.trim());
  }
  flush();
  return paragraphs;
}

/** The method document's text, loaded on first use (a chunk of the build, no network beyond it). */
export const loadMethodDoc = (): Promise<string> =>
  import('../../docs/method.md?raw').then((m) => m.default);
