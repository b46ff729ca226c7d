// The benchmark page (web/bench.html) in Debian's headless Chromium (WebGPU on SwiftShader),
// served by `node scripts/serve.mjs`: a short run of the kernels and training suites from URL
// parameters gives a run record that bench/record.ts accepts, with the browser's figures, and a
// bad option in the URL stops the page with the error the Node runner gives for it.
import { describe, expect, it } from 'vitest';
import { parseSuiteOptions } from '../../bench/options.ts';
import { checkRun, type BenchRun } from '../../bench/record.ts';
import { artifactPath, waitForState } from './playwright.ts';
import { useServedPages } from './servedPages.ts';

// The smallest run that still touches both suites: one conv shape, an MNIST CNN step of batch 8.
const SHORT_RUN = 'bench.html?suites=kernels,train&batch=8&repeats=1&only=conv1&models=mnist-cnn&matmul=128&inference-batch=16&autostart=1';

describe('benchmark page in Chromium', () => {
  const { open } = useServedPages();

  it('runs the kernels and training suites from URL options and gives a run record', async () => {
    const started = performance.now();
    const { page, errors } = await open(SHORT_RUN);
    await waitForState(page, ['done'], 150_000, errors);
    console.log(`[browser] bench page: short run done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await page.screenshot({ path: artifactPath('bench.png'), fullPage: true });
    const { run, userAgent, tables, download } = await page.evaluate(() => ({
      run: window.benchRun,
      userAgent: navigator.userAgent,
      tables: document.querySelectorAll('#report table').length,
      download: (document.getElementById('download') as HTMLAnchorElement).download,
    }));
    await page.close();

    const record: BenchRun = checkRun(run, 'window.benchRun');
    expect(record.format).toBe('espgpu-bench/1');
    expect(record.environment.adapter.runtime).toBe('browser');
    expect(record.environment.runtime).toBe(userAgent);
    expect(record.options).toMatchObject({ suites: ['kernels', 'train'], batch: 8, repeats: 1, only: 'conv1', models: ['mnist-cnn'], matmul: 128, inferenceBatch: 16 });
    for (const m of record.metrics) expect(Number.isFinite(m.value) && m.value > 0, `${m.suite} ${m.name}: ${m.value}`).toBe(true);

    const kernels = record.metrics.filter((m) => m.suite === 'kernels');
    // conv1's passes on each path they can take; --only drops every other kernel.
    expect(kernels.map((m) => m.name).sort()).toEqual(
      ['bwd-data implicitGemm', 'bwd-weight direct', 'bwd-weight implicitGemm', 'fwd direct', 'fwd implicitGemm'].map((n) => `conv ${n.split(' ')[0]} mnist-cnn conv1 @28px ${n.split(' ')[1]}`),
    );
    const train = record.metrics.filter((m) => m.suite === 'train');
    expect(train.find((m) => m.name === 'mnist-cnn batch 8 training')).toMatchObject({ unit: 'img/s', better: 'higher' });
    expect(train.find((m) => m.name === 'mnist-cnn batch 16 inference')).toMatchObject({ unit: 'img/s' });
    expect(Object.keys(record.details)).toEqual(['kernels', 'train']);

    // One table of run facts, one a suite.
    expect(tables).toBe(3);
    expect(download).toMatch(/^espgpu-bench-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.json$/);
  }, 180_000);

  it('a bad option in the URL ends in state "error" with the Node runner\'s message', async () => {
    const expected = (() => {
      try {
        parseSuiteOptions((name) => (name === 'batch' ? '0' : undefined));
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('parseSuiteOptions accepted batch 0');
    })();
    expect(expected).toMatch(/batch/);
    const { page } = await open('bench.html?batch=0&autostart=1');
    await page.waitForFunction(() => document.body.dataset.state !== 'idle', undefined, { timeout: 30_000 });
    const { state, error, status } = await page.evaluate(() => ({ state: document.body.dataset.state, error: document.body.dataset.error, status: document.getElementById('status')!.textContent }));
    await page.close();
    expect(state).toBe('error');
    expect(error).toBe(expected);
    expect(status).toContain(expected);
  }, 60_000);
});
