// What the bundled `espgpu` command prints beyond its results: its version, Dawn's limit
// notices (hidden unless --verbose), each result once, and `corrupt` on the embedded subset.
// npm test builds dist/ first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const NOTICE = /artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit/;
let scratch: string;

function espgpu(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (node scripts/build.mjs; npm test does)`);
  scratch = mkdtempSync(join(tmpdir(), 'espgpu-output-'));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('espgpu output', () => {
  it('--version prints package.json\'s version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = espgpu(flag);
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  it("hides Dawn's limit notices on a terminal or a shell pipe, and --verbose shows them (where this adapter prints them)", () => {
    // Whether Dawn prints them here at all: a bare adapter request, nothing of espgpu.
    const probe = `const { create } = await import('webgpu'); await create([]).requestAdapter(); process.exit(0);`;
    const bare = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    // stderr through a real pipe (Node's own child pipes are socket pairs, which keep the notices).
    const stderrOf = (args: string) => spawnSync('sh', ['-c', `"${process.execPath}" "${cli}" ${args} 2>&1 >/dev/null | cat`], { encoding: 'utf8', timeout: 120_000 }).stdout;
    expect(stderrOf('info')).not.toMatch(NOTICE);
    expect(NOTICE.test(stderrOf('--verbose info'))).toBe(NOTICE.test(bare.stderr));
    expect(NOTICE.test(stderrOf('info --verbose'))).toBe(NOTICE.test(bare.stderr));
    // Other stderr output still comes through.
    expect(stderrOf('info --adapter no-such-adapter')).toMatch(/espgpu: Cannot get WebGPU adapter "no-such-adapter"/);
  });

  it('a training run with a corruption suite prints its clean error once, in the report', () => {
    const run = espgpu('train', '--dataset', 'embedded', '--epochs', '1', '--batch', '32', '--lr', '0.05', '--train-limit', '320', '--eval-limit', '100',
      '--suite', 'mnist-c', '--suite-limit', '20', '--no-tune');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.match(/clean error/gi)).toHaveLength(1);
    expect(run.stdout).toMatch(/^Clean error: \d+\.\d\d% \(\d+ of 100\)\.$/m);
    expect(run.stdout).toMatch(/^epoch 1\/1 in \d+\.\d s$/m);
  });

  it('corrupt --dataset embedded writes the suite of the embedded test images', () => {
    const out = join(scratch, 'fmnist-c');
    const run = espgpu('corrupt', '--dataset', 'embedded', '--suite', 'mnist-c', '--corruptions', 'shot_noise,fog', '--limit', '10', '--out', out);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/corrupting 10 of 1000 embedded test images \(1×28×28\)/);
    expect(readdirSync(out).sort()).toEqual(['fog', 'shot_noise']);
  });
});
