/**
 * The first screen: on a first visit an example fact, in English and Chinese, runs by itself on
 * the demo model, so that the first thing a visitor sees is a neuron map and the neurons its
 * languages share. "First visit" is narrow on purpose: the site's plain address (no link, no
 * parameters such as `?backend=`), nothing kept from an earlier visit, and no example run in this
 * browser before. Once the example has been started it never starts by itself again (the record
 * is in localStorage); opening the page with any parameter skips it.
 */
import type { Fact } from '../facts';

/** localStorage key: set when the example first ran in this browser. */
export const EXAMPLE_KEY = 'kne-example-ran';

/**
 * A fact whose English and Chinese prompts share knowledge neurons on the bundled demo-bert at the
 * default settings (2 of 12 and 14: `kne attribute --model public/models/demo-bert --facts
 * factset --relations P36 --languages en,zh`), so the first map shows what "shared" means.
 */
export const EXAMPLE_FACT: Fact = {
  id: 'example-germany-capital',
  relation: 'P36',
  subject: 'Germany',
  prompts: [
    {
      language: 'en',
      text: 'The capital of Germany is [MASK] .',
      object: 'Berlin',
      subject: 'Germany',
    },
    { language: 'zh', text: '德国的首都是[MASK]。', object: '柏林', subject: '德国' },
  ],
};

export interface FirstVisitInput {
  /** The address's query and fragment when the page opened. */
  search: string;
  hash: string;
  /** Where the opening state came from ('none': no link and nothing kept). */
  openedFrom: 'link' | 'tab' | 'browser' | 'none';
  /** Whether the example has run in this browser before (EXAMPLE_KEY). */
  ranBefore: boolean;
}

/** Whether this opening of the page is a first visit that runs the example. */
export function isFirstVisit(input: FirstVisitInput): boolean {
  return (
    input.openedFrom === 'none' && !input.ranBefore && input.search === '' && input.hash === ''
  );
}

/** Whether the example ran in this browser (storage that cannot be read counts as yes). */
export function exampleRanBefore(storage: Pick<Storage, 'getItem'> | undefined): boolean {
  try {
    return !storage || storage.getItem(EXAMPLE_KEY) !== null;
  } catch {
    return true; // a browser that refuses storage would run the example on every visit
  }
}

export function markExampleRan(storage: Pick<Storage, 'setItem'> | undefined): void {
  try {
    storage?.setItem(EXAMPLE_KEY, new Date().toISOString());
  } catch {
    // Nothing to keep it in: the next plain visit without a kept state runs it again.
  }
}
