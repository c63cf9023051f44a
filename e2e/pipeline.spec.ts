import { expect, keepScreenshot, test, waitForProof } from './fixtures';

test.describe('pipeline proof', () => {
  test('runs on the requested backend and matches plain JS', async ({
    page,
    backend,
  }, testInfo) => {
    await page.goto(`/?backend=${backend}`);
    await waitForProof(page);

    const bar = page.getByTestId('status-bar');
    await expect(bar).toHaveAttribute('data-phase', 'ready');
    await expect(bar).toHaveAttribute('data-backend', backend);
    await expect(bar).toHaveAttribute('data-isolated', 'true');
    await expect(page.getByTestId('status-fallback')).toHaveCount(0);

    const proof = page.getByTestId('proof');
    await expect(proof).toHaveAttribute('data-ok', 'true');
    expect(Number(await proof.getAttribute('data-max-abs-error'))).toBeLessThan(1e-4);
    await expect(page.getByTestId('proof-verdict')).toContainText('Pipeline OK');

    const locations = JSON.parse((await proof.getAttribute('data-locations')) ?? '{}');
    if (backend === 'webgpu') {
      // Weights uploaded to GPU buffers, outputs left there and fed to the next session.
      expect(locations).toEqual({
        y: 'gpu-buffer',
        dx: 'gpu-buffer',
        v: 'gpu-buffer',
        z: 'gpu-buffer',
      });
      await expect(bar).toHaveAttribute('data-adapter', /\S/);
      await expect(page.getByTestId('status-adapter')).toBeVisible();
      await expect(page.getByTestId('status-ort')).toContainText('webgpu build');
    } else {
      // WASM runs on the build without WebGPU, which starts sooner.
      await expect(page.getByTestId('status-ort')).toContainText('WASM build');
      expect(locations).toEqual({ y: 'cpu', dx: 'cpu', v: 'cpu', z: 'cpu' });
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      await expect(bar).toHaveAttribute('data-threads', String(Math.min(4, cores)));
      await expect(page.getByTestId('status-threads')).toBeVisible();
    }

    await expect(bar).toBeVisible();
    await keepScreenshot(page, testInfo, `app-${backend}`);
  });

  test('the JSEP build (?ort=jsep) passes too', async ({ page, backend }) => {
    await page.goto(`/?backend=${backend}&ort=jsep`);
    await waitForProof(page);
    await expect(page.getByTestId('status-bar')).toHaveAttribute('data-backend', backend);
    await expect(page.getByTestId('status-ort')).toContainText('JSEP');
    await expect(page.getByTestId('proof')).toHaveAttribute('data-ok', 'true');
  });

  test('auto picks WASM unless a hardware adapter exists, and says why', async ({ page }) => {
    await page.goto('/');
    await waitForProof(page);
    const bar = page.getByTestId('status-bar');
    await expect(page.getByTestId('proof')).toHaveAttribute('data-ok', 'true');
    const gpu = await page.evaluate(async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      return adapter ? { fallback: adapter.info.isFallbackAdapter } : null;
    });
    if (gpu && !gpu.fallback) {
      await expect(bar).toHaveAttribute('data-backend', 'webgpu');
    } else {
      await expect(bar).toHaveAttribute('data-backend', 'wasm');
      await expect(page.getByTestId('status-fallback')).toContainText(
        gpu ? 'WebGPU: only a software adapter' : 'WebGPU: ',
      );
    }
  });
});

test('the server sends the cross-origin isolation headers', async ({ page, backend }) => {
  test.skip(backend !== 'wasm', 'independent of the backend');
  const response = await page.goto('/');
  expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});

test('an unknown ?backend= is reported, not fatal', async ({ page, backend }) => {
  test.skip(backend !== 'wasm', 'independent of the backend');
  // At 1024 x 700, with two warnings, the status bar keeps one line: the details are cut (their
  // full text in the tooltip), the backend stays whole.
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto('/?backend=webgl&threads=lots');
  await waitForProof(page);
  await expect(page.getByTestId('status-w0')).toContainText('ignored ?backend=webgl');
  await expect(page.getByTestId('status-w1')).toHaveAttribute('title', /^ignored \?threads=lots/);
  expect((await page.getByTestId('status-bar').boundingBox())!.height).toBeLessThan(40);
  const backendCut = await page
    .getByTestId('status-backend')
    .evaluate((e) => e.scrollWidth > e.clientWidth);
  expect(backendCut).toBe(false);
  await expect(page.getByTestId('proof')).toHaveAttribute('data-ok', 'true');
});

test('without COOP/COEP the WASM backend runs on one thread', async ({ page, backend }) => {
  test.skip(backend !== 'wasm', 'independent of the backend');
  // Serve the document without the isolation headers, as a host that does not send them would.
  await page.route('**/*', async (route) => {
    if (!route.request().isNavigationRequest()) return route.continue();
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await page.goto('/?backend=wasm');
  await waitForProof(page);
  const bar = page.getByTestId('status-bar');
  await expect(bar).toHaveAttribute('data-isolated', 'false');
  await expect(bar).toHaveAttribute('data-threads', '1');
  await expect(page.getByTestId('status-isolation')).toHaveText('not cross-origin isolated');
  await expect(page.getByTestId('proof')).toHaveAttribute('data-ok', 'true');
});

test('a forced WebGPU without an adapter falls back to WASM and says why', async ({
  page,
  backend,
}) => {
  test.skip(backend !== 'wasm', 'needs a browser without WebGPU (the wasm project)');
  await page.goto('/?backend=webgpu');
  const hasAdapter = await page.evaluate(async () => !!(await navigator.gpu?.requestAdapter()));
  test.skip(hasAdapter, 'this browser offers WebGPU even without --enable-unsafe-webgpu');
  await waitForProof(page);
  await expect(page.getByTestId('status-bar')).toHaveAttribute('data-backend', 'wasm');
  await expect(page.getByTestId('status-fallback')).toContainText(
    /^WebGPU: (no adapter|not offered)/,
  );
  await expect(page.getByTestId('proof')).toHaveAttribute('data-ok', 'true');
});
