// The models by name (ALGORITHMS.md §4): what each expects and how to build it, and the
// ModelSpec — plain data naming a model and its sizes — that the worker and RunSpec build from.
import { MAX_CLASSES } from '../../data/imageDataset.ts';
import { checkInteger, checkObject, checkOneOf, fail } from '../../validate.ts';
import type { Parameter } from '../parameters.ts';
import type { Sequential } from '../sequential.ts';
import { mlp } from './mlp.ts';
import { mnistCnn } from './mnistCnn.ts';
import { resnet18 } from './resnet18.ts';
import { wrn40x2 } from './wrn.ts';

export interface ModelOptions {
  seed: number;
  classes?: number;
}

export interface ModelDefinition {
  /** One input sample, [C, H, W]. */
  inputShape: readonly [number, number, number];
  /** Classes of the dataset the paper trains it on. */
  classes: number;
  create(options: ModelOptions): Sequential;
}

export const MODELS = {
  'mnist-cnn': { inputShape: [1, 28, 28], classes: 10, create: ({ seed, classes }) => mnistCnn({ seed, classes }) },
  'wrn-40-2': { inputShape: [3, 32, 32], classes: 10, create: ({ seed, classes }) => wrn40x2({ seed, classes }) },
  resnet18: { inputShape: [3, 64, 64], classes: 200, create: ({ seed, classes }) => resnet18({ seed, classes }) },
} as const satisfies Record<string, ModelDefinition>;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

export function modelDefinition(name: string): ModelDefinition {
  return MODELS[checkOneOf('model', 'name', name, MODEL_NAMES)];
}

/** Builds a model (nothing is allocated until a ParameterStore takes its parameters). */
export function createModel(name: string, options: ModelOptions): Sequential {
  const definition = modelDefinition(name);
  return definition.create({ ...options, classes: options.classes ?? definition.classes });
}

/** Trainable scalars, without the flat buffer's alignment padding. */
export function parameterCount(model: { readonly parameters: readonly Parameter[] }): number {
  return model.parameters.reduce((n, p) => n + p.size, 0);
}

/** A model as data: a multilayer perceptron of any widths, or one of the paper's models. */
export type ModelSpec =
  | { kind: 'mlp'; inputs: number; hidden: readonly number[]; classes: number }
  | { kind: 'mnist-cnn'; classes?: number; inChannels?: number }
  | { kind: 'wrn-40-2' | 'resnet18'; classes?: number };

export const MODEL_KINDS = ['mlp', ...MODEL_NAMES] as const;

/** What a built model takes and gives. */
export interface ModelShape {
  kind: ModelSpec['kind'];
  classes: number;
  /** Values of one input sample (C·H·W). */
  inputSize: number;
  /** [C, H, W] where the model needs exactly that image shape (the CNNs). */
  inputShape?: readonly [number, number, number];
}

/** Checks `spec` field by field and builds the model, its weights drawn from `seed`. */
export function buildModel(spec: ModelSpec, seed: number, where = 'model'): { net: Sequential; shape: ModelShape } {
  checkObject(where, 'spec', spec);
  const kind = checkOneOf(where, 'spec.kind', spec.kind, MODEL_KINDS);
  const classesOf = (value: unknown) => checkInteger(where, 'spec.classes', value, { min: 2, max: MAX_CLASSES });
  if (spec.kind === 'mlp') {
    const inputs = checkInteger(where, 'spec.inputs', spec.inputs, { min: 1 });
    if (!Array.isArray(spec.hidden)) fail(where, 'spec.hidden', 'an array of layer widths', spec.hidden);
    spec.hidden.forEach((h, i) => checkInteger(where, `spec.hidden[${i}]`, h, { min: 1 }));
    const classes = classesOf(spec.classes);
    return { net: mlp({ seed, inputs, hidden: spec.hidden, classes }), shape: { kind: 'mlp', classes, inputSize: inputs } };
  }
  const definition = MODELS[kind as ModelName];
  const classes = classesOf(spec.classes ?? definition.classes);
  const [c, h, w] = definition.inputShape;
  const channels = spec.kind === 'mnist-cnn' ? checkInteger(where, 'spec.inChannels', spec.inChannels ?? c, { min: 1 }) : c;
  const net = spec.kind === 'mnist-cnn' ? mnistCnn({ seed, classes, inChannels: channels }) : definition.create({ seed, classes });
  return { net, shape: { kind, classes, inputSize: channels * h * w, inputShape: [channels, h, w] } };
}
