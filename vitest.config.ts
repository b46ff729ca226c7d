import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';

// Tests import shaders/*.wgsl as text, exactly like esbuild's text loader does in builds.
const wgslAsText: Plugin = {
  name: 'wgsl-as-text',
  load(id) {
    if (!id.endsWith('.wgsl')) return null;
    return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
  },
};

// Tests import build/rng.wasm as bytes, like esbuild's binary loader. It is a build output:
// resolve it even when missing, so the error says how to make it.
const wasmAsBytes: Plugin = {
  name: 'wasm-as-bytes',
  enforce: 'pre',
  resolveId(source, importer) {
    if (!source.endsWith('.wasm') || !importer || !source.startsWith('.')) return null;
    return resolve(dirname(importer), source);
  },
  load(id) {
    if (!id.endsWith('.wasm')) return null;
    if (!existsSync(id)) throw new Error(`${id} is missing: run \`node scripts/build.mjs\` (npm test does) to build it`);
    const base64 = readFileSync(id).toString('base64');
    return `export default Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));`;
  },
};

// The full tier adds what exercises whole models or whole installs: the large-model steps,
// ONNX Runtime on WRN-40-2 and ResNet-18, the demo pages in Chromium, the study end to end and
// across worker processes on a real Redis, the README's examples and the packed tarball. `npm test` is the rest (every kernel, every
// layer's gradients, ESP statistics, I/O, the CLI, the reliability suite, one browser test);
// npm run test:full runs both; ESPGPU_TESTS=slow runs only the full tier's own files (CI runs
// npm test, then those, so that it prints each tier's duration).
const FULL_TIER = [
  'test/nn/models.test.ts',
  'test/io/onnx.test.ts',
  'test/browser/demo.test.ts',
  'test/experiments/studyRun.test.ts',
  'test/examples/**',
  'test/package/**',
  'test/distributed/queue.test.ts',
];
const tier = process.env.ESPGPU_TESTS ?? 'fast';
if (!['fast', 'full', 'slow'].includes(tier)) throw new Error(`ESPGPU_TESTS must be fast, full or slow, got "${tier}"`);

export default defineConfig({
  plugins: [wgslAsText, wasmAsBytes],
  test: {
    // Dawn is a native addon: separate processes, device acquired in beforeAll.
    pool: 'forks',
    include: tier === 'slow' ? FULL_TIER : ['test/**/*.test.ts'],
    exclude: tier === 'fast' ? ['**/node_modules/**', ...FULL_TIER] : ['**/node_modules/**'],
    testTimeout: 120_000,
    // Commands the tests spawn keep the default GEMM tile: no 15 s search, no ~/.cache file.
    env: { ESPGPU_TUNE: '0' },
    hookTimeout: 120_000,
  },
});
