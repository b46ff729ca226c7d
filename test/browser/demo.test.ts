// The demo pages in Debian's headless Chromium (WebGPU on SwiftShader), served by
// `node scripts/serve.mjs`: the spiral page trains its three models in Web Workers to high
// accuracy, the browser worker's ESP output matches the Node worker's for the same seed, and
// the Fashion-MNIST page runs from data to corruption table. One file, so the pages are built
// and Chromium is launched once. SwiftShader is slow: sizes are the smallest that still test.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AugmentationOptions } from '../../src/augment/pipeline.ts';
import { startTrainerWorker } from '../../src/worker/client.ts';
import type { AugmentedSamples, AugmentRequest } from '../../src/worker/trainerApi.ts';
import { expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { artifactPath, waitForState } from './playwright.ts';
import { useServedPages } from './servedPages.ts';

const nodeWorker = new URL('../../dist/node/worker.js', import.meta.url);

describe('demo pages in Chromium', () => {
  const { open } = useServedPages();

  it('spiral: a WebGPU adapter in the workers; L2 noise and ESP reach > 90% in 200 steps', async () => {
    const { page, errors } = await open('spiral.html?steps=200&autostart=1');
    await waitForState(page, ['done'], 240_000, errors);
    const adapter = await page.evaluate(() => document.body.dataset.adapter);
    expect(adapter, 'adapter description').toMatch(/\S/);
    const panels = await page.$$eval('.panel', (all) => all.map((p) => ({ ...(p as HTMLElement).dataset })));
    console.log(`[browser] adapter "${adapter}"; spiral accuracies ${panels.map((p) => `${p.method} ${p.accuracy}`).join(', ')}`);
    await page.screenshot({ path: artifactPath('spiral.png'), fullPage: true });
    const accuracy = Object.fromEntries(panels.map((p) => [p.method, Number(p.accuracy)]));
    expect(panels.map((p) => p.steps)).toEqual(['201', '201', '201']);
    expect(accuracy.l2).toBeGreaterThan(0.9);
    expect(accuracy.esp).toBeGreaterThan(0.9);
    expect(accuracy.none).toBeGreaterThan(0.5);
    await page.close();
  }, 300_000);

  it('ESP and L2 noise: the browser worker gives the Node worker\'s output for the same seed', async () => {
    if (!existsSync(nodeWorker)) throw new Error(`${nodeWorker.pathname} is missing: build first (node scripts/build.mjs; npm test does)`);
    const random = new TestRandom(33);
    const std = [0.5, 0.25];
    const esp: AugmentationOptions = { method: 'esp', esp: { epsilon: 1.5, tau: 1, gamma: 20 }, normalization: { mean: [0.25, 0.5], std } };
    const requests: AugmentRequest[] = [
      // Two-channel 7 × 5 images: channel stats, odd sizes, ESP's sizes and soft labels.
      { images: Uint8Array.from({ length: 6 * 70 }, () => random.int(0, 256)), shape: [6, 2, 7, 5], labels: [0, 3, 1, 2, 3, 0], classes: 4, seed: 7, step: 11, augmentation: esp },
      // 2-D points in the spiral's box: L2 noise clipped to the range.
      {
        images: Float32Array.from({ length: 16 }, () => random.uniform(-1.5, 1.5)), shape: [8, 1, 1, 2], labels: [0, 1, 0, 1, 1, 0, 1, 0], classes: 2, seed: 3, step: 2,
        augmentation: { method: 'l2', l2: { epsilon: 0.4 }, range: [-1.5, 1.5] },
      },
    ];
    const { page, errors } = await open('spiral.html');
    await waitForState(page, ['idle'], 60_000, errors);
    // page.evaluate passes JSON: images travel as plain arrays and become typed again there.
    const inBrowser = await page.evaluate(async (all) => {
      const { startTrainerWorker: start } = (globalThis as unknown as { espgpu: { startTrainerWorker: typeof startTrainerWorker } }).espgpu;
      const worker = start();
      await worker.init();
      const out = [];
      for (const { bytes, ...request } of all) {
        const images = bytes ? Uint8Array.from(request.images) : Float32Array.from(request.images);
        const { x, targets } = await worker.augment({ ...request, images });
        out.push({ x: Array.from(x), targets: Array.from(targets) });
      }
      await worker.close();
      return out;
    }, requests.map((r) => ({ ...r, images: Array.from(r.images), bytes: r.images instanceof Uint8Array })));
    await page.close();

    const worker = startTrainerWorker(nodeWorker);
    const inNode: AugmentedSamples[] = [];
    try {
      await worker.init();
      for (const request of requests) inNode.push(await worker.augment(request));
    } finally {
      await worker.close();
    }
    requests.forEach((request, i) => {
      const node = inNode[i]!;
      expect(inBrowser[i]!.x.length).toBe(node.x.length);
      // SwiftShader and lavapipe round f32 differently (the draws themselves are bit-identical):
      // 1e-4 in the data's units, which normalisation scales by 1/std.
      const atol = 1e-4 / Math.min(...(request.augmentation.normalization?.std ?? [1]));
      expectClose(Float32Array.from(inBrowser[i]!.x), node.x, { atol, rtol: 1e-4 }, `${request.augmentation.method} x`);
      expectClose(Float32Array.from(inBrowser[i]!.targets), node.targets, { atol: 1e-6, rtol: 1e-6 }, `${request.augmentation.method} targets`);
    });
    // The comparison means something: the samples moved.
    const moved = inNode[1]!.x.some((v, k) => Math.abs(v - (requests[1]!.images as Float32Array)[k]!) > 0.01);
    expect(moved).toBe(true);
  }, 120_000);

  it('fashion: loads the embedded data, trains, shows the ESP gallery and the corruption table', async () => {
    const { page, errors } = await open('fashion.html?train=512&test=40&epochs=1&corruptions=3&model=mlp&method=esp&autostart=1');
    await waitForState(page, ['done'], 180_000, errors);
    await page.screenshot({ path: artifactPath('fashion.png'), fullPage: true });
    const { cleanError, meanCorruptionError, gallery, rows, masses } = await page.evaluate(() => ({
      cleanError: document.body.dataset.cleanError,
      meanCorruptionError: document.body.dataset.meanCorruptionError,
      gallery: document.querySelectorAll('#gallery .sample').length,
      rows: Array.from(document.querySelectorAll('#errors tr'), (tr) => tr.textContent ?? ''),
      masses: Array.from(document.querySelectorAll('#gallery .sample'), (s) => Number(/: ([\d.]+),/.exec(s.textContent ?? '')?.[1])),
    }));
    console.log(`[browser] fashion: clean error ${cleanError}%, mean corruption error ${meanCorruptionError}%`);
    expect(gallery).toBe(12);
    // ESP's soft labels: sizes below ε keep a hard label, larger ones give mass away, never below 1/C.
    expect(masses.every((m) => m > 0.1 && m <= 1), masses.join(' ')).toBe(true);
    expect(masses.some((m) => m < 0.99), masses.join(' ')).toBe(true);
    expect(rows).toHaveLength(1 + 1 + 3 + 1);
    expect(rows[1]).toMatch(/^clean/);
    expect(rows.slice(2, 5).map((r) => r.split(/\d/)[0])).toEqual(['shot_noise', 'impulse_noise', 'glass_blur']);
    // 8 steps of an MLP already beat chance (90% error) clearly.
    expect(Number(cleanError)).toBeLessThan(70);
    expect(Number(meanCorruptionError)).toBeGreaterThan(0);
    await page.close();
  }, 240_000);
});
