// The bundled `espgpu` command as a user runs it (npm test builds dist/ first).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

function espgpu(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('espgpu command', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (node scripts/build.mjs; npm test does)`);
  });

  it('info --json describes the adapter and its limits', () => {
    const run = espgpu('info', '--json');
    expect(run.status).toBe(0);
    const info = JSON.parse(run.stdout);
    expect(typeof info.adapter.description).toBe('string');
    expect(info.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
  });

  it('rejects a bad argument with one clear line and a non-zero exit', () => {
    const run = espgpu('demo', '--epochs', '0');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--epochs must be an integer ≥ 1, got "0"/);
  });

  it('names a bad augmentation method or ESP setting and what is allowed', () => {
    const method = espgpu('demo', '--method', 'esp+noise');
    expect(method.status).toBe(1);
    expect(method.stderr).toMatch(/espgpu: augmentation method "esp\+noise" is not one of: none, l2, esp, esp-hard/);
    const gamma = espgpu('demo', '--gamma', '1');
    expect(gamma.status).toBe(1);
    expect(gamma.stderr).toMatch(/espgpu: demo: ESP settings: gamma \(γ\) must be a number > 1, got 1/);
    const smoothing = espgpu('demo', '--label-smoothing', '1');
    expect(smoothing.stderr).toMatch(/labelSmoothing must be a number in \[0, 1\), got 1/);
  });

  it('names an unknown adapter', () => {
    const run = espgpu('info', '--adapter', 'no-such-gpu');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/espgpu: .*no-such-gpu/);
  });
});
