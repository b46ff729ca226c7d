// Local flatness of the training loss around a model's weights θ (ALGORITHMS.md §1.7, the
// paper's Figure 4 right; SWAD's measure, Cha et al. 2021): for each radius r, the mean over
// random directions of L(θ + Δ) − L(θ), with Δ a Gaussian draw over the whole parameter space
// scaled to ‖Δ‖ = r, and L the mean softmax cross-entropy against one-hot targets on a fixed
// set of training images. Everything runs through the Classifier on the GPU.
//
// The choices, all made here:
// - The parameter space is the trainable tensors, the ParameterStore's flat buffer: weights,
//   biases and batch-norm scales and shifts, without the alignment padding. Batch-norm running
//   statistics are state, not parameters: never perturbed, never updated. The loss runs the
//   model in evaluation mode (Classifier.predict), so batch norm uses those running statistics
//   and dropout is off; L is then a deterministic function of θ alone.
// - Direction d is normals(seed, d, Stream.flatness, n) normalised, the same direction for
//   every radius: the curve over r compares the same directions at growing distances (common
//   random numbers), which keeps its shape free of the noise between independent draws.
// - θ + Δ is formed in float64 and rounded to f32 once. θ's flat buffer (padding included) is
//   read once and written back after every evaluation, so the model holds θ bit for bit
//   between calls and when one fails.
// - The images are the first `samples` of shuffledIndices(count, seed, 0), normalised by the
//   training pipeline with no augmentation (as evaluation does) and uploaded once: every
//   evaluation of L sees exactly the same inputs. Batch losses are gathered on the GPU and
//   read once per evaluation, then weighted by batch size in float64.
import { AugmentationPipeline, type AugmentationOptions } from '../augment/pipeline.ts';
import { imageBytes, labelsAt, shuffledIndices } from '../data/batches.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import { Tensor } from '../gpu/tensor.ts';
import { softmaxCrossEntropy } from '../kernels/softmax_xent.ts';
import { normals, Stream } from '../rng/philox.ts';
import type { Classifier } from './classifier.ts';
import { checkInteger } from '../validate.ts';


/** Inputs uploaded once, normalised, with their one-hot rows. */
interface SampleBatch {
  x: Tensor;
  targets: Tensor;
  rows: number;
}

export interface FixedSampleOptions {
  /** training images the loss averages over: the first n of the seeded shuffle */
  samples: number;
  /** picks the images (and, in measureFlatness, the directions) */
  seed: number;
  /** the training run's normalisation (default none: [0, 1] pixels) */
  normalization?: AugmentationOptions['normalization'];
  /** images per forward pass (default 250) */
  batchSize?: number;
}

/**
 * L(θ + Δ) on a fixed set of training images, θ the weights at create() and Δ over the
 * trainable parameters in the store's order (parameter by parameter, each flattened as
 * stored). The classifier holds θ again whenever a call returns or throws; dispose() releases
 * the uploaded images.
 */
export class FixedSampleLoss {
  /** trainable scalars: the length of every Δ */
  readonly dimension: number;

  private constructor(
    private readonly classifier: Classifier,
    private readonly batches: readonly SampleBatch[],
    /** the flat parameter buffer as it was, padding included */
    private readonly theta: Float32Array,
    readonly samples: number,
  ) {
    this.dimension = classifier.store.count;
  }

  static async create(classifier: Classifier, data: ImageDataset, options: FixedSampleOptions): Promise<FixedSampleLoss> {
    const { samples, seed } = options;
    const batchSize = options.batchSize ?? 250;
    const count = data.shape[0];
    checkInteger('FixedSampleLoss', 'samples', samples, { min: 1 });
    if (samples > count) throw new RangeError(`samples ${samples} is more than the ${count} training images`);
    checkInteger('FixedSampleLoss', 'batchSize', batchSize, { min: 1 });
    checkInteger('FixedSampleLoss', 'seed', seed, { min: 0 });
    const chosen = shuffledIndices(count, seed, 0).subarray(0, samples);
    const batches = await uploadBatches(classifier, data, chosen, batchSize, options.normalization);
    const theta = await classifier.gpu.read(classifier.store.values);
    return new FixedSampleLoss(classifier, batches, theta, samples);
  }

  /** L(θ + delta), or L(θ) without delta. */
  async lossAt(delta?: Float64Array): Promise<number> {
    if (!delta) return this.meanLoss();
    if (delta.length !== this.dimension) throw new RangeError(`lossAt: delta has ${delta.length} values, the model has ${this.dimension} parameters`);
    const { gpu, store } = this.classifier;
    gpu.write(store.values, this.shifted(delta));
    try {
      return await this.meanLoss();
    } finally {
      gpu.write(store.values, this.theta);
    }
  }

  dispose(): void {
    for (const b of this.batches) this.classifier.gpu.release(b.x, b.targets);
  }

  /** θ with delta added to every trainable scalar, padding untouched. */
  private shifted(delta: Float64Array): Float32Array {
    const out = this.theta.slice();
    let k = 0;
    for (const p of this.classifier.store.parameters) {
      for (let j = p.offset; j < p.offset + p.size; j++) out[j] = this.theta[j]! + delta[k++]!;
    }
    return out;
  }

  private async meanLoss(): Promise<number> {
    const { gpu } = this.classifier;
    const losses = gpu.empty([this.batches.length]);
    for (const [i, batch] of this.batches.entries()) {
      const logits = await this.classifier.predict(batch.x);
      const { loss, dlogits, correct } = await softmaxCrossEntropy(gpu, logits, batch.targets);
      gpu.copy(loss, new Tensor(losses.buffer, [1], 'f32', i));
      gpu.release(logits, loss, dlogits, correct);
    }
    const values = await gpu.read(losses);
    gpu.release(losses);
    let sum = 0;
    this.batches.forEach((b, i) => (sum += values[i]! * b.rows));
    return sum / this.samples;
  }
}

/** The chosen images through the training pipeline without augmentation, copied out batch by batch. */
async function uploadBatches(
  classifier: Classifier, data: ImageDataset, chosen: Uint32Array, batchSize: number, normalization: AugmentationOptions['normalization'],
): Promise<SampleBatch[]> {
  const { gpu } = classifier;
  const [, c, h, w] = data.shape;
  const pipelines = new Map<number, AugmentationPipeline>();
  const batches: SampleBatch[] = [];
  try {
    for (let start = 0; start < chosen.length; start += batchSize) {
      const indices = chosen.subarray(start, start + batchSize);
      const rows = indices.length;
      let pipeline = pipelines.get(rows);
      if (!pipeline) {
        pipeline = await AugmentationPipeline.create(gpu, { image: [c, h, w], classes: data.classes, batch: rows, seed: 0 }, { normalization });
        pipelines.set(rows, pipeline);
      }
      const out = await pipeline.augment(0, imageBytes(data, indices), labelsAt(data, indices));
      const batch = { x: gpu.empty(out.x.shape), targets: gpu.empty(out.targets.shape), rows };
      gpu.copy(out.x, batch.x);
      gpu.copy(out.targets, batch.targets);
      batches.push(batch);
    }
  } catch (error) {
    for (const b of batches) gpu.release(b.x, b.targets);
    throw error;
  } finally {
    for (const p of pipelines.values()) p.dispose();
  }
  return batches;
}

/** Direction `index` of `seed`: a standard Gaussian over `dimension` scalars, scaled to unit length. */
export function randomDirection(seed: number, index: number, dimension: number): Float64Array {
  checkInteger('randomDirection', 'dimension', dimension, { min: 1 });
  const v = normals(seed, index, Stream.flatness, dimension);
  let squares = 0;
  for (const x of v) squares += x * x;
  const scale = 1 / Math.sqrt(squares);
  for (let i = 0; i < v.length; i++) v[i]! *= scale;
  return v;
}

export interface Spread {
  mean: number;
  /** sample standard deviation (n − 1) */
  std: number;
  /** std / √n */
  standardError: number;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  if (n < 2) throw new RangeError(`a spread needs at least 2 values, got ${n}`);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, std, standardError: std / Math.sqrt(n) };
}

export interface FlatnessOptions extends FixedSampleOptions {
  /** ‖Δ‖ values, each ≥ 0 */
  radii: readonly number[];
  /** directions per radius, ≥ 2 (the paper: 50) */
  directions: number;
  /** called after each L(θ + Δ), e.g. for progress */
  onDirection?: (radius: number, direction: number, increase: number) => void;
}

export interface RadiusFlatness extends Spread {
  radius: number;
  /** L(θ + r·u_d) − L(θ) for each direction d, in order */
  increases: number[];
}

export interface FlatnessReport {
  /** L(θ): mean cross-entropy on the samples */
  baseLoss: number;
  /** trainable scalars perturbed */
  parameters: number;
  samples: number;
  directions: number;
  seed: number;
  radii: RadiusFlatness[];
}

/** §1.7's Monte-Carlo flatness of `classifier` on `data` (its training images). θ is restored exactly. */
export async function measureFlatness(classifier: Classifier, data: ImageDataset, options: FlatnessOptions): Promise<FlatnessReport> {
  const { radii, directions, seed } = options;
  if (radii.length === 0) throw new RangeError('radii must list at least one radius');
  const bad = radii.find((r) => !(Number.isFinite(r) && r >= 0));
  if (bad !== undefined) throw new RangeError(`radii must be finite numbers ≥ 0, got ${bad}`);
  checkInteger('measureFlatness', 'directions', directions, { min: 2 });
  const surface = await FixedSampleLoss.create(classifier, data, options);
  try {
    const baseLoss = await surface.lossAt();
    const increases = radii.map(() => [] as number[]);
    // Direction-major: each direction is drawn once and used at every radius.
    for (let d = 0; d < directions; d++) {
      const u = randomDirection(seed, d, surface.dimension);
      for (const [i, r] of radii.entries()) {
        const increase = (await surface.lossAt(u.map((x) => r * x))) - baseLoss;
        increases[i]!.push(increase);
        options.onDirection?.(r, d, increase);
      }
    }
    return {
      baseLoss, parameters: surface.dimension, samples: surface.samples, directions, seed,
      radii: radii.map((radius, i) => ({ radius, ...spread(increases[i]!), increases: increases[i]! })),
    };
  } finally {
    surface.dispose();
  }
}

