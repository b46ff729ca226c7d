// `espgpu train` and `espgpu eval` end to end, as a user runs them, on a tiny PNG-folder
// dataset: a real run with a checkpoint and metrics, its evaluation, a resume, and bad input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics } from '../../src/io/metrics.ts';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'espgpu-cli-'));

function espgpu(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000, cwd: root });
}

/** 28×28 grey PNGs in two classes: a bright left half or a bright right half. */
function writePngDataset(dir: string): void {
  for (const [split, count] of [['train', 48], ['test', 16]] as const) {
    for (const [label, name] of ['left', 'right'].entries()) {
      mkdirSync(join(dir, split, name), { recursive: true });
      for (let i = 0; i < count / 2; i++) {
        const data = Uint8Array.from({ length: 784 }, (_, p) => ((p % 28 < 14) === (label === 0) ? 200 : 20) + ((p * 7 + i * 13) % 30));
        writeFileSync(join(dir, split, name, `${i}.png`), encode({ width: 28, height: 28, channels: 1, depth: 8, data }));
      }
    }
  }
}

const data = join(root, 'halves');
const common = ['--dataset', 'png-folder', '--data-dir', data, '--batch', '16', '--lr', '0.05'];

describe('espgpu train and eval', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm test does)`);
    writePngDataset(data);
  });

  it('trains with ESP, writes a checkpoint and metrics, reports clean and corruption error as JSON; eval agrees', () => {
    const run = espgpu('train', ...common, '--epochs', '2', '--warmup-epochs', '0.5', '--method', 'esp', '--epsilon', '1', '--checkpoint', 'run.safetensors',
      '--metrics', 'run.jsonl', '--curve', 'run.svg', '--suite', 'mnist-c', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.done).toMatchObject({ status: 'completed', step: 6, totalSteps: 6 });
    expect(result.recipe.schedule).toMatchObject({ kind: 'cosine', warmupEpochs: 0.5 });
    expect(result.corruption.corruptions).toHaveLength(15);
    expect(result.corruption.clean.count).toBe(16);
    const metrics = parseMetrics(readFileSync(join(root, 'run.jsonl'), 'utf8'), 'run.jsonl');
    expect(metrics.map((m) => m.event)).toContain('done');
    expect(readFileSync(join(root, 'run.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    const evaluated = espgpu('eval', '--checkpoint', 'run.safetensors', '--dataset', 'png-folder', '--data-dir', data, '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).clean).toEqual(result.corruption.clean);
  });

  it('--validation evaluates on held-out training images, --train-limit trains on fewer; eval --validation agrees', () => {
    const run = espgpu('train', ...common, '--epochs', '1', '--validation', '16', '--train-limit', '24', '--checkpoint', 'validation.safetensors', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ evaluatedOn: 'validation', trainImages: 24 });
    expect(result.done.totalSteps).toBe(1);
    const evaluated = espgpu('eval', '--checkpoint', 'validation.safetensors', '--dataset', 'png-folder', '--data-dir', data, '--validation', '16', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ evaluatedOn: 'validation', clean: { count: 16 } });
    expect(espgpu('train', ...common, '--validation', '48').stderr).toMatch(/png-folder train \(--validation\): cannot hold out 48 of 48/);
  });

  it('refuses to start over an existing checkpoint and to resume with other settings, naming why', () => {
    const again = espgpu('train', ...common, '--epochs', '2', '--method', 'esp', '--epsilon', '1', '--checkpoint', 'run.safetensors');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/checkpoint run.safetensors already exists/);
    const other = espgpu('train', ...common, '--epochs', '2', '--method', 'esp', '--epsilon', '2', '--resume', 'run.safetensors');
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/other settings.*epsilon: 2 here, 1 in the checkpoint/);
  });

  it('rejects bad arguments with one line each', () => {
    expect(espgpu('train', '--preset', 'imagenet').stderr).toMatch(/option '--preset <name>' argument 'imagenet' is invalid/);
    expect(espgpu('train', ...common, '--method', 'l2').stderr).toMatch(/--method l2 needs --epsilon/);
    expect(espgpu('train', ...common, '--method', 'esp', '--epsilon', '1', '--xi', '0.95').stderr).toMatch(/ESP settings: xi \(ξ\) must be a number in \(0, 1 − 1\/C\)/);
    expect(espgpu('train', '--dataset', 'cifar10', '--data-dir', join(root, 'nowhere')).stderr).toMatch(/espgpu: .*nowhere/);
    expect(espgpu('eval', '--checkpoint', 'missing.safetensors').stderr).toMatch(/missing\.safetensors/);
    expect(espgpu('train', ...common, '--epochs', '1', '--warmup-epochs', '2').stderr).toMatch(/schedule\.warmupEpochs must be a number in \[0, epochs = 1\], got 2/);
    expect(espgpu('train', ...common, '--warmup-epochs', '-1').stderr).toMatch(/--warmup-epochs must be a number ≥ 0, got "-1"/);
  });

  it('--spec runs a RunSpec file; flags override its fields; a bad file fails before any data is read', () => {
    const spec = {
      preset: 'mnist', epochs: 1, batchSize: 16, lr: 0.05, seed: 3,
      augmentation: { method: 'esp', esp: { epsilon: 1, gamma: 20 } },
      data: { dataset: 'png-folder', dir: data },
    };
    writeFileSync(join(root, 'spec.json'), JSON.stringify(spec));
    const run = espgpu('train', '--spec', 'spec.json', '--seed', '4', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ method: 'esp', seed: 4, trainImages: 48, done: { status: 'completed', step: 3 } });
    expect(result.recipe).toMatchObject({ epochs: 1, batchSize: 16, sgd: { lr: 0.05 }, augmentation: { method: 'esp', esp: { epsilon: 1, gamma: 20 } } });
    writeFileSync(join(root, 'typo.json'), JSON.stringify({ ...spec, epoch: 2 }));
    expect(espgpu('train', '--spec', 'typo.json').stderr).toMatch(/^espgpu: --spec typo.json: unknown field "epoch"/m);
    writeFileSync(join(root, 'gamma.json'), JSON.stringify({ ...spec, augmentation: { method: 'esp', esp: { epsilon: 1, gamma: 0.5 } }, data: { dataset: 'png-folder', dir: join(root, 'nowhere') } }));
    // The settings are refused before the (missing) data is looked for.
    expect(espgpu('train', '--spec', 'gamma.json').stderr).toMatch(/ESP settings: gamma \(γ\) must be a number > 1, got 0.5/);
    writeFileSync(join(root, 'broken.json'), '{"epochs": ');
    expect(espgpu('train', '--spec', 'broken.json').stderr).toMatch(/--spec broken.json: not JSON/);
    expect(espgpu('train', '--spec', 'absent.json').stderr).toMatch(/--spec absent.json: cannot read it \(ENOENT\)/);
  });

  it('asks for ε only where the method has a perturbation', () => {
    expect(espgpu('train', ...common, '--method', 'bogus').stderr).toMatch(/augmentation method "bogus" is not one of/);
    expect(espgpu('train', ...common, '--method', 'augmix', '--epsilon', '1').stderr).toMatch(/--epsilon sets the size of a perturbation; --method augmix has none/);
    expect(espgpu('train', ...common, '--method', 'l2', '--epsilon', '1', '--gamma', '5').stderr).toMatch(/--gamma is an ESP setting; --method l2 does not use it/);
    expect(espgpu('train', ...common, '--epsilon', '').stderr).toMatch(/--epsilon must be a number ≥ 0, got ""/);
  });
});
