// The two benchmark models of ALGORITHMS.md §5.1 (MNIST "SmallCNN") and §5.2 (WRN-40-2) built
// with @tensorflow/tfjs-layers, so the peer benchmarks train exactly what espgpu trains.
// tfjs layers are channels-last (NHWC): inputs are [N, 28, 28, 1] and [N, 32, 32, 3]. The one
// consequence is the MNIST CNN's Flatten, which reads (H, W, C) rather than (C, H, W): the same
// model up to a fixed permutation of the first Linear layer's input rows, so neither cost nor
// capacity changes. Initialisation follows the spec (PyTorch's distributions, untruncated).
import * as tfl from '@tensorflow/tfjs-layers';

export type PeerModelName = 'mnist-cnn' | 'wrn-40-2';

export const peerModelNames: readonly PeerModelName[] = ['mnist-cnn', 'wrn-40-2'];

/** Input shape of one image, channels last, as tfjs layers want it. */
export function peerInputShape(name: PeerModelName): [number, number, number] {
  return name === 'mnist-cnn' ? [28, 28, 1] : [32, 32, 3];
}

export function buildPeerModel(name: PeerModelName, classes = 10): tfl.LayersModel {
  if (name === 'mnist-cnn') return mnistCnn(classes);
  if (name === 'wrn-40-2') return wideResNet(40, 2, classes);
  throw new Error(`model must be one of ${peerModelNames.join(', ')}; got "${name as string}"`);
}

/** Trainable parameters only (BatchNorm's running statistics are buffers, as in PyTorch). */
export function countTrainableParameters(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.read().size, 0);
}

const normal = (stddev: number) => tfl.initializers.randomNormal({ mean: 0, stddev });
const uniform = (limit: number) => tfl.initializers.randomUniform({ minval: -limit, maxval: limit });
const zeros = () => tfl.initializers.zeros();

/** Conv with bias, stride 1, no padding, ReLU; Kaiming-normal (fan_in, gain √2) weights. */
function smallCnnConv(inChannels: number, filters: number): tfl.layers.Layer {
  return tfl.layers.conv2d({
    filters, kernelSize: 3, activation: 'relu',
    kernelInitializer: normal(Math.sqrt(2 / (9 * inChannels))), biasInitializer: zeros(),
  });
}

/** Linear with PyTorch's default U(±1/√fan_in) for weights and bias. */
function torchDefaultDense(inFeatures: number, units: number, activation?: 'relu'): tfl.layers.Layer {
  const limit = 1 / Math.sqrt(inFeatures);
  return tfl.layers.dense({ units, activation, kernelInitializer: uniform(limit), biasInitializer: uniform(limit) });
}

/** §5.1: Rony et al.'s SmallCNN, 312,202 parameters for 10 classes. */
export function mnistCnn(classes = 10): tfl.LayersModel {
  return tfl.sequential({
    name: 'mnist_cnn',
    layers: [
      tfl.layers.inputLayer({ inputShape: peerInputShape('mnist-cnn') }),
      smallCnnConv(1, 32),
      smallCnnConv(32, 32),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      smallCnnConv(32, 64),
      smallCnnConv(64, 64),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.flatten(),
      torchDefaultDense(1024, 200, 'relu'),
      tfl.layers.dropout({ rate: 0.5 }),
      torchDefaultDense(200, 200, 'relu'),
      // The last layer starts at zero, weights and bias.
      tfl.layers.dense({ units: classes, kernelInitializer: zeros(), biasInitializer: zeros() }),
    ],
  });
}

type SymbolicTensor = tfl.SymbolicTensor;

/** Bias-free conv, N(0, √(2/(k·k·out))) weights. Stride 2 pads 1 on every side explicitly:
 *  tfjs 'same' would pad only bottom/right and sample different pixels than PyTorch. */
function wrnConv(x: SymbolicTensor, filters: number, kernelSize: 1 | 3, strides: 1 | 2): SymbolicTensor {
  const kernelInitializer = normal(Math.sqrt(2 / (kernelSize * kernelSize * filters)));
  let input = x;
  let padding: 'same' | 'valid' = kernelSize === 3 ? 'same' : 'valid';
  if (kernelSize === 3 && strides === 2) {
    input = tfl.layers.zeroPadding2d({ padding: 1 }).apply(x) as SymbolicTensor;
    padding = 'valid';
  }
  return tfl.layers.conv2d({ filters, kernelSize, strides, padding, useBias: false, kernelInitializer }).apply(input) as SymbolicTensor;
}

/** BatchNorm with PyTorch's defaults (momentum 0.1 is tfjs's 0.9 decay, eps 1e-5), then ReLU. */
function bnRelu(x: SymbolicTensor): SymbolicTensor {
  const bn = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x);
  return tfl.layers.reLU().apply(bn) as SymbolicTensor;
}

/** Pre-activation basic block; when widths differ the 1×1 shortcut takes the activated input. */
function wrnBlock(x: SymbolicTensor, inChannels: number, outChannels: number, strides: 1 | 2): SymbolicTensor {
  const a = bnRelu(x);
  const h = wrnConv(bnRelu(wrnConv(a, outChannels, 3, strides)), outChannels, 3, 1);
  const shortcut = inChannels === outChannels ? x : wrnConv(a, outChannels, 1, strides);
  return tfl.layers.add().apply([shortcut, h]) as SymbolicTensor;
}

/** §5.2: WRN-depth-widen (pre-activation), 2,243,546 parameters for WRN-40-2 with 10 classes. */
export function wideResNet(depth: number, widen: number, classes = 10): tfl.LayersModel {
  if ((depth - 4) % 6 !== 0) throw new Error(`depth must be 6n + 4; got ${depth}`);
  const blocksPerGroup = (depth - 4) / 6;
  const widths = [16, 16 * widen, 32 * widen, 64 * widen];
  const input = tfl.input({ shape: peerInputShape('wrn-40-2') });
  let x = wrnConv(input, widths[0]!, 3, 1);
  for (let group = 0; group < 3; group++) {
    for (let block = 0; block < blocksPerGroup; block++) {
      const first = block === 0;
      const inChannels = first ? widths[group]! : widths[group + 1]!;
      x = wrnBlock(x, inChannels, widths[group + 1]!, first && group > 0 ? 2 : 1);
    }
  }
  x = tfl.layers.averagePooling2d({ poolSize: 8 }).apply(bnRelu(x)) as SymbolicTensor;
  x = tfl.layers.flatten().apply(x) as SymbolicTensor;
  const inFeatures = widths[3]!;
  const logits = tfl.layers
    .dense({ units: classes, kernelInitializer: uniform(1 / Math.sqrt(inFeatures)), biasInitializer: zeros() })
    .apply(x) as SymbolicTensor;
  return tfl.model({ name: `wrn_${depth}_${widen}`, inputs: input, outputs: logits });
}
