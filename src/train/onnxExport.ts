// A trained classifier as an ONNX inference graph: each layer of its Sequential becomes the
// ONNX operators that compute what its evaluation-mode forward computes, its weights and
// batch-norm statistics become float32 initializers named as in the checkpoint (the
// reference state-dict keys), and the input normalisation of the training run is the graph's
// first two nodes. io/onnx.ts builds and encodes the graph.
//
// Layer → ONNX (opset 17):
//   Conv2d         Conv (kernel_shape, strides, pads, dilations 1, group 1; B when it has a bias)
//   BatchNorm      BatchNormalization (inference: scale, B, running mean and var, epsilon), then
//                  Relu when the layer fuses one. Not folded into the convolution before it: the
//                  file keeps the checkpoint's tensors as they are (WRN's pre-activation BNs follow
//                  an Add, not a Conv, anyway); runtimes such as ONNX Runtime fold it themselves.
//   Linear         Gemm (transB = 1: W is [out, in] as in PyTorch)
//   ReLU           Relu
//   MaxPool2d      MaxPool (kernel_shape, strides, pads; padding is −∞ in both)
//   AvgPool2d      AveragePool (count_include_pad = 1, as pool.wgsl divides by kH·kW)
//   GlobalAvgPool  GlobalAveragePool, then Flatten (axis 1): [N, C, 1, 1] → [N, C] as espgpu's
//   Flatten        Flatten (axis 1)
//   Dropout        Identity (evaluation mode)
//   Residual       both paths from the same value, then Add
//   Sequential     its layers in order (no node of its own)
import type { AugmentationOptions } from '../augment/pipeline.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { encodeOnnxModel, inputAffine, OnnxGraph, type OnnxAttribute } from '../io/onnx.ts';
import { pairOf, type Size2 } from '../kernels/checks.ts';
import { ReLU } from '../nn/activations.ts';
import { BatchNorm } from '../nn/batchnorm.ts';
import { Conv2d } from '../nn/conv2d.ts';
import { Dropout } from '../nn/dropout.ts';
import { Flatten } from '../nn/flatten.ts';
import type { Layer } from '../nn/layer.ts';
import { Linear } from '../nn/linear.ts';
import { AvgPool2d, GlobalAvgPool, MaxPool2d } from '../nn/pooling.ts';
import { Residual } from '../nn/residual.ts';
import { Sequential } from '../nn/sequential.ts';
import { checkInteger, fail } from '../validate.ts';
import type { Classifier } from './classifier.ts';
import { readWeights, type NamedWeights } from './weights.ts';

export interface OnnxExportOptions {
  /** One image, [C, H, W]: the shape the model was trained on (modelDefinition(name).inputShape, or the dataset's). */
  inputShape: readonly [number, number, number];
  /**
   * The training run's per-channel normalisation (a checkpoint's settings.augmentation.normalization).
   * exportOnnx defaults to the classifier's `inputs.normalization`; none at all: mean 0, std 1.
   */
  normalization?: AugmentationOptions['normalization'];
  /** The training run's value range (settings.augmentation.range); exportOnnx defaults to `inputs.range`, else [0, 1]. */
  range?: AugmentationOptions['range'];
  /** The graph's name and the `model` metadata entry, e.g. "wrn-40-2". */
  name?: string;
  /** ModelProto.producer_version (e.g. package.json's version). */
  producerVersion?: string;
  /** More ModelProto.metadata_props entries (e.g. the checkpoint's seed or step). */
  metadata?: Record<string, string>;
}

/** The graph's input and output names. */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';

/**
 * The classifier's inference graph as an ONNX file (ModelProto bytes, IR version 8, opset 17),
 * with the weights and batch-norm running statistics read from the GPU now.
 *
 * Input `input`: float32 [N, C, H, W] images with values in [0, 1], N dynamic. The graph first
 * maps them as the training run did — x' = lo + (hi − lo)·x for the run's `range` [lo, hi],
 * then (x' − mean)/std per channel with `normalization` — as one Sub and one Div by [1, C, 1, 1]
 * constants, (x − (mean − lo)/(hi − lo)) / (std/(hi − lo)); with range [0, 1], mean 0 and std 1
 * there are no such nodes. So the file takes plain images, where espgpu's `predict` takes the
 * normalised tensor. Output `logits`: float32 [N, classes], before softmax. Layer by layer see
 * the mapping at the top of this file. The metadata records the normalisation and range.
 * `normalization` and `range` default to the classifier's `inputs` (what a Trainer set).
 */
export async function exportOnnx(gpu: Gpu, classifier: Classifier, options: OnnxExportOptions): Promise<Uint8Array> {
  const weights = await readWeights(gpu, classifier.store);
  const { normalization = classifier.inputs.normalization, range = classifier.inputs.range } = options;
  return onnxFromWeights(classifier.model, weights, { ...options, normalization, range });
}

/**
 * exportOnnx without a GPU: the graph of `model` with weights by name, e.g. a checkpoint's
 * decodeTrainingCheckpoint(…) and the Sequential createModel(…) builds for it.
 */
export function onnxFromWeights(model: Sequential, weights: Pick<NamedWeights, 'parameters' | 'state'>, options: OnnxExportOptions): Uint8Array {
  const where = 'exportOnnx';
  const { inputShape } = options;
  if (!Array.isArray(inputShape) || inputShape.length !== 3) fail(where, 'inputShape', '[C, H, W]', inputShape);
  inputShape.forEach((d, i) => checkInteger(where, `inputShape[${i}]`, d, { min: 1 }));
  const outputShape = model.outputShape([1, ...inputShape]);
  if (outputShape.length !== 2) throw new Error(`${where}: the model gives [${outputShape.join(', ')}] for one image, not [1, classes]`);
  const classes = outputShape[1]!;
  const [channels, height, width] = inputShape;
  const affine = inputAffine(where, channels, options.normalization, options.range);

  const name = options.name ?? model.name;
  const graph = new OnnxGraph(name);
  let x = graph.input(ONNX_INPUT, ['N', channels, height, width]);
  if (affine) {
    const mean = graph.initializer('input.mean', [1, channels, 1, 1], affine.mean);
    const std = graph.initializer('input.std', [1, channels, 1, 1], affine.std);
    x = graph.node('Div', [graph.node('Sub', [x, mean], 'input.centered'), std], 'input.normalized');
  }
  const emitter = new LayerEmitter(graph, weights);
  const last = emitter.emit(model, x);
  // The last layer's node writes `logits` itself (an Identity only for a model of no layers).
  const produced = graph.nodes.some((n) => n.outputs.includes(last));
  const logits = produced ? graph.rename(last, ONNX_OUTPUT) : graph.node('Identity', [last], ONNX_OUTPUT);
  graph.output(logits, ['N', classes]);

  const normalization = options.normalization ?? { mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  const range = options.range ?? [0, 1];
  return encodeOnnxModel(graph, {
    producerVersion: options.producerVersion,
    docString:
      `${name}: images [N, ${channels}, ${height}, ${width}] with values in [0, 1] → logits [N, ${classes}]. ` +
      `The graph maps the input to the training range [${range.join(', ')}] and normalises it per channel with ` +
      `mean [${normalization.mean.join(', ')}] and std [${normalization.std.join(', ')}].`,
    metadata: {
      model: name,
      input_range: '[0, 1]',
      training_range: JSON.stringify(range),
      normalization: JSON.stringify({ mean: normalization.mean, std: normalization.std }),
      ...options.metadata,
    },
  });
}

/** Walks the layers, appending their nodes; each call returns the value the layer produces. */
class LayerEmitter {
  constructor(
    private readonly graph: OnnxGraph,
    private readonly weights: Pick<NamedWeights, 'parameters' | 'state'>,
  ) {}

  emit(layer: Layer, x: string): string {
    const g = this.graph;
    if (layer instanceof Sequential) return layer.layers.reduce((value, inner) => this.emit(inner, value), x);
    if (layer instanceof Residual) {
      const main = this.emit(layer.main, x);
      const shortcut = layer.shortcut ? this.emit(layer.shortcut, x) : x;
      return g.node('Add', [main, shortcut], layer.name);
    }
    if (layer instanceof Conv2d) {
      const [, , kh, kw] = layer.weight.shape as [number, number, number, number];
      const [sh, sw] = pairOf(layer.name, 'stride', layer.geometry.stride ?? 1, 1);
      const [ph, pw] = pairOf(layer.name, 'padding', layer.geometry.padding ?? 0, 0);
      const inputs = [x, this.tensor(layer.weight)];
      if (layer.bias) inputs.push(this.tensor(layer.bias));
      return g.node('Conv', inputs, layer.name, {
        kernel_shape: { ints: [kh, kw] },
        strides: { ints: [sh, sw] },
        pads: { ints: [ph, pw, ph, pw] },
        dilations: { ints: [1, 1] },
        group: { i: 1 },
      });
    }
    if (layer instanceof BatchNorm) {
      const inputs = [x, ...[layer.gamma, layer.beta, layer.runningMean, layer.runningVar].map((t) => this.tensor(t))];
      const y = g.node('BatchNormalization', inputs, layer.name, { epsilon: { f: layer.options.eps ?? 1e-5 } });
      return layer.options.relu ? g.node('Relu', [y], `${layer.name}.relu`) : y;
    }
    if (layer instanceof Linear) {
      return g.node('Gemm', [x, this.tensor(layer.weight), this.tensor(layer.bias)], layer.name, { alpha: { f: 1 }, beta: { f: 1 }, transA: { i: 0 }, transB: { i: 1 } });
    }
    if (layer instanceof ReLU) return g.node('Relu', [x], layer.name);
    if (layer instanceof MaxPool2d) return g.node('MaxPool', [x], layer.name, poolAttributes(layer.name, layer.options));
    if (layer instanceof AvgPool2d) return g.node('AveragePool', [x], layer.name, { ...poolAttributes(layer.name, layer.options), count_include_pad: { i: 1 } });
    if (layer instanceof GlobalAvgPool) return g.node('Flatten', [g.node('GlobalAveragePool', [x], layer.name)], `${layer.name}.flatten`, { axis: { i: 1 } });
    if (layer instanceof Flatten) return g.node('Flatten', [x], layer.name, { axis: { i: 1 } });
    if (layer instanceof Dropout) return g.node('Identity', [x], layer.name);
    throw new Error(`exportOnnx: layer ${layer.name} (${layer.constructor.name}) has no ONNX mapping`);
  }

  /** A parameter or state tensor as an initializer of its own name (added once). */
  private tensor(t: { name: string; shape: readonly number[] }): string {
    const values = this.weights.parameters.get(t.name) ?? this.weights.state.get(t.name);
    if (!values) throw new Error(`exportOnnx: no weights for ${t.name}`);
    const size = t.shape.reduce((n, d) => n * d, 1);
    if (values.length !== size) throw new Error(`exportOnnx: ${t.name} has ${values.length} values, its shape [${t.shape.join(', ')}] needs ${size}`);
    return this.graph.initializer(t.name, t.shape, values);
  }
}

function poolAttributes(name: string, options: { kernel: Size2; stride?: Size2; padding?: Size2 }): Record<string, OnnxAttribute> {
  const kernel = pairOf(name, 'kernel', options.kernel, 1);
  const stride = pairOf(name, 'stride', options.stride ?? kernel, 1);
  const [ph, pw] = pairOf(name, 'padding', options.padding ?? 0, 0);
  return { kernel_shape: { ints: kernel }, strides: { ints: stride }, pads: { ints: [ph, pw, ph, pw] } };
}
