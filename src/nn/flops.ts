// FLOPs of one training step, counted from the architecture: the multiply-adds (2 FLOPs
// each) of the convolutions and linear layers, forward, backward-data and backward-weight.
// Everything else (bias, batch norm, ReLU, pooling, dropout, residual sums, the loss, SGD) is
// O(elements) rather than O(elements × fan-in) and is left out of the count:
// `nonGemmFlopsEstimate` puts it at 0.44% of the step's FLOPs for the MNIST CNN, 0.75% for
// WRN-40-2 and 0.40% for ResNet-18 (test/nn/flops.test.ts checks < 1%). Those ops cost far
// more time than FLOPs, being memory-bound: bench/train.ts --profile measures that.
// Shapes come from walking the layer list with the input shape (layers only know their
// output shape given an input), and the backward follows Sequential.backward's rule: a
// model's first layer with parameters computes no input gradient, nothing before it runs
// backward at all.
import { ReLU } from './activations.ts';
import { BatchNorm } from './batchnorm.ts';
import { Conv2d } from './conv2d.ts';
import { Dropout } from './dropout.ts';
import { Flatten } from './flatten.ts';
import type { Layer } from './layer.ts';
import { Linear } from './linear.ts';
import { AvgPool2d, GlobalAvgPool, MaxPool2d } from './pooling.ts';
import { Residual } from './residual.ts';
import { Sequential } from './sequential.ts';

/** FLOPs (2 per multiply-add) of the convolutions and linear layers of one training step. */
export interface StepFlops {
  forward: number;
  /** Input gradients; the first layer with parameters computes none. */
  backwardData: number;
  /** Weight gradients: as many as the forward. */
  backwardWeight: number;
  /** forward + backwardData + backwardWeight */
  total: number;
}

/**
 * GEMM FLOPs of one training step of `model` on a batch of shape `input` ([B, C, H, W]):
 * forward, loss gradient, backward (as the Classifier runs it: no gradient for the input).
 */
export function trainingStepFlops(model: Layer, input: readonly number[]): StepFlops {
  const tally = { forward: 0, backwardData: 0, backwardWeight: 0 };
  walk(model, checkedInput(input), { inputGrad: false, backward: true }, (layer, _input, outShape, pass) => {
    const flops = 2 * multiplyAdds(layer, outShape);
    tally.forward += flops;
    if (pass.backward) tally.backwardWeight += flops;
    if (pass.inputGrad) tally.backwardData += flops;
  });
  return { ...tally, total: tally.forward + tally.backwardData + tally.backwardWeight };
}

/**
 * An upper-end estimate of the FLOPs `trainingStepFlops` leaves out: per element, the
 * arithmetic each op does forward and backward (NON_GEMM_COST), plus the loss over the logits
 * and the SGD update over the parameters. Dropout's Philox draws are integer work, not counted.
 */
export function nonGemmFlopsEstimate(model: Layer, input: readonly number[]): number {
  let flops = 0;
  const shape = checkedInput(input);
  const logits = walk(model, shape, { inputGrad: false, backward: true }, (layer, inShape, outShape, pass) => {
    const cost = costOf(layer);
    const elements = size(cost.per === 'input' ? inShape : outShape);
    flops += elements * cost.forward;
    if (pass.backward) flops += elements * cost.backward;
    // A biased layer adds the bias forward and sums dy over the batch for its gradient.
    if ((layer instanceof Conv2d && layer.bias) || layer instanceof Linear) flops += size(outShape) * (pass.backward ? 2 : 1);
  });
  const parameters = model.parameters.reduce((n, p) => n + p.size, 0);
  return flops + size(logits) * SOFTMAX_XENT_PER_LOGIT + parameters * SGD_PER_PARAMETER;
}

interface Pass {
  /** The layer's backward computes its input gradient. */
  inputGrad: boolean;
  /** The layer's backward runs at all. */
  backward: boolean;
}

type Visit = (layer: Layer, input: readonly number[], output: readonly number[], pass: Pass) => void;

/** Visits every leaf layer with its input and output shapes; returns the model's output shape. */
function walk(layer: Layer, input: readonly number[], pass: Pass, visit: Visit): readonly number[] {
  if (layer instanceof Sequential) return walkSequential(layer, input, pass, visit);
  if (layer instanceof Residual) {
    walk(layer.main, input, pass, visit);
    if (layer.shortcut) walk(layer.shortcut, input, pass, visit);
    const output = layer.outputShape(input);
    // The join: the sum forward, and the two paths' input gradients summed backward.
    visit(layer, input, output, pass);
    return output;
  }
  const output = layer.outputShape(input);
  visit(layer, input, output, pass);
  return output;
}

/** Sequential.backward's rule: without an input gradient, only layers from the first with parameters on run backward, and that one computes no dx. */
function walkSequential(sequential: Sequential, input: readonly number[], pass: Pass, visit: Visit): readonly number[] {
  const { layers } = sequential;
  const first = pass.inputGrad ? 0 : Math.max(0, layers.findIndex((l) => l.parameters.length > 0));
  let shape = input;
  layers.forEach((layer, i) => {
    const backward = pass.backward && i >= first;
    shape = walk(layer, shape, { backward, inputGrad: backward && (pass.inputGrad || i > first) }, visit);
  });
  return shape;
}

function multiplyAdds(layer: Layer, output: readonly number[]): number {
  // Each output value is a dot product over the weight's fan-in (padding included, as every FLOP count does).
  if (layer instanceof Conv2d) return size(output) * size(layer.weight.shape.slice(1));
  if (layer instanceof Linear) return size(output) * layer.inFeatures;
  // A Residual's parameters are its paths', visited on their own.
  if (layer.parameters.length > 0 && !(layer instanceof BatchNorm || layer instanceof Residual)) {
    throw new Error(`trainingStepFlops: layer ${layer.name} has parameters but is neither Conv2d, Linear nor BatchNorm; its FLOPs are not known`);
  }
  return 0;
}

/** FLOPs per element (of the op's input or output) forward and backward, counted generously. */
interface ElementCost {
  per: 'input' | 'output';
  forward: number;
  backward: number;
}

const NONE: ElementCost = { per: 'output', forward: 0, backward: 0 };

const NON_GEMM_COST: [new (...args: never[]) => Layer, ElementCost][] = [
  [ReLU, { per: 'output', forward: 1, backward: 1 }],
  // Training forward: mean (1), variance (3), normalise and scale-shift (4); backward: Σdy and
  // Σdy·x̂ with x̂ recomputed (4), then dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) (6).
  [BatchNorm, { per: 'output', forward: 8, backward: 10 }],
  [MaxPool2d, { per: 'input', forward: 1, backward: 1 }],
  [AvgPool2d, { per: 'input', forward: 1, backward: 1 }],
  [GlobalAvgPool, { per: 'input', forward: 1, backward: 1 }],
  [Dropout, { per: 'output', forward: 2, backward: 1 }],
  [Residual, { per: 'output', forward: 1, backward: 1 }],
  [Flatten, NONE],
  [Conv2d, NONE],
  [Linear, NONE],
];

/** Max, exp, sum, log and the gradient softmax − target, per logit. */
const SOFTMAX_XENT_PER_LOGIT = 15;
/** Weight decay, momentum and the update: a multiply-add each. */
const SGD_PER_PARAMETER = 6;

function costOf(layer: Layer): ElementCost {
  const entry = NON_GEMM_COST.find(([type]) => layer instanceof type);
  if (!entry) throw new Error(`nonGemmFlopsEstimate: no per-element cost for layer ${layer.name}`);
  return entry[1];
}

function checkedInput(input: readonly number[]): readonly number[] {
  if (input.length !== 4 || !input.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`input must be a shape [B, C, H, W] of positive integers, got [${input.join(', ')}]`);
  }
  return input;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
