// The worker entry as a user starts it: a real worker thread running the bundled
// dist/node/worker.js (npm test builds it), driven through comlink.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsWorker, type OpsWorker } from '../../src/worker/client.ts';
import { FORWARD, expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { matmul64 } from '../reference/matmul.ts';

const bundle = new URL('../../dist/node/worker.js', import.meta.url);

describe('ops worker', () => {
  let worker: OpsWorker;
  beforeAll(() => {
    if (!existsSync(bundle)) throw new Error(`${bundle.pathname} is missing: build first (node scripts/build.mjs; npm test does)`);
    worker = startOpsWorker(bundle);
  });
  afterAll(async () => worker?.close());

  it('acquires its own device and describes it', async () => {
    const info = await worker.api.init();
    expect(typeof info.adapter.description).toBe('string');
    expect(info.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
  });

  it('runs an op on plain arrays and returns the result', async () => {
    const rng = new TestRandom(21);
    const [M, K, N] = [5, 7, 3];
    const a = Float32Array.from(rng.array(M * K));
    const b = Float32Array.from(rng.array(N * K));
    const c = await worker.api.matmul(a, [M, K], b, [N, K], { transB: true });
    expectClose(c, matmul64(a, b, M, K, N, false, true), FORWARD, 'C from the worker');
  });

  it('passes errors back with their message', async () => {
    await expect(worker.api.matmul(new Float32Array(6), [2, 3], new Float32Array(8), [4, 2])).rejects.toThrow(/inner sizes differ/);
  });
});
