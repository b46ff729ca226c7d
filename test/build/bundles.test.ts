// The package's conditional exports: Dawn (the `webgpu` addon) must never reach the
// browser bundle, and the Node bundle must use it. npm test builds dist/ first.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function bundle(path: string): string {
  const file = new URL(`../../dist/${path}`, import.meta.url).pathname;
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (node scripts/build.mjs; npm test does)`);
  return readFileSync(file, 'utf8');
}

const importsDawn = /from\s*["']webgpu["']|import\(\s*["']webgpu["']\s*\)|require\(\s*["']webgpu["']\s*\)/;

describe('bundles', () => {
  for (const path of ['browser/index.js', 'browser/worker.js'])
    it(`${path} takes WebGPU from navigator.gpu and never imports Dawn or worker_threads`, () => {
      const code = bundle(path);
      expect(code).not.toMatch(importsDawn);
      expect(code).not.toMatch(/worker_threads/);
      expect(code).toContain('navigator');
    });

  it('the Node bundles import Dawn', () => {
    for (const path of ['node/index.js', 'node/worker.js']) expect(bundle(path)).toMatch(importsDawn);
  });

  it('shaders are inlined as text in both', () => {
    for (const path of ['browser/index.js', 'node/index.js']) expect(bundle(path)).toContain('fn gemmRegisters(');
  });
});
