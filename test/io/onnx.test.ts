// ONNX export (issue 18): the file's structure (opset, input and output, one initializer per
// tensor, the operators per layer), and its logits in ONNX Runtime (onnxruntime-web's WASM
// backend, in Node) against espgpu's own predict on the same images, for every model, with and
// without an input normalisation.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchShape } from '../../src/data/samples.ts';
import { decodeOnnxModel, encodeOnnxModel, initializerValues, inputAffine, OnnxGraph, ONNX_OPSET } from '../../src/io/onnx.ts';
import { createModel, modelDefinition } from '../../src/nn/models/index.ts';
import { mnistCnn } from '../../src/nn/models/mnistCnn.ts';
import { Sequential } from '../../src/nn/sequential.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { exportOnnx, onnxFromWeights, type OnnxExportOptions } from '../../src/train/onnxExport.ts';
import { networkInput } from '../../src/train/predict.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';

const gpu = useGpu();
const SGD = { momentum: 0.9, nesterov: true, weightDecay: 5e-4, schedule: () => 0.05 };
const TOLERANCE = 1e-4;

beforeAll(() => {
  // One thread: the machine's cores are shared, and worker threads would outlive the test.
  ort.env.wasm.numThreads = 1;
});

/** `count` images of random bytes as values in [0, 1] (float32, as a user would feed them). */
function images(count: number, [c, h, w]: readonly number[], seed: number): Float32Array {
  const random = new TestRandom(seed);
  return Float32Array.from({ length: count * c! * h! * w! }, () => random.int(0, 256) / 255);
}

type Normalization = OnnxExportOptions['normalization'];

/**
 * A model built from `seed` and trained `steps` SGD steps of batch 4 on random normalised
 * images and labels, so that its weights and batch-norm running statistics are not the
 * initial ones.
 */
async function trainedClassifier(name: string, seed: number, steps: number, normalization?: Normalization, channels?: number): Promise<Classifier> {
  const g = gpu();
  const definition = modelDefinition(name);
  const shape = [channels ?? definition.inputShape[0], definition.inputShape[1], definition.inputShape[2]] as const;
  const model = name === 'mnist-cnn' ? mnistCnn({ seed, inChannels: shape[0] }) : createModel(name, { seed });
  const classes = model.outputShape([1, ...shape])[1]!;
  const classifier = new Classifier(g, model, seed, SGD);
  const random = new TestRandom(seed + 100);
  const batch = 4;
  for (let step = 0; step < steps; step++) {
    const x = g.upload(networkInput('test', images(batch, shape, seed + step), [batch, ...shape], { normalization }), [batch, ...shape]);
    const targets = new Float32Array(batch * classes);
    for (let i = 0; i < batch; i++) targets[i * classes + random.int(0, classes)] = 1;
    const t = g.upload(targets, [batch, classes]);
    const result = await classifier.trainStep(step, x, t);
    expect(Number.isFinite(await result.loss())).toBe(true);
    g.release(x, t);
  }
  return classifier;
}

/** espgpu's logits: the images normalised on the CPU (predict.ts's networkInput), then predict. */
async function espgpuLogits(classifier: Classifier, input: Float32Array, shape: BatchShape, normalization?: Normalization): Promise<Float32Array> {
  const g = gpu();
  const x = g.upload(networkInput('test', input, shape, { normalization }), shape);
  const logits = await classifier.predict(x);
  const values = await g.read(logits);
  g.release(x, logits);
  return values;
}

/** ONNX Runtime's logits for the raw [0, 1] images. */
async function onnxLogits(bytes: Uint8Array, input: Float32Array, shape: BatchShape): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const { logits } = await session.run({ input: new ort.Tensor('float32', input, [...shape]) });
    return logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** Exports, runs both and returns the largest difference (logged with the logits' scale and the times). */
async function compare(what: string, classifier: Classifier, name: string, count: number, options: { normalization?: Normalization; channels?: number } = {}) {
  const definition = modelDefinition(name);
  const sample = [options.channels ?? definition.inputShape[0], definition.inputShape[1], definition.inputShape[2]] as const;
  const shape: BatchShape = [count, ...sample];
  const input = images(count, sample, 7);
  let t = performance.now();
  const bytes = await exportOnnx(gpu(), classifier, { inputShape: sample, normalization: options.normalization, name });
  const exportMs = performance.now() - t;
  t = performance.now();
  const ours = await espgpuLogits(classifier, input, shape, options.normalization);
  const espgpuMs = performance.now() - t;
  t = performance.now();
  const theirs = await onnxLogits(bytes, input, shape);
  const ortMs = performance.now() - t;
  const difference = maxAbsDifference(ours, theirs);
  console.log(
    `${what}: ${count} images, max |Δ logits| ${difference.toExponential(2)} (max |logit| ${maxAbs(ours).toFixed(3)}); ` +
      `file ${(bytes.length / 2 ** 20).toFixed(2)} MiB, export ${exportMs.toFixed(0)} ms, espgpu ${espgpuMs.toFixed(0)} ms, ONNX Runtime ${ortMs.toFixed(0)} ms`,
  );
  expect(ours.every(Number.isFinite)).toBe(true);
  expect(maxAbs(ours)).toBeGreaterThan(0.1);
  return { difference, bytes, ours, theirs };
}

describe('ONNX Runtime gives espgpu\'s logits', () => {
  // Each trained 2 steps of batch 4 on random images and labels (ResNet-18's 2 steps take ~15 s
  // on a software adapter), then 100 images through both.
  const CIFAR = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] };
  const cases = [
    { name: 'mnist-cnn', steps: 2, count: 100, normalization: undefined },
    { name: 'wrn-40-2', steps: 2, count: 100, normalization: CIFAR },
    { name: 'resnet18', steps: 2, count: 100, normalization: undefined },
  ];
  for (const c of cases) {
    it(`${c.name}, trained ${c.steps} steps: ${c.count} images within ${TOLERANCE}${c.normalization ? ', CIFAR normalisation' : ''}`, async () => {
      const classifier = await trainedClassifier(c.name, 3, c.steps, c.normalization);
      try {
        const { difference } = await compare(c.name, classifier, c.name, c.count, { normalization: c.normalization });
        expect(difference).toBeLessThanOrEqual(TOLERANCE);
      } finally {
        classifier.dispose();
      }
    });
  }

  it('normalisation and range: the graph maps [0, 1] images as the training run did (range [0, 255], per-channel mean and std)', async () => {
    const normalization = { mean: [120, 100, 80], std: [60, 70, 50] };
    const range = [0, 255] as const;
    const classifier = await trainedClassifier('mnist-cnn', 4, 2, undefined, 3);
    try {
      const sample = [3, 28, 28] as const;
      const shape: BatchShape = [20, ...sample];
      const input = images(20, sample, 9);
      // espgpu is given the values in the training range, ONNX Runtime the [0, 1] images.
      const inRange = Float32Array.from(input, (v) => v * 255);
      const g = gpu();
      const x = g.upload(networkInput('test', inRange, shape, { normalization, range }), shape);
      const logits = await classifier.predict(x);
      const ours = await g.read(logits);
      g.release(x, logits);
      // Taken from the classifier's inputs, as a Trainer sets them.
      classifier.inputs = { normalization, range };
      const bytes = await exportOnnx(g, classifier, { inputShape: sample });
      const theirs = await onnxLogits(bytes, input, shape);
      const difference = maxAbsDifference(ours, theirs);
      console.log(`normalisation and range: 20 images, max |Δ logits| ${difference.toExponential(2)} (max |logit| ${maxAbs(ours).toFixed(3)})`);
      expect(maxAbs(ours)).toBeGreaterThan(0.1);
      expect(difference).toBeLessThanOrEqual(TOLERANCE);

      const model = decodeOnnxModel(bytes);
      expect(model.graph.node.slice(0, 2).map((n) => [n.op_type, n.input])).toEqual([
        ['Sub', ['input', 'input.mean']],
        ['Div', ['input.centered', 'input.std']],
      ]);
      const constant = (name: string) => initializerValues(model.graph.initializer.find((t) => t.name === name)!);
      expect(constant('input.mean')).toEqual(Float32Array.from([120, 100, 80], (m) => m / 255));
      expect(constant('input.std')).toEqual(Float32Array.from([60, 70, 50], (s) => s / 255));
      const metadata = Object.fromEntries(model.metadata_props.map((p) => [p.key, p.value]));
      expect(JSON.parse(metadata.normalization!)).toEqual(normalization);
      expect(JSON.parse(metadata.training_range!)).toEqual([0, 255]);
      // An explicit option wins over the classifier's inputs; the identity needs no node.
      const plain = decodeOnnxModel(await exportOnnx(g, classifier, { inputShape: sample, normalization: { mean: [0, 0, 0], std: [1, 1, 1] }, range: [0, 1] }));
      expect(plain.graph.node[0]!.op_type).toBe('Conv');
      expect(plain.graph.node[0]!.input[0]).toBe('input');
    } finally {
      classifier.dispose();
    }
  });
});

const initialGraphs = new Map<string, ReturnType<typeof buildInitialGraph>>();

/** The graph of `name` with its initial weights, built without a GPU (once per model: ResNet-18 draws 11M values). */
function initialGraph(name: string) {
  if (!initialGraphs.has(name)) initialGraphs.set(name, buildInitialGraph(name));
  return initialGraphs.get(name)!;
}

function buildInitialGraph(name: string, options: Partial<OnnxExportOptions> = {}) {
  const model = createModel(name, { seed: 1 });
  const parameters = new Map(model.parameters.map((p) => [p.name, p.init()]));
  const state = new Map(model.state.map((s) => [s.name, s.init()]));
  const bytes = onnxFromWeights(model, { parameters, state }, { inputShape: modelDefinition(name).inputShape, name, ...options });
  return { model, parameters, state, bytes, decoded: decodeOnnxModel(bytes) };
}

function opCounts(decoded: ReturnType<typeof decodeOnnxModel>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of decoded.graph.node) counts[node.op_type] = (counts[node.op_type] ?? 0) + 1;
  return counts;
}

describe('the file', () => {
  it('is opset 17, IR version 8, with `input` [N, C, H, W] and `logits` [N, classes], N dynamic', () => {
    const { decoded } = initialGraph('wrn-40-2');
    expect(decoded.ir_version).toBe(8);
    expect(decoded.opset_import).toEqual([{ domain: '', version: ONNX_OPSET }]);
    expect(ONNX_OPSET).toBe(17);
    expect(decoded.producer_name).toBe('espgpu');
    const dims = (v: (typeof decoded.graph.input)[number]) => v.type.tensor_type.shape.dim.map((d) => d.dim_param ?? d.dim_value);
    expect(decoded.graph.input.map((v) => [v.name, v.type.tensor_type.elem_type, dims(v)])).toEqual([['input', 1, ['N', 3, 32, 32]]]);
    expect(decoded.graph.output.map((v) => [v.name, v.type.tensor_type.elem_type, dims(v)])).toEqual([['logits', 1, ['N', 10]]]);
    expect(decoded.graph.node.at(-1)).toMatchObject({ op_type: 'Gemm', name: 'fc', output: ['logits'] });
  });

  it('holds every parameter and batch-norm statistic once, under its checkpoint name, bit for bit', () => {
    for (const name of ['mnist-cnn', 'wrn-40-2', 'resnet18']) {
      const { parameters, state, decoded } = initialGraph(name);
      const expected = new Map([...parameters, ...state]);
      expect(decoded.graph.initializer.map((t) => t.name).sort()).toEqual([...expected.keys()].sort());
      for (const t of decoded.graph.initializer) {
        expect(t.data_type, t.name).toBe(1);
        // Compared as bytes: toEqual on millions of floats takes minutes.
        const bytes = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);
        expect(bytes(initializerValues(t)).equals(bytes(expected.get(t.name)!)), t.name).toBe(true);
      }
    }
  });

  it('maps each layer to its operators', () => {
    // MNIST CNN: 4 convolutions, 6 ReLUs, 2 max-pools, flatten, 3 linears, dropout as Identity.
    expect(opCounts(initialGraph('mnist-cnn').decoded)).toEqual({ Conv: 4, Relu: 6, MaxPool: 2, Flatten: 1, Gemm: 3, Identity: 1 });
    // WRN-40-2: stem + 18 blocks × 2 + 3 projections; 18 × 2 + 1 BN, each with its ReLU; 18 joins.
    expect(opCounts(initialGraph('wrn-40-2').decoded)).toEqual({ Conv: 40, BatchNormalization: 37, Relu: 37, Add: 18, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    // ResNet-18: stem + 8 blocks × 2 + 3 projections, a BN after each; ReLU after the stem BN, each bn1 and each join.
    expect(opCounts(initialGraph('resnet18').decoded)).toEqual({ Conv: 20, BatchNormalization: 20, Relu: 17, Add: 8, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    const nodes = initialGraph('resnet18').decoded.graph.node;
    // AttributeProto.type: 1 FLOAT, 2 INT, 7 INTS.
    const value = (a: (typeof nodes)[number]['attribute'][number]) => (a.type === 7 ? a.ints : a.type === 2 ? a.i : a.f);
    const attributes = (name: string) => Object.fromEntries(nodes.find((n) => n.name === name)!.attribute.map((a) => [a.name, value(a)]));
    expect(attributes('conv1')).toEqual({ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 });
    expect(attributes('layer2.0.shortcut.0')).toEqual({ kernel_shape: [1, 1], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 });
    expect(attributes('bn1').epsilon).toBeCloseTo(1e-5, 10);
    expect(nodes.find((n) => n.name === 'layer2.0.join')).toMatchObject({ op_type: 'Add', input: ['layer2.0.bn2', 'layer2.0.shortcut.1'] });
    expect(nodes.find((n) => n.name === 'layer1.0.join')).toMatchObject({ op_type: 'Add', input: ['layer1.0.bn2', 'bn1.relu'] });
  });

  it('refuses a layer it has no mapping for, missing weights, and a normalisation of the wrong size', () => {
    const model = createModel('mnist-cnn', { seed: 1 });
    const parameters = new Map(model.parameters.map((p) => [p.name, p.init()]));
    const options = { inputShape: [1, 28, 28] as const };
    class Mystery extends Sequential {}
    const odd = { name: 'mystery', parameters: [], state: [], outputShape: (s: readonly number[]) => [...s], forward: async () => { throw new Error(); }, backward: async () => undefined };
    expect(() => onnxFromWeights(new Mystery([odd, ...model.layers]), { parameters, state: new Map() }, options)).toThrow(/layer mystery \(Object\) has no ONNX mapping/);
    parameters.delete('fc2.bias');
    expect(() => onnxFromWeights(model, { parameters, state: new Map() }, options)).toThrow(/no weights for fc2.bias/);
    parameters.set('fc2.bias', new Float32Array(3));
    expect(() => onnxFromWeights(model, { parameters, state: new Map() }, options)).toThrow(/fc2.bias has 3 values, its shape \[200\] needs 200/);
    expect(() => buildInitialGraph('wrn-40-2', { normalization: { mean: [0.5], std: [0.5] } })).toThrow(/normalization must be a finite mean and a finite std > 0 for each of the 3 channels/);
    expect(() => buildInitialGraph('wrn-40-2', { inputShape: [1, 32, 32] as const })).toThrow(/expects 3 input channels/);
  });

  it('OnnxGraph: unique value names, and inputs must be defined first', () => {
    const graph = new OnnxGraph('g');
    graph.input('input', ['N', 4]);
    expect(graph.node('Relu', ['input'], 'relu')).toBe('relu');
    expect(graph.node('Relu', ['relu'], 'relu')).toBe('relu_1');
    expect(() => graph.node('Relu', ['nothing'], 'x')).toThrow(/reads nothing, which nothing defines/);
    expect(() => graph.initializer('relu', [1], new Float32Array(1))).toThrow(/name relu is taken/);
    graph.output(graph.rename('relu_1', 'out'), ['N', 4]);
    expect(decodeOnnxModel(encodeOnnxModel(graph)).graph.node.map((n) => n.output[0])).toEqual(['relu', 'out']);
    expect(inputAffine('t', 2, undefined)).toBeUndefined();
    expect(inputAffine('t', 1, { mean: [0.5], std: [2] }, [-1, 1])).toEqual({ mean: Float32Array.of(0.75), std: Float32Array.of(1) });
  });
});
