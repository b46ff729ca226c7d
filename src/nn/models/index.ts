// The paper's models by name (ALGORITHMS.md §4): what each expects and how to build it.
import type { Parameter } from '../parameters.ts';
import type { Sequential } from '../sequential.ts';
import { mnistCnn } from './mnistCnn.ts';
import { resnet18 } from './resnet18.ts';
import { wrn40x2 } from './wrn.ts';

export interface ModelOptions {
  seed: number;
  classes?: number;
}

export interface ModelSpec {
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
} as const satisfies Record<string, ModelSpec>;

export type ModelName = keyof typeof MODELS;

export function modelSpec(name: string): ModelSpec {
  if (!Object.hasOwn(MODELS, name)) throw new Error(`Unknown model "${name}": expected one of ${Object.keys(MODELS).join(', ')}`);
  return MODELS[name as ModelName];
}

/** Builds a model (nothing is allocated until a ParameterStore takes its parameters). */
export function createModel(name: string, options: ModelOptions): Sequential {
  const spec = modelSpec(name);
  return spec.create({ ...options, classes: options.classes ?? spec.classes });
}

/** Trainable scalars, without the flat buffer's alignment padding. */
export function parameterCount(model: { readonly parameters: readonly Parameter[] }): number {
  return model.parameters.reduce((n, p) => n + p.size, 0);
}
