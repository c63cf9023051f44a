import type { Lang, Named } from './names';
import { cleanName, firstClean, foldName } from './names';
import type { Sources, WorldCountry } from './sources';

/** A subject with every valid object of the relation (sorted by code). */
export interface Group {
  subject: Named;
  objects: Named[];
}

/** Records why source items were left out, for the documentation. */
export type DropLog = (relation: string, reason: string, item: string) => void;

export interface Context {
  src: Sources;
  /** UN member states that have a usable name in every language, sorted by code. */
  countries: Named[];
  records: Map<string, WorldCountry>;
  drop: DropLog;
}

export interface RelationDef {
  id: string;
  label: Record<Lang, string>;
  description: Record<Lang, string>;
  /** mLAMA's cardinality classes, judged on this data. */
  type: '1-1' | 'N-1' | 'N-M';
  /** Whether a subject may have several valid objects (lines then carry all_objects). */
  multiValued: boolean;
  /** Paraphrases; the first is the main template. [Y] always ends the sentence so that
   *  causal models, which predict the object from its left context, can use every one. */
  templates: Record<Lang, string[]>;
  extract(ctx: Context): Group[];
}

/** UN member states with an English common name and a Chinese CLDR name. */
export function memberStates(src: Sources, drop: DropLog): Named[] {
  const out: Named[] = [];
  for (const c of src.countries.filter((c) => c.unMember)) {
    const zh = src.territoryNames.zh;
    // CLDR's short Chinese names for the two Congos carry a parenthesis; its variant is plain.
    const name = {
      en: cleanName(c.name.common, 'en'),
      zh: firstClean([zh[c.cca2], zh[`${c.cca2}-alt-variant`]], 'zh'),
    };
    if (name.en === undefined || name.zh === undefined) {
      drop('entities', 'country without a usable English or Chinese name', c.cca2);
      continue;
    }
    out.push({ code: c.cca2, name: { en: name.en, zh: name.zh } });
  }
  return out.sort(byCode);
}

export function byCode(a: Named, b: Named): number {
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

function named(code: string, en: string | undefined, zh: string | undefined): Named | undefined {
  const name = { en: cleanName(en, 'en'), zh: cleanName(zh, 'zh') };
  return name.en === undefined || name.zh === undefined
    ? undefined
    : { code, name: { en: name.en, zh: name.zh } };
}

function groups(entries: Iterable<[Named, Named[]]>): Group[] {
  const out: Group[] = [];
  for (const [subject, objects] of entries) {
    if (objects.length > 0) out.push({ subject, objects: [...objects].sort(byCode) });
  }
  return out.sort((a, b) => byCode(a.subject, b.subject));
}

// UN M49 continents: 003 (North America) groups Northern America, Central America and the
// Caribbean, which is the seven-continent model mLAMA's Wikidata objects follow.
const CONTINENTS = ['002', '142', '150', '009', '003', '005'];

function territoriesIn(region: string, containment: Record<string, string[]>): Set<string> {
  const out = new Set<string>();
  const visit = (code: string) => {
    const children = containment[code];
    if (children === undefined) out.add(code);
    else children.forEach(visit);
  };
  visit(region);
  return out;
}

function continent(ctx: Context): Group[] {
  const { src } = ctx;
  const continents = CONTINENTS.map((code) => {
    const obj = named(code, src.territoryNames.en[code], src.territoryNames.zh[code]);
    if (!obj) throw new Error(`CLDR has no name for continent ${code}`);
    return { obj, members: territoriesIn(code, src.containment) };
  });
  const entries: [Named, Named[]][] = [];
  for (const country of ctx.countries) {
    const found = continents.filter((c) => c.members.has(country.code)).map((c) => c.obj);
    if (found.length !== 1) ctx.drop('P30', `in ${found.length} UN M49 continents`, country.code);
    else entries.push([country, found]);
  }
  return groups(entries);
}

/**
 * Capitals whose Chinese name CLDR ships: a capital is matched to the time-zone exemplar
 * city of the same English name, and only when CLDR's zone table assigns that zone to the
 * same country (so a same-named city elsewhere cannot slip in).
 */
function capitalGroups(ctx: Context): Group[] {
  const { src } = ctx;
  const cities = src.exemplarCities;
  const entries: [Named, Named[]][] = [];
  for (const country of ctx.countries) {
    const capitals = ctx.records.get(country.code)?.capital ?? [];
    const found: Named[] = [];
    for (const capital of capitals) {
      for (const [zone, territories] of src.zoneTerritories) {
        if (!territories.has(country.code)) continue;
        // CLDR: a zone without an English exemplar city is named after its id's last segment.
        const enCity =
          cities.en.get(zone) ?? zone.slice(zone.lastIndexOf('/') + 1).replace(/_/gu, ' ');
        if (foldName(enCity) !== foldName(capital)) continue;
        const obj = named(zone, capital, cities.zh.get(zone));
        if (obj) found.push(obj);
      }
    }
    if (found.length === 1) entries.push([country, found]);
    else if (found.length === 0) {
      ctx.drop('P36', 'capital is not a CLDR time-zone city with a Chinese name', country.code);
    } else ctx.drop('P36', 'several capitals', country.code);
  }
  return groups(entries);
}

function capitalOf(ctx: Context): Group[] {
  // The inverse of P36; its drops are already recorded there.
  const capitals = capitalGroups({ ...ctx, drop: () => {} });
  return groups(capitals.map((g): [Named, Named[]] => [g.objects[0], [g.subject]]));
}

function borders(ctx: Context): Group[] {
  const byCca3 = new Map<string, Named>();
  for (const c of ctx.countries) byCca3.set(ctx.records.get(c.code)!.cca3, c);
  const entries: [Named, Named[]][] = [];
  for (const country of ctx.countries) {
    const record = ctx.records.get(country.code)!;
    const neighbours: Named[] = [];
    for (const cca3 of record.borders) {
      const other = byCca3.get(cca3);
      if (!other) {
        ctx.drop('P47', 'neighbour is not a UN member state with names', `${country.code}-${cca3}`);
        continue;
      }
      // A border listed on one side only is a data error; keep only what both sides agree on.
      if (!ctx.records.get(other.code)!.borders.includes(record.cca3)) {
        ctx.drop('P47', 'border listed on one side only', `${country.code}-${other.code}`);
        continue;
      }
      neighbours.push(other);
    }
    entries.push([country, neighbours]);
  }
  return groups(entries);
}

function officialLanguages(ctx: Context): Group[] {
  const { src } = ctx;
  const entries: [Named, Named[]][] = [];
  for (const country of ctx.countries) {
    const languages = new Map<string, Named>();
    for (const iso3 of Object.keys(ctx.records.get(country.code)!.languages)) {
      const code = src.languageAliases[iso3] ?? iso3;
      const obj = named(code, src.languageNames.en[code], src.languageNames.zh[code]);
      if (obj) languages.set(code, obj);
      else
        ctx.drop(
          'P37',
          'language without an English or Chinese CLDR name',
          `${country.code}-${iso3}`,
        );
    }
    entries.push([country, [...languages.values()]]);
  }
  return groups(entries);
}

function currencies(ctx: Context): Group[] {
  const { src } = ctx;
  const entries: [Named, Named[]][] = [];
  for (const country of ctx.countries) {
    const found = new Map<string, Named>();
    for (const period of src.currencyHistory[country.code] ?? []) {
      for (const [code, p] of Object.entries(period)) {
        // Current legal tender: no end date, not marked as a non-tender unit of account.
        if (p._to !== undefined || p._tender === 'false') continue;
        const obj = named(code, src.currencyNames.en[code], src.currencyNames.zh[code]);
        if (obj) found.set(code, obj);
        else
          ctx.drop(
            'P38',
            'currency without a usable English or Chinese name',
            `${country.code}-${code}`,
          );
      }
    }
    entries.push([country, [...found.values()]]);
  }
  return groups(entries);
}

export const RELATIONS: RelationDef[] = [
  {
    id: 'P30',
    label: { en: 'continent', zh: '所在大洲' },
    description: { en: 'continent of which the subject is a part', zh: '主体所在的大洲' },
    type: 'N-1',
    multiValued: false,
    templates: {
      en: ['[X] is located in [Y] .', '[X] is a country in [Y] .', '[X] is part of [Y] .'],
      zh: ['[X]位于[Y]。', '[X]所在的大洲是[Y]。', '[X]属于[Y]。'],
    },
    extract: continent,
  },
  {
    id: 'P36',
    label: { en: 'capital', zh: '首都' },
    description: { en: 'seat of government of the country', zh: '国家的政府所在地' },
    type: '1-1',
    multiValued: false,
    templates: {
      en: [
        'The capital of [X] is [Y] .',
        "[X]'s capital is [Y] .",
        'The capital city of [X] is [Y] .',
      ],
      zh: ['[X]的首都是[Y]。', '[X]的首都为[Y]。', '[X]的首都位于[Y]。'],
    },
    extract: capitalGroups,
  },
  {
    id: 'P1376',
    label: { en: 'capital of', zh: '首都所属国家' },
    description: { en: 'country of which the subject is the capital', zh: '以主体为首都的国家' },
    type: '1-1',
    multiValued: false,
    templates: {
      en: [
        '[X] is the capital of [Y] .',
        '[X] is the capital city of [Y] .',
        '[X] serves as the capital of [Y] .',
      ],
      zh: ['以[X]为首都的国家是[Y]。', '首都为[X]的国家是[Y]。', '首都是[X]的国家是[Y]。'],
    },
    extract: capitalOf,
  },
  {
    id: 'P47',
    label: { en: 'shares border with', zh: '接壤' },
    description: {
      en: 'countries that share a land border with the subject',
      zh: '与主体有陆地边界的国家',
    },
    type: 'N-M',
    multiValued: true,
    templates: {
      en: ['[X] shares border with [Y] .', '[X] shares a border with [Y] .', '[X] borders [Y] .'],
      zh: ['与[X]接壤的国家有[Y]。', '[X]的邻国有[Y]。', '[X]的邻国是[Y]。'],
    },
    extract: borders,
  },
  {
    id: 'P37',
    label: { en: 'official language', zh: '官方语言' },
    description: { en: 'language officially used in the country', zh: '国家的官方语言' },
    type: 'N-M',
    multiValued: true,
    templates: {
      en: [
        'The official language of [X] is [Y] .',
        "[X]'s official language is [Y] .",
        'In [X], the official language is [Y] .',
      ],
      zh: ['[X]的官方语言是[Y]。', '[X]的官方语言为[Y]。', '[X]的法定语言是[Y]。'],
    },
    extract: officialLanguages,
  },
  {
    id: 'P38',
    label: { en: 'currency', zh: '货币' },
    description: { en: 'currency that is legal tender in the country', zh: '国家的法定货币' },
    type: 'N-M',
    multiValued: true,
    templates: {
      en: [
        'The currency of [X] is the [Y] .',
        'The official currency of [X] is the [Y] .',
        "[X]'s currency is the [Y] .",
      ],
      zh: ['[X]的货币是[Y]。', '[X]的法定货币是[Y]。', '[X]使用的货币是[Y]。'],
    },
    extract: currencies,
  },
];
