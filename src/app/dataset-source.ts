/**
 * The facts of a data set (the dataset runs' and the fact check's), from where its source says:
 * the explorer's facts, part of the bundled fact set, or an upload kept in this browser.
 */
import { useMemo } from 'react';
import { digest } from '../analysis/dataset';
import type { Fact } from '../facts';
import type { DatasetSource } from './analysis-state';
import { loadDataset } from './dataset-store';
import { bundledFactSet } from './factset';
import { languagesOf } from './state';
import { type Query, useQuery } from './useQuery';

export interface DatasetFacts {
  facts: Fact[];
  languages: string[];
  /** What the set is, for headings and figure captions. */
  label: string;
  /** Names the facts for result keys: a changed set is another data set. */
  key: string;
}

export async function resolveDataset(
  source: DatasetSource,
  explorerFacts: Fact[],
): Promise<DatasetFacts> {
  let facts: Fact[];
  let label: string;
  switch (source.kind) {
    case 'explorer':
      facts = explorerFacts;
      label = 'the facts of step 2';
      break;
    case 'factset': {
      const set = await bundledFactSet();
      const unknown = source.relations.filter((r) => !set.relations.some((x) => x.id === r));
      if (unknown.length)
        throw new Error(`the bundled fact set has no relation ${unknown.join(', ')}`);
      facts = source.relations.flatMap((r) =>
        set.facts.filter((f) => f.relation === r).slice(0, source.perRelation),
      );
      label = `fact set ${source.relations.join(', ')} (first ${source.perRelation} per relation)`;
      break;
    }
    case 'upload': {
      const stored = await loadDataset(source.digest);
      if (!stored)
        throw new Error(
          `the uploaded data set “${source.name}” is not kept in this browser: upload it again`,
        );
      facts = stored.facts;
      label = `“${stored.name}”`;
      break;
    }
  }
  return {
    facts,
    languages: languagesOf(facts),
    label: `${label}, ${facts.length} fact${facts.length === 1 ? '' : 's'}`,
    key: digest(facts),
  };
}

/**
 * The data set's facts while `wanted` (a tab that uses them is open: reading the bundled set
 * fetches it), read again when the source (or, for the explorer's, the facts) change.
 */
export function useDatasetFacts(
  source: DatasetSource,
  explorerFacts: Fact[],
  wanted: boolean,
): Query<DatasetFacts> {
  const sourceKey = JSON.stringify(source);
  const facts = source.kind === 'explorer' ? explorerFacts : undefined;
  const ask = useMemo(
    () =>
      wanted
        ? () => resolveDataset(JSON.parse(sourceKey) as DatasetSource, facts ?? [])
        : undefined,
    [sourceKey, facts, wanted],
  );
  return useQuery(ask);
}
