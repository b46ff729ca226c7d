// The two residual models of ALGORITHMS.md §5.2–5.3: parameter counts against a formula
// written from the architecture tables, shapes, the reference initialisation, one real
// training step each, and flat memory over many steps of scaled-down versions.
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { MODELS, createModel, parameterCount } from '../../src/nn/models/index.ts';
import { resnet18 } from '../../src/nn/models/resnet18.ts';
import { wideResNet, wrn40x2 } from '../../src/nn/models/wrn.ts';
import type { Parameter } from '../../src/nn/parameters.ts';
import type { Sequential } from '../../src/nn/sequential.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';

const gpu = useGpu();

const convParams = (i: number, o: number, k: number) => i * o * k * k;
const bnParams = (c: number) => 2 * c;
const linearParams = (i: number, o: number) => i * o + o;

/** §5.2: stem, three groups of (depth − 4)/6 pre-activation blocks, BN and the classifier. */
function wrnParameterFormula(depth: number, k: number, classes: number): number {
  const n = (depth - 4) / 6;
  const widths = [16, 16 * k, 32 * k, 64 * k];
  let total = convParams(3, 16, 3);
  for (let g = 1; g <= 3; g++) {
    for (let b = 0; b < n; b++) {
      const [i, o] = [b === 0 ? widths[g - 1]! : widths[g]!, widths[g]!];
      total += bnParams(i) + convParams(i, o, 3) + bnParams(o) + convParams(o, o, 3) + (i !== o ? convParams(i, o, 1) : 0);
    }
  }
  return total + bnParams(widths[3]!) + linearParams(widths[3]!, classes);
}

/** §5.3: stem with BN, four stages of two basic blocks, the classifier. */
function resnet18ParameterFormula(classes: number): number {
  let total = convParams(3, 64, 3) + bnParams(64);
  let i = 64;
  for (const [stage, o] of [64, 128, 256, 512].entries()) {
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 && stage > 0 ? 2 : 1;
      total += convParams(i, o, 3) + bnParams(o) + convParams(o, o, 3) + bnParams(o);
      if (stride !== 1 || i !== o) total += convParams(i, o, 1) + bnParams(o);
      i = o;
    }
  }
  return total + linearParams(512, classes);
}

function byName(model: Sequential, name: string): Parameter {
  const p = model.parameters.find((q) => q.name === name);
  if (!p) throw new Error(`no parameter ${name}`);
  return p;
}

function moments(values: Float32Array): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let s2 = 0;
  let maxAbs = 0;
  for (const v of values) {
    s += v;
    s2 += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / values.length;
  return { mean, std: Math.sqrt(s2 / values.length - mean * mean), maxAbs };
}

/** The shape after the model's first `count` layers. */
function shapeAfter(model: Sequential, count: number, input: number[]): number[] {
  return model.layers.slice(0, count).reduce((shape, layer) => layer.outputShape(shape), input);
}

describe('parameter counts', () => {
  const cases = [
    { what: 'WRN-40-2, 10 classes', model: () => wrn40x2({ seed: 1, classes: 10 }), formula: wrnParameterFormula(40, 2, 10), stated: 2_243_546 },
    { what: 'WRN-40-2, 100 classes', model: () => wrn40x2({ seed: 1, classes: 100 }), formula: wrnParameterFormula(40, 2, 100), stated: 2_255_156 },
    { what: 'ResNet-18, 200 classes', model: () => resnet18({ seed: 1, classes: 200 }), formula: resnet18ParameterFormula(200), stated: 11_271_432 },
  ];
  for (const c of cases) {
    it(`${c.what}: ${c.stated.toLocaleString('en')} (formula and ALGORITHMS.md)`, () => {
      const count = parameterCount(c.model());
      console.log(`${c.what}: ${count} parameters`);
      expect(count).toBe(c.formula);
      expect(count).toBe(c.stated);
    });
  }

  it('names are unique and are the reference state-dict keys', () => {
    const wrn = wrn40x2({ seed: 1 });
    const resnet = resnet18({ seed: 1 });
    for (const model of [wrn, resnet]) {
      const names = [...model.parameters, ...model.state].map((p) => p.name);
      expect(new Set(names).size).toBe(names.length);
    }
    const wrnNames = wrn.parameters.map((p) => p.name);
    expect(wrnNames.slice(0, 7)).toEqual([
      'conv1.weight',
      'block1.layer.0.bn1.weight',
      'block1.layer.0.bn1.bias',
      'block1.layer.0.conv1.weight',
      'block1.layer.0.bn2.weight',
      'block1.layer.0.bn2.bias',
      'block1.layer.0.conv2.weight',
    ]);
    expect(wrnNames).toContain('block3.layer.0.conv_shortcut.weight');
    expect(wrnNames).not.toContain('block1.layer.1.conv_shortcut.weight');
    expect(wrnNames.slice(-4)).toEqual(['bn1.weight', 'bn1.bias', 'fc.weight', 'fc.bias']);
    expect(wrn.state.map((s) => s.name)).toContain('block2.layer.5.bn2.running_var');
    const resnetNames = resnet.parameters.map((p) => p.name);
    expect(resnetNames).toContain('layer2.0.shortcut.0.weight');
    expect(resnetNames).toContain('layer2.0.shortcut.1.bias');
    expect(resnetNames).not.toContain('layer1.0.shortcut.0.weight');
    expect(resnetNames.slice(-2)).toEqual(['linear.weight', 'linear.bias']);
  });

  it('the registry builds each model with its dataset\'s classes', () => {
    expect(parameterCount(createModel('wrn-40-2', { seed: 1 }))).toBe(2_243_546);
    expect(parameterCount(createModel('wrn-40-2', { seed: 1, classes: 100 }))).toBe(2_255_156);
    expect(parameterCount(createModel('resnet18', { seed: 1 }))).toBe(11_271_432);
    expect(parameterCount(createModel('mnist-cnn', { seed: 1 }))).toBe(312_202);
    for (const [name, spec] of Object.entries(MODELS)) {
      expect(createModel(name, { seed: 1 }).outputShape([2, ...spec.inputShape]), name).toEqual([2, spec.classes]);
    }
    expect(() => createModel('vgg', { seed: 1 })).toThrow(/model: name must be one of mnist-cnn, wrn-40-2, resnet18, got "vgg"/);
  });
});

describe('shapes', () => {
  it('WRN-40-2 maps [N, 3, 32, 32] through 32, 16 and 8 pixels to [N, classes]', () => {
    const model = wrn40x2({ seed: 1, classes: 100 });
    expect(model.layers).toHaveLength(1 + 18 + 3); // stem, blocks, BN+ReLU, pool, fc
    expect(shapeAfter(model, 1, [4, 3, 32, 32])).toEqual([4, 16, 32, 32]);
    expect(shapeAfter(model, 7, [4, 3, 32, 32])).toEqual([4, 32, 32, 32]);
    expect(shapeAfter(model, 13, [4, 3, 32, 32])).toEqual([4, 64, 16, 16]);
    expect(shapeAfter(model, 19, [4, 3, 32, 32])).toEqual([4, 128, 8, 8]);
    expect(model.outputShape([4, 3, 32, 32])).toEqual([4, 100]);
    expect(() => model.outputShape([4, 1, 32, 32])).toThrow(/expects 3 input channels/);
  });

  it('ResNet-18 maps [N, 3, 64, 64] through the stride-2 stem and four stages to [N, 200]', () => {
    const model = resnet18({ seed: 1 });
    expect(shapeAfter(model, 2, [2, 3, 64, 64])).toEqual([2, 64, 32, 32]);
    expect(shapeAfter(model, 4, [2, 3, 64, 64])).toEqual([2, 64, 32, 32]);
    expect(shapeAfter(model, 6, [2, 3, 64, 64])).toEqual([2, 128, 16, 16]);
    expect(shapeAfter(model, 8, [2, 3, 64, 64])).toEqual([2, 256, 8, 8]);
    expect(shapeAfter(model, 10, [2, 3, 64, 64])).toEqual([2, 512, 4, 4]);
    expect(model.outputShape([2, 3, 64, 64])).toEqual([2, 200]);
  });

  it('rejects a depth that is not 6n + 4', () => {
    expect(() => wideResNet({ seed: 1, depth: 41 })).toThrow(/depth must be 6n \+ 4/);
  });
});

describe('initialisation', () => {
  it('WRN: convolutions N(0, 2/(k·k·out)), BN γ = 1 and β = 0, fc bias 0 and weight U(±1/√fanIn)', () => {
    const model = wrn40x2({ seed: 3 });
    for (const [name, k, out] of [
      ['block3.layer.2.conv1.weight', 3, 128],
      ['block2.layer.0.conv_shortcut.weight', 1, 64],
      ['conv1.weight', 3, 16],
    ] as const) {
      const { mean, std } = moments(byName(model, name).init());
      const expected = Math.sqrt(2 / (k * k * out));
      expect(Math.abs(mean), name).toBeLessThan(0.1 * expected);
      expect(std / expected, name).toBeGreaterThan(0.9);
      expect(std / expected, name).toBeLessThan(1.1);
    }
    expect(byName(model, 'block1.layer.3.bn2.weight').init().every((v) => v === 1)).toBe(true);
    expect(byName(model, 'bn1.bias').init().every((v) => v === 0)).toBe(true);
    expect(byName(model, 'fc.bias').init().every((v) => v === 0)).toBe(true);
    const fc = moments(byName(model, 'fc.weight').init());
    expect(fc.maxAbs).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(fc.std).toBeGreaterThan(0.8 / Math.sqrt(3 * 128));
  });

  it('ResNet-18: PyTorch defaults, U(±1/√fanIn) for convolutions and both linear tensors', () => {
    const model = resnet18({ seed: 3 });
    for (const [name, fanIn] of [
      ['layer3.0.conv1.weight', 128 * 9],
      ['layer4.0.shortcut.0.weight', 256],
      ['linear.weight', 512],
      ['linear.bias', 512],
    ] as const) {
      const { mean, std, maxAbs } = moments(byName(model, name).init());
      const bound = 1 / Math.sqrt(fanIn);
      expect(maxAbs, name).toBeLessThanOrEqual(bound);
      expect(maxAbs, name).toBeGreaterThan(0.9 * bound);
      if (name !== 'linear.bias') {
        expect(Math.abs(mean), name).toBeLessThan(0.05 * bound);
        expect(std / (bound / Math.sqrt(3)), name).toBeCloseTo(1, 1);
      }
    }
    expect(byName(model, 'layer1.1.bn2.weight').init().every((v) => v === 1)).toBe(true);
    expect(byName(model, 'bn1.bias').init().every((v) => v === 0)).toBe(true);
  });

  it('every parameter draws from its own stream, and the seed decides them', () => {
    for (const build of [(seed: number) => wideResNet({ seed, depth: 10, widenFactor: 1 }), (seed: number) => resnet18({ seed, width: 4 })]) {
      const first = build(7).parameters.map((p) => p.init());
      const again = build(7).parameters.map((p) => p.init());
      const other = build(8).parameters.map((p) => p.init());
      expect(again).toEqual(first);
      const random = first.filter((v) => new Set(v).size > 1);
      expect(random.length).toBeGreaterThan(5);
      for (let i = 0; i < random.length; i++) {
        for (let j = i + 1; j < random.length; j++) expect(random[i]!.subarray(0, 4)).not.toEqual(random[j]!.subarray(0, 4));
      }
      expect(other.some((v, i) => v.some((x, j) => x !== first[i]![j]))).toBe(true);
    }
  });
});

const SGD = { momentum: 0.9, nesterov: true, weightDecay: 5e-4, schedule: () => 0.1 };

/** Batch-2 inputs and one-hot targets, the same for every call. */
function batch(g: Gpu, input: readonly number[], classes: number, seed: number) {
  const rng = new TestRandom(seed);
  const size = input.reduce((a, b) => a * b, 1);
  const x = g.upload(rng.array(2 * size), [2, ...input]);
  const t = new Float32Array(2 * classes);
  t[rng.int(0, classes)] = 1;
  t[classes + rng.int(0, classes)] = 1;
  return { x, targets: g.upload(t, [2, classes]) };
}

/** One SGD step from a fresh model; the loss and the weights after it. */
async function oneStep(g: Gpu, model: Sequential, seed: number, input: readonly number[], classes: number) {
  const classifier = new Classifier(g, model, seed, SGD);
  const before = await g.read(classifier.store.values);
  const { x, targets } = batch(g, input, classes, 1);
  const value = await (await classifier.trainStep(0, x, targets)).loss();
  const after = await g.read(classifier.store.values);
  g.release(x, targets);
  classifier.dispose();
  return { loss: value!, before, after };
}

describe('one training step, batch 2', () => {
  // A ResNet-18 step costs several WRN-40-2 steps on a software rasteriser: the full one runs
  // once, and the repeat that checks reproducibility uses the same blocks at width 4.
  const cases = [
    { what: 'WRN-40-2 on 3×32×32, 10 classes', build: (seed: number) => wrn40x2({ seed }), input: [3, 32, 32], classes: 10, repeat: true },
    { what: 'ResNet-18 on 3×64×64, 200 classes', build: (seed: number) => resnet18({ seed }), input: [3, 64, 64], classes: 200, repeat: false },
    { what: 'ResNet-18 of width 4 on 3×64×64', build: (seed: number) => resnet18({ seed, width: 4 }), input: [3, 64, 64], classes: 200, repeat: true },
  ];
  for (const c of cases) {
    const title = `${c.what}: finite loss near ln(classes), weights move${c.repeat ? ', the same seed gives the same weights' : ''}`;
    it(title, async () => {
      const first = await oneStep(gpu(), c.build(11), 11, c.input, c.classes);
      expect(Number.isFinite(first.loss)).toBe(true);
      // Random initial logits: the loss starts near that of a uniform guess.
      expect(first.loss).toBeGreaterThan(0.5 * Math.log(c.classes));
      expect(first.loss).toBeLessThan(3 * Math.log(c.classes));
      expect(first.after.every(Number.isFinite)).toBe(true);
      expect(first.after).not.toEqual(first.before);
      if (!c.repeat) return;
      const second = await oneStep(gpu(), c.build(11), 11, c.input, c.classes);
      expect(second.before).toEqual(first.before);
      expect(second.after).toEqual(first.after);
    }, 600_000);
  }
});

describe('memory', () => {
  const cases = [
    { what: 'WRN-10-1', build: () => wideResNet({ seed: 2, depth: 10, widenFactor: 1, classes: 4 }), input: [3, 8, 8] },
    { what: 'ResNet-18 of width 4', build: () => resnet18({ seed: 2, width: 4, classes: 4 }), input: [3, 32, 32] },
  ];
  for (const c of cases) {
    it(`${c.what}: buffers, bytes and buffers in use stay flat over training steps and evaluations`, async () => {
      const g = gpu();
      const classifier = new Classifier(g, c.build(), 2, SGD);
      const { x, targets } = batch(g, c.input, 4, 3);
      const step = async (i: number) => {
        (await classifier.trainStep(i, x, targets)).release();
        g.release(await classifier.predict(x));
      };
      const before = g.pool.stats();
      await step(0);
      await g.sync();
      const afterFirst = g.stats();
      // Every activation, gradient and saved statistic of the step went back to the pool.
      expect(afterFirst.inUse).toBe(before.inUse);
      for (let i = 1; i < 5; i++) await step(i);
      await g.sync();
      const after = g.stats();
      expect(after.buffers).toBe(afterFirst.buffers);
      expect(after.bytes).toBe(afterFirst.bytes);
      expect(after.inUse).toBe(afterFirst.inUse);
      expect(after.uniforms).toBe(afterFirst.uniforms);
      g.release(x, targets);
      classifier.dispose();
    });
  }
});
