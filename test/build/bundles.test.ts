// The package's conditional exports: Dawn (the `webgpu` addon) must never reach the
// browser bundle, and the Node bundle must use it. npm test builds dist/ first.
// Each entry (index.js, worker.js) is read together with the chunks it imports.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** An entry's code and that of every chunk it imports, transitively. */
function bundle(path: string): string {
  const seen = new Set<string>();
  const read = (file: string): string => {
    if (seen.has(file)) return '';
    seen.add(file);
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (node scripts/build.mjs; npm test does)`);
    const code = readFileSync(file, 'utf8');
    const chunks = [...code.matchAll(/(?:from|import)\s*\(?\s*["'](\.\/[^"']+\.js)["']/g)].map((m) => join(dirname(file), m[1]!));
    return [code, ...chunks.map(read)].join('\n');
  };
  return read(join(dist, path));
}

const importsDawn = /from\s*["']webgpu["']|import\(\s*["']webgpu["']\s*\)|require\(\s*["']webgpu["']\s*\)/;

describe('bundles', () => {
  for (const path of ['browser/index.js', 'browser/worker.js'])
    it(`${path} takes WebGPU from navigator.gpu and never imports Dawn, worker_threads or node: modules`, () => {
      const code = bundle(path);
      expect(code).not.toMatch(importsDawn);
      expect(code).not.toMatch(/worker_threads/);
      expect(code).not.toMatch(/from\s*["']node:/);
      expect(code).toContain('navigator');
    });

  it('the Node bundles import Dawn, on first use', () => {
    for (const path of ['node/index.js', 'node/worker.js', 'node/cli.js']) expect(bundle(path)).toMatch(/import\(\s*["']webgpu["']\s*\)/);
  });

  it('shaders are inlined as text in both', () => {
    for (const path of ['browser/index.js', 'node/index.js']) expect(bundle(path)).toContain('fn gemmRegisters(');
  });

  it('the library is one copy per platform: the entries share their chunks', () => {
    for (const platform of ['node', 'browser']) {
      const worker = readFileSync(join(dist, platform, 'worker.js'), 'utf8');
      expect(worker.length).toBeLessThan(50_000);
      expect(worker).toMatch(/from\s*["']\.\/chunk-/);
    }
  });

  it('every path package.json exports or runs is built', () => {
    const manifest = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { exports: unknown; bin: Record<string, string> };
    const targets: string[] = [];
    const walk = (value: unknown) => {
      if (typeof value === 'string') targets.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(manifest.exports);
    walk(manifest.bin);
    expect(targets.length).toBeGreaterThan(8);
    for (const target of targets) expect(existsSync(join(dist, '..', target)), target).toBe(true);
  });
});
