/** Languages of the bundled fact set, in the order files and prompts list them. */
export const LANGS = ['en', 'zh'] as const;
export type Lang = (typeof LANGS)[number];

/** An entity with a stable code (ISO 3166, ISO 639, ISO 4217, IANA zone, UN M49) and names. */
export interface Named {
  code: string;
  name: Record<Lang, string>;
}

// Parentheses carry qualifiers ("Congo (DRC)", "(1964—2022)") that no prompt would use;
// brackets would collide with the [X]/[Y]/[MASK] slots.
const FORBIDDEN = /[()（）[\]【】]/u;
const HAN = /\p{Script=Han}/u;

/**
 * Normalises a name from the source data, or returns undefined when it is not usable as a
 * prompt word: empty, qualified with parentheses, or (for Chinese) without a Han character,
 * which means the source fell back to a code or a Latin name.
 */
export function cleanName(raw: string | undefined, lang: Lang): string | undefined {
  if (raw === undefined) return undefined;
  let name = raw.normalize('NFC').replace(/\s+/gu, ' ').trim();
  // CLDR abbreviates "and" in English display names ("Trinidad & Tobago Dollar").
  if (lang === 'en') name = name.replace(/ & /gu, ' and ');
  if (name === '' || FORBIDDEN.test(name)) return undefined;
  if (lang === 'zh' && !HAN.test(name)) return undefined;
  return name;
}

/** First usable name among candidates (preferred source first). */
export function firstClean(candidates: (string | undefined)[], lang: Lang): string | undefined {
  for (const c of candidates) {
    const name = cleanName(c, lang);
    if (name !== undefined) return name;
  }
  return undefined;
}

/** Key for comparing names that differ only in case or diacritics ("Bogota" vs "Bogotá"). */
export function foldName(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
