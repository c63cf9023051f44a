/**
 * Fuzzing the share-link decoder: links of random valid states open to those states; links
 * with edited characters, links whose state JSON was mutated, and random links fail only with
 * ShareLinkError, and whatever opens is a state that makes the same link again. 10,000 inputs
 * in all (tests/util/fuzz.ts: FUZZ_SEED, FUZZ_SCALE).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanText, clozeText } from '../../tests/util/fact-arbitraries';
import {
  applyJsonMutations,
  applyTextMutations,
  expectNoPollution,
  expectOwnError,
  fuzzAsync,
  jsonMutations,
  nastyJson,
  textMutations,
} from '../../tests/util/fuzz';
import { STEPS } from '../attribution/settings';
import type { Fact } from '../facts';
import { checkHubId } from '../weights';
import { DEFAULT_ANALYSIS, parseAnalysisState } from './analysis-state';
import { ShareLinkError, decodeState, encodeState } from './share';
import type { ModelRef } from '../weights';
import type { ExplorerState } from './state';

const languageCode = fc.stringMatching(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,2}$/);

const hubPart = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}[A-Za-z0-9_]$/);
const hubId = fc
  .tuple(fc.option(hubPart, { nil: undefined }), hubPart)
  .map(([owner, name]) => (owner ? `${owner}/${name}` : name))
  .filter((id) => {
    try {
      checkHubId(id);
      return true;
    } catch {
      return false;
    }
  });

const model: fc.Arbitrary<ModelRef | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/).map((name) => ({ kind: 'bundled', name })),
  fc
    .tuple(hubId, fc.option(cleanText(30), { nil: undefined }))
    .map(([id, revision]) =>
      revision === undefined || revision === 'main'
        ? { kind: 'hub', id }
        : { kind: 'hub', id, revision },
    ),
  fc.string({ unit: 'binary', maxLength: 30 }).map((label) => ({ kind: 'files', label })),
) as fc.Arbitrary<ModelRef | undefined>;

const shareFact: fc.Arbitrary<Fact> = fc
  .record(
    {
      id: fc.string({ unit: 'binary', maxLength: 20 }),
      relation: fc.string({ unit: 'binary', maxLength: 10 }),
      subject: fc.string({ unit: 'binary', maxLength: 10 }),
      prompts: fc.array(
        fc.record({ language: languageCode, text: clozeText, object: cleanText() }),
        { minLength: 1, maxLength: 3 },
      ),
    },
    { requiredKeys: ['id', 'prompts'] },
  )
  .map((f) => f as Fact);

const validState: fc.Arbitrary<ExplorerState> = fc
  .record({
    model,
    settings: fc.record({
      method: fc.constantFrom('amig', 'ig', 'grad-x-act'),
      steps: fc.integer({ min: STEPS.min, max: STEPS.max }),
      // Links carry no score: the form has none, so states always hold the default.
      score: fc.constant('activation'),
      tapMode: fc.constantFrom('post-activation', 'pre-activation', 'gate'),
      multiToken: fc.constantFrom('per-token', 'reference'),
    }),
    tau: fc.dictionary(languageCode, fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 3 }),
    facts: fc.uniqueArray(shareFact, { maxLength: 4, selector: (f) => f.id }),
    shown: fc.nat(),
    analysis: fc.oneof(
      fc.constant(DEFAULT_ANALYSIS),
      fc.jsonValue({ maxDepth: 3 }).map(parseAnalysisState),
    ),
  })
  .map(({ model: m, shown, facts, ...rest }) => ({
    ...rest,
    ...(m ? { model: m } : {}),
    facts,
    view: facts.length && shown % 2 ? { factId: facts[shown % facts.length].id } : {},
  })) as fc.Arbitrary<ExplorerState>;

/**
 * The link of a state, deflated or not. Links are made with CompressionStream unavailable,
 * so encodeState writes the uncompressed form ("j" + base64url JSON): CompressionStream costs
 * milliseconds a link in Node, and the decoder's inflating is still tested with links deflated
 * here (node:zlib) and with the real encoder's in the first test.
 */
async function linkOf(state: ExplorerState, deflate: boolean): Promise<string> {
  const plain = await encodeState(state);
  expect(plain[0]).toBe('j');
  return deflate ? relink(Buffer.from(plain.slice(1), 'base64url').toString(), true) : plain;
}

const relink = (json: string, deflate: boolean) =>
  deflate
    ? `z${deflateRawSync(Buffer.from(json)).toString('base64url')}`
    : `j${Buffer.from(json).toString('base64url')}`;

/** The state JSON of a link. */
const stateJson = (value: string): unknown =>
  JSON.parse(
    (value[0] === 'z'
      ? inflateRawSync(Buffer.from(value.slice(1), 'base64url'))
      : Buffer.from(value.slice(1), 'base64url')
    ).toString(),
  );

/** Opens a link: a state that makes a link opening to itself, or a ShareLinkError. */
async function openOrReject(value: string): Promise<void> {
  try {
    const state = await decodeState(value);
    expect(await decodeState(await encodeState(state))).toEqual(state);
  } catch (e) {
    expectOwnError(e, [ShareLinkError]);
  }
  expectNoPollution();
}

describe('share-link decoder under fuzzing', () => {
  it('opens the links the app makes to their states', async () => {
    await fuzzAsync(
      fc.asyncProperty(validState, async (state) => {
        const value = await encodeState(state);
        expect(value[0]).toBe('z');
        expect(await decodeState(value)).toEqual(state);
        expectNoPollution();
      }),
      500,
    );
  });

  describe('with links made without CompressionStream', () => {
    beforeAll(() => void vi.stubGlobal('CompressionStream', undefined));
    afterAll(() => void vi.unstubAllGlobals());

    it('opens links of valid states, deflated or not, to those states', async () => {
      await fuzzAsync(
        fc.asyncProperty(validState, fc.boolean(), async (state, deflate) => {
          expect(await decodeState(await linkOf(state, deflate))).toEqual(state);
          expectNoPollution();
        }),
        1500,
      );
    });

    it('rejects links with edited characters only with ShareLinkError', async () => {
      await fuzzAsync(
        fc.asyncProperty(validState, fc.boolean(), textMutations, async (state, deflate, edits) =>
          openOrReject(applyTextMutations(await linkOf(state, deflate), edits)),
        ),
        3000,
      );
    });

    it('rejects links whose state JSON was mutated only with ShareLinkError', async () => {
      await fuzzAsync(
        fc.asyncProperty(validState, jsonMutations, fc.boolean(), async (state, edits, deflate) => {
          const json = applyJsonMutations(stateJson(await linkOf(state, false)), edits);
          await openOrReject(relink(JSON.stringify(json) ?? '', deflate));
        }),
        3000,
      );
    });

    it('rejects random links only with ShareLinkError', async () => {
      const random = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc
          .tuple(
            fc.constantFrom('z', 'j', 'x', ''),
            fc.string({ unit: fc.constantFrom(...'AZaz09-_+/='.split('')), maxLength: 100 }),
          )
          .map(([kind, body]) => kind + body),
        fc
          .tuple(fc.oneof(nastyJson, fc.jsonValue({ maxDepth: 4 })), fc.boolean())
          .map(([json, deflate]) => relink(JSON.stringify(json) ?? '', deflate)),
        fc
          .tuple(fc.uint8Array({ maxLength: 100 }), fc.boolean())
          .map(([bytes, deflate]) => relink(Buffer.from(bytes).toString('latin1'), deflate)),
      );
      await fuzzAsync(fc.asyncProperty(random, openOrReject), 2000);
    });
  });
});
