import { describe, expect, it } from 'vitest';
import { type ModelRef, modelId, modelLabel, parseHubRef, sameModel } from './model-ref';

describe('model references', () => {
  it('read a Hub id as people write it, with or without a revision', () => {
    expect(parseHubRef('  owner/name ')).toEqual({ kind: 'hub', id: 'owner/name' });
    expect(parseHubRef('owner/name@v1.0')).toEqual({
      kind: 'hub',
      id: 'owner/name',
      revision: 'v1.0',
    });
    expect(parseHubRef('owner/name @ v1.0')).toEqual(parseHubRef('owner/name@v1.0'));
    expect(parseHubRef('owner/name@')).toEqual({ kind: 'hub', id: 'owner/name' });
  });

  it('give each model one id, and "id@revision" only off main', () => {
    const refs: [ModelRef, string][] = [
      [{ kind: 'bundled', name: 'demo-bert' }, 'demo-bert'],
      [{ kind: 'hub', id: 'owner/name' }, 'owner/name'],
      [{ kind: 'hub', id: 'owner/name', revision: 'main' }, 'owner/name'],
      [{ kind: 'hub', id: 'owner/name', revision: 'v1' }, 'owner/name@v1'],
      [{ kind: 'files', label: 'my model' }, 'local:my model'],
    ];
    for (const [ref, id] of refs) {
      expect(modelId(ref)).toBe(id);
      if (ref.kind === 'hub') expect(modelId(parseHubRef(id))).toBe(id);
    }
    expect(modelLabel({ kind: 'files', label: 'my model' })).toBe('folder “my model”');
    expect(modelLabel({ kind: 'hub', id: 'owner/name', revision: 'v1' })).toBe('owner/name@v1');
  });

  it('compare references by the model they name', () => {
    const hub = { kind: 'hub', id: 'owner/name' } as const;
    expect(sameModel(hub, { ...hub, revision: 'main' })).toBe(true);
    expect(sameModel(hub, { ...hub, revision: 'v1' })).toBe(false);
    expect(sameModel({ kind: 'bundled', name: 'a' }, { kind: 'files', label: 'a' })).toBe(false);
    expect(sameModel(undefined, undefined)).toBe(true);
    expect(sameModel(hub, undefined)).toBe(false);
  });
});
