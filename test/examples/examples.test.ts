// The README's library code (examples/*.ts, its code blocks word for word) as an app uses it:
// type-checked as a strict NodeNext program against the built declarations (dist/types, no
// skipLibCheck), then run against the built package — `import … from 'espgpu'` resolves through
// package.json's exports to dist/node/index.js — on the embedded Fashion-MNIST subset.
// npm test builds dist/ first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { checkReadmeExamples } from '../../scripts/checkReadmeExamples.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).sort();
// Inside the package folder, so that Node resolves `espgpu` to this package (a self-reference).
const compiled = join(root, 'test-artifacts', 'examples');
let cwd: string;

/** What each example must print (beyond exiting with 0). */
const EXPECTED: Record<string, RegExp[]> = {
  'train-evaluate-export.ts': [/^step 93\/93 {2}loss \d/m, /^clean error \d+\.\d\d% on 1000 test images$/m, /^image 3: .+ \(label: .+\)$/m],
  'training-loop.ts': [/^step 20: loss \d/m, /^clean error \d+\.\d\d%$/m],
  'worker.ts': [/^completed in \d+\.\d s, loss \d/m, /^\d+ weights$/m],
};

beforeAll(() => {
  for (const path of ['dist/node/index.js', 'dist/types/node.d.ts']) {
    if (!existsSync(join(root, path))) throw new Error(`${path} is missing: build first (node scripts/build.mjs; npm test does)`);
  }
  cwd = mkdtempSync(join(tmpdir(), 'espgpu-examples-'));
});

afterAll(() => {
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('the README examples', () => {
  it('are the README\'s library code blocks, word for word, each once', () => {
    expect(checkReadmeExamples(root)).toEqual([]);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(EXPECTED).sort()).toEqual(examples);
  });

  it('type-check as a strict NodeNext app against the package\'s declarations, without skipLibCheck', () => {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'examples/tsconfig.json'), '--listFiles'], { encoding: 'utf8', timeout: 120_000 });
    expect(tsc.stdout.split('\n').filter((line) => /error TS/.test(line)), tsc.stderr).toEqual([]);
    expect(tsc.status).toBe(0);
    // The declarations came from the build, through package.json's exports (the `node` condition).
    expect(tsc.stdout).toContain(join(root, 'dist/types/node.d.ts'));
  }, 180_000);

  for (const name of examples) {
    it(`${name} runs and prints what it says`, async () => {
      mkdirSync(compiled, { recursive: true });
      const script = join(compiled, name.replace(/\.ts$/, '.mjs'));
      // Types stripped, imports left as written.
      await build({ entryPoints: [join(root, 'examples', name)], outfile: script, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
      const run = spawnSync(process.execPath, [script], { cwd, encoding: 'utf8', timeout: 300_000 });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      for (const pattern of EXPECTED[name]!) expect(run.stdout).toMatch(pattern);
      if (name === 'train-evaluate-export.ts') expect(statSync(join(cwd, 'mnist-cnn.safetensors')).size).toBeGreaterThan(4 * 300_000);
    }, 300_000);
  }
});
