// A multilayer perceptron: Flatten, then Linear + ReLU per hidden width, then a Linear to the
// classes. The worker's toy model (the spiral of Figure 1 trains one).
import { ReLU } from '../activations.ts';
import { Flatten } from '../flatten.ts';
import { initContexts } from '../init.ts';
import type { Layer } from '../layer.ts';
import { Linear } from '../linear.ts';
import { Sequential } from '../sequential.ts';

export interface MlpOptions {
  seed: number;
  /** Values of one input sample. */
  inputs: number;
  hidden: readonly number[];
  classes: number;
}

export function mlp({ seed, inputs, hidden, classes }: MlpOptions): Sequential {
  const layers: Layer[] = [new Flatten('flatten')];
  let width = inputs;
  hidden.forEach((h, i) => {
    layers.push(new Linear(`fc${i + 1}`, width, h, initContexts(seed, i)), new ReLU(`relu${i + 1}`));
    width = h;
  });
  layers.push(new Linear(`fc${hidden.length + 1}`, width, classes, initContexts(seed, hidden.length)));
  return new Sequential(layers, 'mlp');
}
