/**
 * The demo models shipped with the app, under public/models/<name>/ (Hugging Face folders
 * written by `npm run train:demo`). The first one present is the default model.
 */
export interface BundledModel {
  name: string;
  title: string;
  description: string;
}

export const BUNDLED_MODELS: readonly BundledModel[] = [
  {
    name: 'demo-bert',
    title: 'Demo BERT',
    description:
      'a small masked LM (4 layers × 512 FFN units) trained on the bundled English/Chinese facts',
  },
  {
    name: 'demo-gpt2',
    title: 'Demo GPT-2',
    description:
      'a small causal LM (4 layers × 512 FFN units) trained on the bundled English/Chinese facts',
  },
];

export function bundledUrl(name: string): string {
  return `${import.meta.env.BASE_URL}models/${name}/`;
}

/**
 * The bundled models this deployment serves: a model counts when its config.json is there.
 * A static host may answer a missing file with its index page (status 200), so the answer
 * must also be JSON.
 */
export async function availableBundled(): Promise<BundledModel[]> {
  const present = await Promise.all(
    BUNDLED_MODELS.map(async (m) => {
      try {
        const res = await fetch(`${bundledUrl(m.name)}config.json`);
        if (!res.ok) return false;
        await res.json();
        return true;
      } catch {
        return false;
      }
    }),
  );
  return BUNDLED_MODELS.filter((_, i) => present[i]);
}
