// `espgpu export` and `espgpu train --init-weights` end to end, as a user runs them on the
// embedded subset: a checkpoint exported as plain weights, those weights fine-tuned, bad input.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { embeddedDataset } from '../../src/data/embedded.ts';
import { decodeTrainingCheckpoint } from '../../src/io/checkpoint.ts';
import { parseMetrics } from '../../src/io/metrics.ts';
import { decodeWeights } from '../../src/io/weights.ts';
import { createModel } from '../../src/nn/models/index.ts';
import { modelLayout } from '../../src/train/weights.ts';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'espgpu-export-'));
const at = (name: string) => join(root, name);
const EMBEDDED = ['train', '--dataset', 'embedded', '--train-limit', '96', '--eval-limit', '32', '--batch', '32', '--epochs', '1'];
const LAYOUT = modelLayout('mnist-cnn', createModel('mnist-cnn', { seed: 0 }));

function espgpu(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000, cwd: root });
}

/** The loss the run's metrics report for step 0 (one step an epoch, so it is reported). */
function firstLoss(metricsFile: string): number {
  const step = parseMetrics(readFileSync(at(metricsFile), 'utf8'), metricsFile).find((m) => m.event === 'step' && m.step === 0);
  return (step as unknown as { loss: number }).loss;
}

describe('espgpu export and train --init-weights', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm test does)`);
    // Three epochs, so the exported weights have learnt something a fresh model has not.
    const run = espgpu(...EMBEDDED, '--epochs', '3', '--checkpoint', 'run.safetensors');
    if (run.status !== 0) throw new Error(`the training run failed: ${run.stderr}`);
  });

  it("exports the checkpoint's weights as plain safetensors: PyTorch's names, F32, no momentum, no checksum", () => {
    const exported = espgpu('export', '--checkpoint', 'run.safetensors', '--format', 'safetensors', '--out', 'weights/model.safetensors');
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^mnist-cnn from run\.safetensors \(step 9\): weights\/model\.safetensors, safetensors, [\d,]+ bytes\n$/);
    const bytes = new Uint8Array(readFileSync(at('weights/model.safetensors')));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + new DataView(bytes.buffer).getUint32(0, true))));
    expect(header.__metadata__).toEqual({ format: 'pt', espgpu_model: 'mnist-cnn' });
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(names).toEqual(LAYOUT.parameters.map((p) => p.name).sort());
    for (const p of LAYOUT.parameters) expect(header[p.name]).toMatchObject({ dtype: 'F32', shape: p.shape });
    const checkpoint = decodeTrainingCheckpoint(new Uint8Array(readFileSync(at('run.safetensors'))), 'run.safetensors', LAYOUT);
    expect(decodeWeights(bytes, 'model.safetensors', LAYOUT).parameters).toEqual(checkpoint.parameters);
    // --format defaults to safetensors; the same checkpoint gives the same file.
    expect(espgpu('export', '--checkpoint', 'run.safetensors', '--out', 'again.safetensors').status).toBe(0);
    expect(readFileSync(at('again.safetensors')).equals(readFileSync(at('weights/model.safetensors')))).toBe(true);
  });

  it('exports the inference graph as ONNX: ONNX Runtime makes the same predictions as `espgpu eval` on the 1,000 embedded test images', async () => {
    const exported = espgpu('export', '--checkpoint', 'run.safetensors', '--format', 'onnx', '--out', 'model.onnx');
    expect(exported.status, exported.stderr).toBe(0);
    const evaluated = espgpu('eval', '--checkpoint', 'run.safetensors', '--dataset', 'embedded', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const { clean } = JSON.parse(evaluated.stdout) as { clean: { errors: number; count: number } };
    const test = embeddedDataset('test');
    const pixels = Float32Array.from(test.images, (v) => v / 255);
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(at('model.onnx'))), { executionProviders: ['wasm'] });
    const { logits } = await session.run({ input: new ort.Tensor('float32', pixels, [...test.shape]) });
    await session.release();
    const values = logits!.data as Float32Array;
    expect(logits!.dims).toEqual([test.shape[0], 10]);
    let errors = 0;
    for (let i = 0; i < test.shape[0]; i++) {
      const row = values.subarray(i * 10, (i + 1) * 10);
      if (row.indexOf(Math.max(...row)) !== test.labels[i]) errors++;
    }
    // The graph computes what espgpu computes to ~1e-7: a near-tie may fall the other way, no more.
    expect(clean.count).toBe(test.shape[0]);
    expect(Math.abs(errors - clean.errors)).toBeLessThanOrEqual(1);
  });

  it('fine-tunes from the exported weights: the first step starts from them, below a fresh model\'s loss', () => {
    if (!existsSync(at('weights/model.safetensors'))) expect(espgpu('export', '--checkpoint', 'run.safetensors', '--out', 'weights/model.safetensors').status).toBe(0);
    const oneStep = ['--train-limit', '32', '--metrics'];
    const fresh = espgpu(...EMBEDDED, ...oneStep, 'fresh.jsonl');
    expect(fresh.status, fresh.stderr).toBe(0);
    const tuned = espgpu(...EMBEDDED, ...oneStep, 'tuned.jsonl', '--init-weights', 'weights/model.safetensors');
    expect(tuned.status, tuned.stderr).toBe(0);
    expect(tuned.stdout).toMatch(/from weights\/model\.safetensors/);
    // A fresh MNIST CNN's last layer is zero: its first loss is ln 10.
    expect(firstLoss('fresh.jsonl')).toBeCloseTo(Math.log(10), 5);
    expect(firstLoss('tuned.jsonl')).toBeLessThan(firstLoss('fresh.jsonl') - 0.02);
    const start = parseMetrics(readFileSync(at('tuned.jsonl'), 'utf8'), 'tuned.jsonl').find((m) => m.event === 'start');
    expect(start).toMatchObject({ initialWeights: 'weights/model.safetensors' });
  });

  it('refuses what it cannot export, writing nothing', () => {
    const same = espgpu('export', '--checkpoint', 'run.safetensors', '--out', './run.safetensors');
    expect(same.status).toBe(1);
    expect(same.stderr).toMatch(/--out \.\/run\.safetensors is the checkpoint itself: choose another file/);
    expect(espgpu('export', '--checkpoint', 'none.safetensors', '--out', 'x.safetensors').stderr).toMatch(/--checkpoint none\.safetensors: cannot read it \(ENOENT\)/);
    expect(espgpu('export', '--checkpoint', 'run.safetensors', '--format', 'pickle', '--out', 'x.safetensors').stderr).toMatch(/option '--format <name>' argument 'pickle' is invalid/);
    const damaged = readFileSync(at('run.safetensors'));
    damaged[damaged.length - 1]! ^= 1;
    writeFileSync(at('damaged.safetensors'), damaged);
    expect(espgpu('export', '--checkpoint', 'damaged.safetensors', '--out', 'x.safetensors').stderr).toMatch(/checkpoint damaged\.safetensors: checksum mismatch/);
    expect(existsSync(at('x.safetensors'))).toBe(false);
  });

  it('refuses --init-weights that is missing, does not fit, or comes with --resume, before the device', () => {
    const missing = espgpu(...EMBEDDED, '--init-weights', 'missing.safetensors');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--init-weights missing\.safetensors: cannot read it \(ENOENT\)/);
    expect(missing.stdout).toBe('');
    copyFileSync(new URL('../fixtures/weights/tiny-net.f16.safetensors', import.meta.url), at('tiny.safetensors'));
    const misfit = espgpu(...EMBEDDED, '--init-weights', 'tiny.safetensors');
    expect(misfit.status).toBe(1);
    expect(misfit.stderr).toMatch(/weights tiny\.safetensors: it does not fit model "mnist-cnn": missing conv1\.weight, conv1\.bias, .*; unexpected bn\.num_batches_tracked, conv\.weight, .*fc\.bias$/m);
    expect(misfit.stdout).toBe('');
    const both = espgpu(...EMBEDDED, '--init-weights', 'tiny.safetensors', '--resume', 'run.safetensors');
    expect(both.stderr).toMatch(/train: initWeights and outputs\.resume exclude each other/);
  });
});
