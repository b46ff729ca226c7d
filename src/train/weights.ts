// A model's tensors by name, between the GPU's flat parameter store and a checkpoint: what a
// resumed run restores (weights, momentum, batch-norm state) and what evaluation loads.
import type { Gpu } from '../gpu/gpu.ts';
import type { ModelLayout, TrainingCheckpoint } from '../io/checkpoint.ts';
import type { ParameterStore } from '../nn/parameters.ts';
import { fail } from '../validate.ts';

export type NamedWeights = Pick<TrainingCheckpoint, 'parameters' | 'momentum' | 'state'>;

/**
 * The names and shapes a checkpoint of this model must hold, from its ParameterStore or,
 * before anything is on a device, from the model (a Sequential) itself.
 */
export function modelLayout(model: string, store: Pick<ParameterStore, 'parameters' | 'state'>): ModelLayout {
  return {
    model,
    parameters: store.parameters.map((p) => ({ name: p.name, shape: p.shape })),
    state: store.state.map((s) => ({ name: s.name, shape: s.shape })),
  };
}

export async function readWeights(gpu: Gpu, store: ParameterStore): Promise<NamedWeights> {
  const values = await gpu.read(store.values);
  const momentum = await gpu.read(store.momentum);
  const slices = (flat: Float32Array) => new Map(store.parameters.map((p) => [p.name, flat.slice(p.offset, p.offset + p.size)]));
  const state = new Map<string, Float32Array>();
  for (const s of store.state) state.set(s.name, await gpu.read(s.value));
  return { parameters: slices(values), momentum: slices(momentum), state };
}

/** Writes weights decoded against modelLayout(…, store), so every name is known to be there. */
export function writeWeights(gpu: Gpu, store: ParameterStore, weights: NamedWeights): void {
  const flat = (tensors: Map<string, Float32Array>) => {
    const out = new Float32Array(store.values.size);
    for (const p of store.parameters) out.set(tensors.get(p.name)!, p.offset);
    return out;
  };
  gpu.write(store.values, flat(weights.parameters));
  gpu.write(store.momentum, flat(weights.momentum));
  for (const s of store.state) gpu.write(s.value, weights.state.get(s.name)!);
}

/** "parameters conv1.weight[12] = NaN", naming the first NaN or ±Inf of a model's tensors, else undefined. */
export function firstNonFinite(weights: Partial<NamedWeights>): string | undefined {
  for (const kind of ['parameters', 'momentum', 'state'] as const) {
    for (const [name, values] of weights[kind] ?? []) {
      const at = values.findIndex((v) => !Number.isFinite(v));
      if (at >= 0) return `${kind} ${name}[${at}] = ${values[at]}`;
    }
  }
  return undefined;
}

/** Every weight in one array: the parameters, then the state tensors, each flattened in store order. */
export async function readFlatWeights(gpu: Gpu, store: ParameterStore): Promise<Float32Array> {
  const { parameters, state } = await readWeights(gpu, store);
  const tensors = [...store.parameters.map((p) => parameters.get(p.name)!), ...store.state.map((s) => state.get(s.name)!)];
  const out = new Float32Array(tensors.reduce((n, t) => n + t.length, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

/** Loads readFlatWeights' layout, checked for length and finiteness; momentum starts again from zero. */
export function writeFlatWeights(gpu: Gpu, store: ParameterStore, weights: Float32Array, where = 'setWeights'): void {
  if (!(weights instanceof Float32Array)) fail(where, 'weights', 'a Float32Array', weights);
  const count = store.parameters.reduce((n, p) => n + p.size, 0) + store.state.reduce((n, s) => n + s.value.size, 0);
  if (weights.length !== count) fail(where, 'weights.length', `${count}, the model's weight count`, weights.length);
  const bad = weights.findIndex((w) => !Number.isFinite(w));
  if (bad >= 0) fail(where, `weights[${bad}]`, 'a finite number', weights[bad]);
  let at = 0;
  const take = (n: number) => weights.slice(at, (at += n));
  const parameters = new Map(store.parameters.map((p) => [p.name, take(p.size)]));
  const state = new Map(store.state.map((s) => [s.name, take(s.value.size)]));
  const momentum = new Map(store.parameters.map((p) => [p.name, new Float32Array(p.size)]));
  writeWeights(gpu, store, { parameters, momentum, state });
}
