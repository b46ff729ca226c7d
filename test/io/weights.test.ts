// Plain weights files: the layout PyTorch's save_file writes, files from an independent writer
// (test/fixtures/writeSafetensorsFixture.py: numpy, struct and json) in F32, F16 and BF16,
// errors that name every problem at once, and a Classifier's weights out and back in, bit for bit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { encodeTrainingCheckpoint, type ModelLayout } from '../../src/io/checkpoint.ts';
import { halfToFloat, parseSafetensors, writeSafetensors, type RawTensor } from '../../src/io/safetensors.ts';
import { decodeWeights, encodeWeights, WeightsError, type ModelWeights } from '../../src/io/weights.ts';
import { createModel } from '../../src/nn/models/index.ts';
import type { Sequential } from '../../src/nn/sequential.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { modelLayout, readWeights, writeFlatWeights } from '../../src/train/weights.ts';
import { checkWeightsFile, loadWeights, saveWeights } from '../../src/train/weightsFile.ts';
import { tinyNet, tinyRunOptions } from '../fixtures/tinyRun.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';

const gpu = useGpu();
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/weights/${name}`, import.meta.url)));
const TINY_LAYOUT = modelLayout('tiny-net', tinyNet(0));

/** writeSafetensorsFixture.py's formula: k from the flat index and the name's byte sum. */
function formulaK(name: string, size: number): number[] {
  const s = [...new TextEncoder().encode(name)].reduce((a, b) => a + b, 0);
  return Array.from({ length: size }, (_, i) => (i * 7919 + s * 104729) % 2001);
}
const mnistValue = (k: number) => (k - 1000) / 65536;
const tinyValue = (name: string) => (k: number) => (name.endsWith('running_var') ? 0.5 + k / 4000 : (k - 1000) / 999);
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The formula's values of every tensor of `layout`, in f64. */
function formulaWeights(layout: ModelLayout, value: (name: string) => (k: number) => number): Map<string, number[]> {
  return new Map([...layout.parameters, ...layout.state].map((s) => [s.name, formulaK(s.name, sizeOf(s.shape)).map(value(s.name))]));
}

function randomWeights(layout: ModelLayout, seed: number): ModelWeights {
  const rng = new TestRandom(seed);
  const values = (name: string, shape: readonly number[]) => Float32Array.from({ length: sizeOf(shape) }, () => (name.endsWith('running_var') ? rng.uniform(0.5, 2) : rng.uniform(-1, 1)));
  return {
    parameters: new Map(layout.parameters.map((p) => [p.name, values(p.name, p.shape)])),
    state: new Map(layout.state.map((s) => [s.name, values(s.name, s.shape)])),
  };
}

function classifier(g: Gpu, net: Sequential, seed = 0): Classifier {
  return new Classifier(g, net, seed, { momentum: 0.9, nesterov: false, weightDecay: 0, schedule: () => 0.1 });
}

async function logitBits(c: Classifier, images: Float32Array, shape: number[]): Promise<Uint32Array> {
  const x = c.gpu.upload(images, shape);
  const logits = await c.predict(x);
  const values = await c.gpu.read(logits);
  c.gpu.release(x, logits);
  return new Uint32Array(values.buffer);
}

function raw(name: string, shape: number[], values: number[] | Float32Array, dtype: 'F32' | 'F64' = 'F32'): RawTensor {
  const bytes = dtype === 'F32' ? new Uint8Array(Float32Array.from(values).buffer) : new Uint8Array(Float64Array.from(values).buffer);
  return { name, dtype, shape, bytes };
}

function refusal(action: () => unknown): WeightsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(WeightsError);
    return error as WeightsError;
  }
  throw new Error('expected a WeightsError');
}

describe('encodeWeights', () => {
  it("lays the file out as PyTorch's save_file does: I64 num_batches_tracked first, then F32 by name; no momentum, no checksum", () => {
    const weights = randomWeights(TINY_LAYOUT, 1);
    const file = encodeWeights(weights, TINY_LAYOUT, 42);
    const headerLength = new DataView(file.buffer).getUint32(0, true);
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength)));
    expect(header.__metadata__).toEqual({ format: 'pt', espgpu_model: 'tiny-net' });
    expect(Object.keys(header)).toEqual([
      '__metadata__', 'bn.num_batches_tracked', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.weight', 'conv.bias', 'conv.weight', 'fc.bias', 'fc.weight',
    ]);
    expect(header['bn.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data_offsets: [0, 8] });
    expect(header['conv.weight']).toMatchObject({ dtype: 'F32', shape: [4, 1, 3, 3] });
    const { tensors } = parseSafetensors(file, { dtypes: ['F32', 'I64'], dtypeNote: '', requireMetadata: true }, (p) => {
      throw new Error(p);
    });
    expect(new DataView(tensors[0]!.bytes.slice().buffer).getBigInt64(0, true)).toBe(42n);
    const read = decodeWeights(file, 'w.safetensors', TINY_LAYOUT);
    expect(read.parameters).toEqual(weights.parameters);
    expect(read.state).toEqual(weights.state);
  });

  it('refuses a negative or fractional step count', () => {
    expect(() => encodeWeights(randomWeights(TINY_LAYOUT, 1), TINY_LAYOUT, -1)).toThrow(/encodeWeights: batchesTracked must be an integer ≥ 0, got -1/);
    expect(() => encodeWeights(randomWeights(TINY_LAYOUT, 1), TINY_LAYOUT, 1.5)).toThrow(/got 1\.5/);
  });
});

describe('files from an independent writer (writeSafetensorsFixture.py)', () => {
  const rounding = { F32: 2 ** -24, F16: 2 ** -11, BF16: 2 ** -8 };
  for (const [dtype, unit] of Object.entries(rounding)) {
    it(`reads ${dtype}, without __metadata__ and with num_batches_tracked, to the formula within ${dtype} rounding`, () => {
      const read = decodeWeights(fixture(`tiny-net.${dtype.toLowerCase()}.safetensors`), dtype, TINY_LAYOUT);
      expect(read.metadata).toEqual({});
      for (const [name, expected] of formulaWeights(TINY_LAYOUT, tinyValue)) {
        const got = read.parameters.get(name) ?? read.state.get(name)!;
        expect(got.length, name).toBe(expected.length);
        expected.forEach((v, i) => {
          // Half an ulp, and a hair for the f64 → f32 → bf16 double rounding.
          expect(Math.abs(got[i]! - v), `${name}[${i}]`).toBeLessThanOrEqual(Math.abs(v) * unit * 1.001);
        });
        if (dtype === 'F32') expect(got).toEqual(Float32Array.from(expected));
      }
    });
  }

  it('widens every kind of f16 exactly: subnormals, signed zero, the largest, infinities, NaN', () => {
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it("loads the MNIST CNN's state_dict in F16: the values are the formula's, and so are the logits", async () => {
    const g = gpu();
    const net = createModel('mnist-cnn', { seed: 0 });
    const layout = modelLayout('mnist-cnn', net);
    const expected = formulaWeights(layout, () => mnistValue);
    const bytes = fixture('mnist-cnn.f16.safetensors');
    const read = decodeWeights(bytes, 'mnist-cnn.f16', layout);
    expect(read.metadata).toEqual({ format: 'pt' });
    for (const [name, values] of expected) expect(read.parameters.get(name), name).toEqual(Float32Array.from(values));

    const fromFile = classifier(g, net);
    const direct = classifier(g, createModel('mnist-cnn', { seed: 5 }), 5);
    try {
      loadWeights(g, fromFile, bytes, 'mnist-cnn.f16', { modelName: 'mnist-cnn' });
      writeFlatWeights(g, direct.store, Float32Array.from(layout.parameters.flatMap((p) => expected.get(p.name)!)));
      const images = Float32Array.from(new TestRandom(3).array(4 * 784, 0, 1));
      const logits = await logitBits(fromFile, images, [4, 1, 28, 28]);
      expect(logits).toEqual(await logitBits(direct, images, [4, 1, 28, 28]));
      expect(new Float32Array(logits.buffer).some((v) => v !== 0)).toBe(true);
    } finally {
      fromFile.dispose();
      direct.dispose();
    }
  });
});

describe('refusals', () => {
  it('names every missing, unexpected and mis-shaped tensor in one error', () => {
    const weights = randomWeights(TINY_LAYOUT, 2);
    const tensors = [
      raw('conv.weight', [3, 1, 3, 3], new Float32Array(27)),
      raw('bn.weight', [4], weights.parameters.get('bn.weight')!),
      raw('bn.bias', [4], weights.parameters.get('bn.bias')!),
      raw('bn.running_mean', [4], weights.state.get('bn.running_mean')!),
      raw('fc.weight', [64, 2], weights.parameters.get('fc.weight')!),
      raw('fc.bias', [2], weights.parameters.get('fc.bias')!),
      raw('fc9.bias', [2], [1, 2]),
      raw('extra', [1], [0]),
    ];
    const error = refusal(() => decodeWeights(writeSafetensors(tensors, undefined, 'test'), 'model.safetensors', TINY_LAYOUT));
    expect(error.message).toBe(
      'weights model.safetensors: it does not fit model "tiny-net": missing conv.bias, bn.running_var; unexpected fc9.bias, extra; ' +
        'conv.weight has shape [3, 1, 3, 3], the model needs [4, 1, 3, 3]; fc.weight has shape [64, 2], the model needs [2, 64]',
    );
    expect(error.source).toBe('model.safetensors');
  });

  it('refuses F64 and integer weights with a named error', () => {
    const file = encodeWeights(randomWeights(TINY_LAYOUT, 3), TINY_LAYOUT);
    const { tensors } = parseSafetensors(file, { dtypes: ['F32', 'I64'], dtypeNote: '', requireMetadata: false }, (p) => {
      throw new Error(p);
    });
    const asF64 = tensors.map((t) => (t.name === 'fc.bias' ? raw('fc.bias', [2], new Float32Array(t.bytes.slice().buffer), 'F64') : t));
    expect(refusal(() => decodeWeights(writeSafetensors(asF64, undefined, 'test'), 'f64.safetensors', TINY_LAYOUT)).message).toBe(
      'weights f64.safetensors: tensor "fc.bias" has dtype "F64"; espgpu reads weights in F32, F16 or BF16 (and num_batches_tracked in I64)',
    );
    const asI64 = tensors.map((t): RawTensor => (t.name === 'fc.bias' ? { name: 'fc.bias', dtype: 'I64', shape: [2], bytes: new Uint8Array(16) } : t));
    expect(refusal(() => decodeWeights(writeSafetensors(asI64, undefined, 'test'), 'i64.safetensors', TINY_LAYOUT)).message).toMatch(
      /: fc\.bias has dtype I64, the model needs F32, F16 or BF16$/,
    );
  });

  it('refuses NaN and ±Inf, naming the tensor and the index', () => {
    const weights = randomWeights(TINY_LAYOUT, 4);
    weights.parameters.get('fc.bias')![1] = Number.NaN;
    expect(() => checkWeightsFile(encodeWeights(weights, TINY_LAYOUT), 'nan.safetensors', TINY_LAYOUT)).toThrow(
      /^weights nan\.safetensors: holds parameters fc\.bias\[1\] = NaN: training or predicting from it would give NaN$/,
    );
    weights.parameters.get('fc.bias')![1] = 0;
    weights.state.get('bn.running_var')![2] = -Infinity;
    expect(() => checkWeightsFile(encodeWeights(weights, TINY_LAYOUT), 'inf.safetensors', TINY_LAYOUT)).toThrow(/holds state bn\.running_var\[2\] = -Infinity/);
    expect(() => checkWeightsFile(encodeWeights(weights, TINY_LAYOUT), 'inf.safetensors', TINY_LAYOUT, true)).not.toThrow();
  });

  it('refuses a training checkpoint, saying what to do with it, and a damaged file', () => {
    const weights = randomWeights(TINY_LAYOUT, 5);
    const momentum = new Map([...weights.parameters].map(([name, v]) => [name, new Float32Array(v.length)]));
    const checkpoint = encodeTrainingCheckpoint({ model: 'tiny-net', step: 1, epoch: 0, seed: 0, settings: {}, ...weights, momentum }, TINY_LAYOUT);
    expect(() => decodeWeights(checkpoint, 'run.safetensors', TINY_LAYOUT)).toThrow(/^weights run\.safetensors: it is an espgpu training checkpoint, not plain weights: .*espgpu export/);
    const file = encodeWeights(weights, TINY_LAYOUT);
    expect(refusal(() => decodeWeights(file.subarray(0, file.length - 1), 'cut.safetensors', TINY_LAYOUT)).message).toMatch(/^weights cut\.safetensors: tensor "\S+" needs data bytes/);
  });
});

describe('saveWeights and loadWeights', () => {
  it('round-trip a classifier: the loaded copy gives the same logits bit for bit, with momentum zero', async () => {
    const g = gpu();
    const original = classifier(g, tinyNet(1), 1);
    const copy = classifier(g, tinyNet(2), 2);
    try {
      const w = randomWeights(TINY_LAYOUT, 6);
      const tensors = [...TINY_LAYOUT.parameters.map((p) => w.parameters.get(p.name)!), ...TINY_LAYOUT.state.map((s) => w.state.get(s.name)!)];
      writeFlatWeights(g, original.store, Float32Array.from(tensors.flatMap((t) => [...t])));
      g.write(copy.store.momentum, new Float32Array(copy.store.momentum.size).fill(1));
      const bytes = await saveWeights(g, original, 'tiny-net', { batchesTracked: 3 });
      expect(loadWeights(g, copy, bytes, 'copy.safetensors', { modelName: 'tiny-net' })).toEqual({ format: 'pt', espgpu_model: 'tiny-net' });
      const images = Float32Array.from(new TestRandom(7).array(5 * 64, 0, 1));
      expect(await logitBits(copy, images, [5, 1, 8, 8])).toEqual(await logitBits(original, images, [5, 1, 8, 8]));
      expect((await readWeights(g, copy.store)).momentum.get('fc.weight')!.every((v) => v === 0)).toBe(true);
    } finally {
      original.dispose();
      copy.dispose();
    }
  });

  it('a Trainer starts from initialWeights: at step 0 its weights are the file\'s; not with resume', async () => {
    const g = gpu();
    const bytes = fixture('tiny-net.bf16.safetensors');
    const stop = new AbortController();
    stop.abort();
    const trainer = new Trainer(g, { ...tinyRunOptions(), initialWeights: { bytes, source: 'tiny-net.bf16' }, signal: stop.signal });
    try {
      expect(await trainer.run()).toMatchObject({ status: 'aborted', step: 0 });
      const expected = decodeWeights(bytes, 'tiny-net.bf16', TINY_LAYOUT);
      const got = await readWeights(g, trainer.classifier.store);
      expect(got.parameters).toEqual(expected.parameters);
      expect(got.state).toEqual(expected.state);
    } finally {
      trainer.dispose();
    }
    expect(() => new Trainer(g, { ...tinyRunOptions(), initialWeights: { bytes, source: 'w' }, resume: 'run.safetensors' })).toThrow(
      /Trainer: initialWeights and resume exclude each other/,
    );
  });
});
