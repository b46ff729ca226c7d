import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

// Tests import shaders/*.wgsl as text, exactly like esbuild's text loader does in builds.
const wgslAsText: Plugin = {
  name: 'wgsl-as-text',
  load(id) {
    if (!id.endsWith('.wgsl')) return null;
    return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
  },
};

export default defineConfig({
  plugins: [wgslAsText],
  test: {
    // Dawn is a native addon: separate processes, device acquired in beforeAll.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
