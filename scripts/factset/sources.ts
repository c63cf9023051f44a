import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Lang } from './names';
import { LANGS } from './names';

const require = createRequire(import.meta.url);

function readJson<T>(specifier: string): T {
  return JSON.parse(readFileSync(require.resolve(specifier), 'utf8')) as T;
}

/** The fields of a world-countries record that the builder reads. */
export interface WorldCountry {
  cca2: string;
  cca3: string;
  unMember: boolean;
  name: { common: string };
  capital: string[];
  languages: Record<string, string>;
  borders: string[];
}

interface CurrencyPeriod {
  _from?: string;
  _to?: string;
  _tender?: string;
}

/** The raw data the relations are extracted from, all read from pinned npm packages. */
export interface Sources {
  countries: WorldCountry[];
  territoryNames: Record<Lang, Record<string, string>>;
  languageNames: Record<Lang, Record<string, string>>;
  currencyNames: Record<Lang, Record<string, string>>;
  /** IANA zone id -> exemplar city name where the locale gives one (CLDR time-zone names). */
  exemplarCities: Record<Lang, Map<string, string>>;
  /** IANA zone id -> territories that use it (CLDR windowsZones). */
  zoneTerritories: Map<string, Set<string>>;
  /** UN M49 containment: region -> contained regions or territories. */
  containment: Record<string, string[]>;
  /** Territory -> currencies with their periods of use (CLDR currencyData). */
  currencyHistory: Record<string, Record<string, CurrencyPeriod>[]>;
  /** ISO 639-2/3 code -> the ISO 639-1 code CLDR uses for it. */
  languageAliases: Record<string, string>;
  packages: PackageInfo[];
}

export interface PackageInfo {
  name: string;
  version: string;
  license: string;
  usedFor: string;
}

const PACKAGES: { name: string; usedFor: string }[] = [
  {
    name: 'world-countries',
    usedFor: 'UN members, English country and capital names, land borders, languages',
  },
  { name: 'cldr-localenames-full', usedFor: 'Chinese country names; continent and language names' },
  { name: 'cldr-numbers-full', usedFor: 'currency names' },
  { name: 'cldr-dates-full', usedFor: 'Chinese capital names (time-zone exemplar cities)' },
  {
    name: 'cldr-core',
    usedFor: 'continent membership, current currencies, zone territories, language code aliases',
  },
];

function packageInfo(name: string, usedFor: string): PackageInfo {
  const pkg = readJson<{ version: string; license?: string; licenses?: { type: string }[] }>(
    `${name}/package.json`,
  );
  const license = pkg.license ?? pkg.licenses?.map((l) => l.type).join(' OR ') ?? 'unknown';
  return { name, version: pkg.version, license, usedFor };
}

function perLang<T>(load: (lang: Lang) => T): Record<Lang, T> {
  return Object.fromEntries(LANGS.map((lang) => [lang, load(lang)])) as Record<Lang, T>;
}

function localeNames(kind: 'territories' | 'languages', lang: Lang): Record<string, string> {
  const json = readJson<{
    main: Record<string, { localeDisplayNames: Record<string, Record<string, string>> }>;
  }>(`cldr-localenames-full/main/${lang}/${kind}.json`);
  return json.main[lang].localeDisplayNames[kind];
}

function currencyNames(lang: Lang): Record<string, string> {
  const json = readJson<{
    main: Record<string, { numbers: { currencies: Record<string, { displayName: string }> } }>;
  }>(`cldr-numbers-full/main/${lang}/currencies.json`);
  const out: Record<string, string> = {};
  for (const [code, c] of Object.entries(json.main[lang].numbers.currencies))
    out[code] = c.displayName;
  return out;
}

interface ZoneNode {
  _type?: string;
  exemplarCity?: string;
  [key: string]: unknown;
}

function exemplarCities(lang: Lang): Map<string, string> {
  const json = readJson<{
    main: Record<string, { dates: { timeZoneNames: { zone: Record<string, ZoneNode> } } }>;
  }>(`cldr-dates-full/main/${lang}/timeZoneNames.json`);
  const out = new Map<string, string>();
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, child] of Object.entries(node)) {
      if (typeof child !== 'object' || child === null) continue;
      const id = prefix + key;
      const zone = child as ZoneNode;
      if (zone._type === 'zone') {
        if (zone.exemplarCity !== undefined) out.set(id, zone.exemplarCity);
      } else {
        walk(zone, `${id}/`);
      }
    }
  };
  walk(json.main[lang].dates.timeZoneNames.zone, '');
  return out;
}

function zoneTerritories(): Map<string, Set<string>> {
  const json = readJson<{
    supplemental: {
      windowsZones: { mapTimezones: { mapZone: { _type: string; _territory: string } }[] };
    };
  }>('cldr-core/supplemental/windowsZones.json');
  const out = new Map<string, Set<string>>();
  for (const { mapZone } of json.supplemental.windowsZones.mapTimezones) {
    // 001 is "the world" (the Windows zone's default), not a territory.
    if (mapZone._territory === '001') continue;
    for (const zone of mapZone._type.split(' ')) {
      let set = out.get(zone);
      if (!set) out.set(zone, (set = new Set()));
      set.add(mapZone._territory);
    }
  }
  return out;
}

function containment(): Record<string, string[]> {
  const json = readJson<{
    supplemental: { territoryContainment: Record<string, { _contains: string[] }> };
  }>('cldr-core/supplemental/territoryContainment.json');
  const out: Record<string, string[]> = {};
  // Keys like "002-status-grouping" list extra groupings (EU, UN); they are not geography.
  for (const [key, v] of Object.entries(json.supplemental.territoryContainment)) {
    if (!key.includes('-')) out[key] = v._contains;
  }
  return out;
}

function currencyHistory(): Sources['currencyHistory'] {
  return readJson<{ supplemental: { currencyData: { region: Sources['currencyHistory'] } } }>(
    'cldr-core/supplemental/currencyData.json',
  ).supplemental.currencyData.region;
}

function languageAliases(): Record<string, string> {
  const json = readJson<{
    supplemental: {
      metadata: {
        alias: { languageAlias: Record<string, { _reason: string; _replacement: string }> };
      };
    };
  }>('cldr-core/supplemental/aliases.json');
  const out: Record<string, string> = {};
  for (const [code, a] of Object.entries(json.supplemental.metadata.alias.languageAlias)) {
    // "overlong": a three-letter code whose two-letter ISO 639-1 code CLDR uses instead.
    if (a._reason === 'overlong' && /^[a-z]{3}$/u.test(code)) out[code] = a._replacement;
  }
  return out;
}

export function loadSources(): Sources {
  return {
    countries: readJson<WorldCountry[]>('world-countries/countries.json'),
    territoryNames: perLang((lang) => localeNames('territories', lang)),
    languageNames: perLang((lang) => localeNames('languages', lang)),
    currencyNames: perLang(currencyNames),
    exemplarCities: perLang(exemplarCities),
    zoneTerritories: zoneTerritories(),
    containment: containment(),
    currencyHistory: currencyHistory(),
    languageAliases: languageAliases(),
    packages: PACKAGES.map((p) => packageInfo(p.name, p.usedFor)),
  };
}
