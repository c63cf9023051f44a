/**
 * The model picker's list of supported Hub models, and the Hugging Face token for gated ones:
 * against a stand-in Hub whose gated model answers 401 without the token. The token goes to the
 * Hub only, and never into the link, an export, the caches or the working state.
 */
import type { Route } from '@playwright/test';
import { decodeState, stateParam } from '../src/app/share';
import {
  DEMO_GPT2,
  HUB,
  addFact,
  downloaded,
  expectModelReady,
  fakeHub,
  folderFiles,
  keepPage,
  loadHubModel,
  modelSettled,
  runAll,
} from './explorer-helpers';
import { expect, test } from './fixtures';

test.skip(
  ({ backend }) => backend !== 'wasm',
  'the picker does not depend on the backend (the page runs on WASM)',
);

const TOKEN = 'hf_e2eTokenNotARealOne0123456789';
const GATED = 'kne-test/gated';
const CAPITAL = { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' };

test('the picker lists the supported models with size and time; a gated one downloads with the token, which stays out of links, exports and caches', async ({
  page,
}, testInfo) => {
  await fakeHub(page, { [GATED]: { files: folderFiles(DEMO_GPT2) } });
  // The gated repository: 401 GatedRepo unless the request carries the token.
  const seen: (string | undefined)[] = [];
  await page.route(`${HUB}/${GATED}/**`, (route: Route) => {
    const req = route.request();
    if (req.method() === 'OPTIONS')
      return route.fulfill({
        status: 204,
        headers: {
          'access-control-allow-origin': '*',
          'access-control-allow-headers': 'range, authorization',
          'access-control-allow-methods': 'GET',
        },
      });
    const auth = req.headers()['authorization'];
    seen.push(auth);
    if (auth !== `Bearer ${TOKEN}`)
      return route.fulfill({
        status: 401,
        headers: {
          'access-control-allow-origin': '*',
          'access-control-expose-headers': 'x-error-code',
          'x-error-code': 'GatedRepo',
        },
        body: 'Access to this model is restricted.',
      });
    return route.fallback();
  });
  await page.goto('/?backend=wasm');
  await expectModelReady(page);

  // The list (folded under the model panel): seven models, each with its parameters, download
  // and time per map.
  await page.getByTestId('more-hub-models').locator('summary').click();
  const list = page.getByTestId('hub-models');
  await expect(list.locator('tbody tr')).toHaveCount(7);
  for (const row of await list.locator('tbody tr').all()) {
    await expect(row.locator('td').nth(0)).toHaveText(/^[\d,]+ M$/);
    await expect(row.locator('td').nth(1)).toHaveText(/^[\d.]+ [MG]B \((float32|bf16)\)$/);
    await expect(row.locator('td').nth(3)).toHaveText(/^(about \S.*|does not fit)$/);
  }
  const llama = list.locator('tr[data-model="meta-llama/Llama-3.2-1B"]');
  await expect(llama).toContainText('gated: needs a Hugging Face token');
  await expect(llama.locator('td').nth(1)).toContainText('(bf16)');
  await list.getByRole('button', { name: 'Choose openai-community/gpt2' }).click();
  await expect(page.getByTestId('hub-id')).toHaveValue('openai-community/gpt2');
  await expect(page.getByTestId('hub-gated')).toHaveCount(0);
  await list.getByRole('button', { name: 'Choose meta-llama/Llama-3.2-1B' }).click();
  await expect(page.getByTestId('hub-id')).toHaveValue('meta-llama/Llama-3.2-1B');
  await expect(page.getByTestId('hub-gated')).toContainText('paste a Hugging Face access token');
  await keepPage(page, testInfo, 'hub-picker-list');

  // Without a token, the gated model's 401 says to paste one.
  await loadHubModel(page, GATED);
  expect(await modelSettled(page)).toBe('error');
  await expect(page.getByTestId('model-error')).toContainText(
    'paste a Hugging Face access token in "Hugging Face token"',
  );
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.every((h) => h === undefined)).toBe(true);

  // With the token: every request to the Hub carries it, and the model loads.
  await page.getByTestId('hub-token').fill(TOKEN);
  await page.getByRole('button', { name: 'Keep the token' }).click();
  await expect(page.getByTestId('hub-token-kept')).toBeVisible();
  await expect(page.getByTestId('hub-gated')).toHaveCount(0);
  seen.length = 0;
  await loadHubModel(page, GATED);
  await expectModelReady(page, GATED);
  expect(seen.length).toBeGreaterThan(2);
  expect(seen.every((h) => h === `Bearer ${TOKEN}`)).toBe(true);

  // A map, its export, the link, the caches and the working state: no token in any of them.
  await addFact(page, [CAPITAL]);
  await runAll(page);
  const json = await downloaded(page, () =>
    page
      .getByRole('group', { name: 'Export the en map' })
      .getByRole('button', { name: 'JSON' })
      .click(),
  );
  const exported = json.bytes.toString('utf8');
  expect(exported).toContain(GATED);
  expect(exported).not.toContain(TOKEN);
  const link = await page.getByTestId('share-url').inputValue();
  expect((await decodeState(stateParam(new URL(link).hash) ?? '')).model).toEqual({
    kind: 'hub',
    id: GATED,
  });
  expect(JSON.stringify(await decodeState(stateParam(new URL(link).hash) ?? ''))).not.toContain(
    TOKEN,
  );
  expect(link).not.toContain(TOKEN);
  const kept = await page.evaluate(async () => {
    const texts: string[] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const res = await cache.match(request);
        texts.push(request.url, JSON.stringify([...(res?.headers ?? [])]));
      }
    }
    const storage = [localStorage, sessionStorage].flatMap((s) =>
      Object.keys(s).map((k) => ({ key: k, value: s.getItem(k) ?? '' })),
    );
    return { texts, storage };
  });
  expect(kept.texts.some((t) => t.includes(GATED))).toBe(true);
  expect(kept.texts.join('\n')).not.toContain(TOKEN);
  expect(kept.storage.filter((s) => s.value.includes(TOKEN)).map((s) => s.key)).toEqual([
    'kne-hub-token',
  ]);

  // Forgotten: gone from the browser, and the field asks for one again.
  await page.getByRole('button', { name: 'Forget the token' }).click();
  await expect(page.getByTestId('hub-token')).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('kne-hub-token'))).toBeNull();
});
