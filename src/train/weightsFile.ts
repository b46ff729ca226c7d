// Plain weights files (io/weights.ts) in and out of a Classifier on the GPU: what `espgpu
// export` writes for other tools and what `train --init-weights` fine-tunes from. Loading
// replaces the weights and batch-norm statistics and zeroes the momentum, so training from
// them starts as a fresh run does, only from other weights.
import type { Gpu } from '../gpu/gpu.ts';
import { decodeWeights, encodeWeights, WeightsError, type DecodedWeights } from '../io/weights.ts';
import type { ModelLayout } from '../io/checkpoint.ts';
import type { Classifier } from './classifier.ts';
import { firstNonFinite, modelLayout, readWeights, writeWeights } from './weights.ts';

export interface SaveWeightsOptions {
  /** PyTorch's num_batches_tracked of every batch-norm layer: the training steps taken (default 0). */
  batchesTracked?: number;
}

export interface LoadWeightsOptions {
  /** The model's name in error messages (default "model"). */
  modelName?: string;
  /** Load NaN or ±Inf values (default false: refused, as training or predicting from them is meaningless). */
  allowNonFinite?: boolean;
}

/** The classifier's weights and batch-norm statistics as a plain safetensors file (no momentum). */
export async function saveWeights(gpu: Gpu, classifier: Classifier, modelName: string, options: SaveWeightsOptions = {}): Promise<Uint8Array> {
  const { parameters, state } = await readWeights(gpu, classifier.store);
  const bad = firstNonFinite({ parameters, state });
  if (bad) throw new Error(`saveWeights: the model holds ${bad}: a file of it would be of no use`);
  return encodeWeights({ parameters, state }, modelLayout(modelName, classifier.store), options.batchesTracked);
}

/**
 * Everything loadWeights checks, without a device: the file decoded against `layout` (every
 * missing, unexpected or mis-shaped tensor named at once) and free of NaN and ±Inf.
 */
export function checkWeightsFile(bytes: Uint8Array, source: string, layout: ModelLayout, allowNonFinite = false): DecodedWeights {
  const weights = decodeWeights(bytes, source, layout);
  const bad = allowNonFinite ? undefined : firstNonFinite(weights);
  if (bad) throw new WeightsError(source, `holds ${bad}: training or predicting from it would give NaN`);
  return weights;
}

/** Replaces the classifier's weights and statistics with the file's and zeroes its momentum; returns the file's metadata. */
export function loadWeights(gpu: Gpu, classifier: Classifier, bytes: Uint8Array, source: string, options: LoadWeightsOptions = {}): Record<string, string> {
  const { store } = classifier;
  const weights = checkWeightsFile(bytes, source, modelLayout(options.modelName ?? 'model', store), options.allowNonFinite);
  const momentum = new Map(store.parameters.map((p) => [p.name, new Float32Array(p.size)]));
  writeWeights(gpu, store, { parameters: weights.parameters, state: weights.state, momentum });
  return weights.metadata;
}
