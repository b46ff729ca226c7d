// One object turns a batch of u8 images and labels into what a training step consumes: the
// normalised, augmented images and their probability rows, on the GPU. A method is named by
// its parts — "esp", "l2", "augmix+esp", … — and each part is one of the augmentations here.
// Buffers are planned once for the batch size, so a long run allocates nothing per step.
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { encodePlans, packBytes, perturbBatch, PLAN_WORDS, type ImageShape, type SamplePlan } from '../kernels/esp.ts';
import { flipCropDraws, type FlipCrop } from './flipCrop.ts';
import { loadRng, type Rng } from '../rng/wasm.ts';
import { augmixViewPacked } from '../kernels/augmix.ts';
import { packPlan, planWords } from '../kernels/augmixEncoding.ts';
import { augmixSettings, planAugMix, type AugMixOptions } from './augmixPlan.ts';
import { checkBoolean, checkInteger, checkKnownKeys, checkNumber, checkObject, checkOneOf, describeValue, fail, ValidationError } from '../validate.ts';
import type { EspOptions } from './espSettings.ts';
import { checkSmoothing, smoothedMass } from './labelSmoothing.ts';
import { EspPerturbation, L2NoisePerturbation, NoPerturbation, type L2NoiseOptions, type Perturbation } from './perturbation.ts';

export const PERTURBATIONS = ['none', 'l2', 'esp', 'esp-hard'] as const;
export type PerturbationName = (typeof PERTURBATIONS)[number];

export interface AugmentationMethod {
  augmix: boolean;
  perturbation: PerturbationName;
}

/** "augmix+esp" → { augmix: true, perturbation: 'esp' }; at most one perturbation. */
export function parseMethod(method: string): AugmentationMethod {
  const parts = method.split('+').map((p) => p.trim());
  const augmix = parts.includes('augmix');
  const rest = parts.filter((p) => p !== 'augmix');
  const known = (p: string): p is PerturbationName => (PERTURBATIONS as readonly string[]).includes(p);
  const bad = rest.find((p) => !known(p));
  if (bad !== undefined || rest.length > 1 || parts.length !== new Set(parts).size) {
    throw new RangeError(
      `augmentation method "${method}" is not one of: ${PERTURBATIONS.join(', ')}, optionally with "augmix+" in front (e.g. "augmix+esp")`,
    );
  }
  return { augmix, perturbation: (rest[0] as PerturbationName | undefined) ?? 'none' };
}

export interface AugmentationOptions {
  /** e.g. "esp", "l2", "augmix+esp" (default "none"). */
  method?: string;
  /** ESP's settings when the method uses ESP (epsilon required). */
  esp?: EspOptions;
  /** L2 noise's settings when the method uses it (epsilon required). */
  l2?: L2NoiseOptions;
  /** Static label smoothing α in [0, 1) on top of whatever the method does (default 0). */
  labelSmoothing?: number;
  augmix?: AugMixOptions & {
    /** Train on [clean; aug1; aug2] with the Jensen–Shannon consistency loss (default true). */
    jsd?: boolean;
    /** λ of the consistency loss (default 12). */
    jsdWeight?: number;
    /** Perturb the clean view only (default, §1.7) or all three views with independent draws. */
    perturbViews?: 'clean' | 'all';
  };
  /** Random horizontal flips (probability ½), before everything else (the CIFAR recipe). */
  flip?: boolean;
  /** Random crops of the image's own size from the image padded by `padding` pixels each side. */
  crop?: { padding: number };
  /** Per-channel mean and std applied after the augmentation (default 0 and 1). */
  normalization?: { mean: readonly number[]; std: readonly number[] };
  /** The images' value range; perturbations stay inside it (default [0, 1]). */
  range?: readonly [number, number];
}

export interface BatchGeometry {
  image: ImageShape;
  classes: number;
  batch: number;
  seed: number;
}

export interface AugmentedBatch {
  /** f32 [views·B, ...image]: the pipeline's own buffer, overwritten by the next call. */
  x: Tensor;
  /** f32 [views·B, classes]. */
  targets: Tensor;
  /** 1, or 3 with the consistency loss: pass `consistency` to the training step. */
  views: number;
  consistency?: { weight: number };
}

function perturbationFor(name: PerturbationName, options: AugmentationOptions, classes: number): Perturbation {
  if (name === 'none') return new NoPerturbation();
  if (name === 'l2') {
    if (!options.l2) throw new RangeError('augmentation method uses "l2": give l2.epsilon, the noise radius');
    return new L2NoisePerturbation(options.l2);
  }
  if (!options.esp) throw new RangeError(`augmentation method uses "${name}": give esp.epsilon, the mean perturbation size`);
  return new EspPerturbation({ ...options.esp, smoothing: name === 'esp' && options.esp.smoothing !== false }, classes);
}

const AUGMENTATION_FIELDS = ['method', 'esp', 'l2', 'labelSmoothing', 'augmix', 'flip', 'crop', 'normalization', 'range'];

/**
 * Checks every augmentation setting before any GPU work: the method, its perturbation's
 * settings for `classes`, label smoothing, AugMix, flips, crops, normalisation (when the
 * channels are known) and range.
 */
export function checkAugmentation(where: string, options: AugmentationOptions, image: { classes: number; channels?: number }): AugmentationMethod {
  checkObject(where, 'augmentation', options);
  checkKnownKeys(`${where}: augmentation`, options, AUGMENTATION_FIELDS);
  const method = within(where, () => parseMethod(options.method ?? 'none'));
  if (options.esp) checkKnownKeys(`${where}: augmentation.esp`, checkObject(where, 'augmentation.esp', options.esp), ['epsilon', 'tau', 'sigma', 'xi', 'gamma', 'smoothing', 'probability']);
  if (options.l2) checkKnownKeys(`${where}: augmentation.l2`, checkObject(where, 'augmentation.l2', options.l2), ['epsilon', 'probability']);
  within(where, () => perturbationFor(method.perturbation, options, image.classes));
  within(where, () => checkSmoothing(options.labelSmoothing ?? 0));
  if (options.augmix !== undefined) {
    const { jsd = true, jsdWeight = 12, perturbViews = 'clean', ...mixing } = checkObject(where, 'augmentation.augmix', options.augmix) as NonNullable<AugmentationOptions['augmix']>;
    augmixSettings(mixing, `${where}: augmentation.augmix`);
    checkBoolean(where, 'augmentation.augmix.jsd', jsd);
    checkNumber(where, 'augmentation.augmix.jsdWeight', jsdWeight, { min: 0 });
    checkOneOf(where, 'augmentation.augmix.perturbViews', perturbViews, ['clean', 'all']);
  }
  if (options.flip !== undefined) checkBoolean(where, 'augmentation.flip', options.flip);
  if (options.crop !== undefined) checkInteger(where, 'augmentation.crop.padding', checkObject(where, 'augmentation.crop', options.crop).padding, { min: 0 });
  if (image.channels !== undefined) within(where, () => channelStats(options, image.channels!));
  const range = options.range ?? [0, 1];
  if (!(Array.isArray(range) && range.length === 2 && Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] < range[1])) {
    fail(where, 'augmentation.range', '[lo, hi] with finite lo < hi', options.range);
  }
  return method;
}

/**
 * Runs a check whose errors name only its own part ("ESP settings: …", "augmentation: …") and
 * puts `where` in front, so a bad setting in a spec file names the file. Only range errors are
 * settings errors; anything else is a bug and passes through.
 */
function within<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ValidationError(error.message.startsWith(`${where}: `) ? error.message : `${where}: ${error.message}`);
  }
}

function channelStats(options: AugmentationOptions, channels: number): number[] {
  const { mean, std } = options.normalization ?? { mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  // A spec file may hold anything here: a missing or non-list mean/std is a settings error, not a TypeError.
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== channels || std.length !== channels) {
    const size = (v: unknown) => (Array.isArray(v) ? String(v.length) : describeValue(v));
    throw new RangeError(`normalization must give mean and std for each of the ${channels} channels, got ${size(mean)} and ${size(std)}`);
  }
  if (!std.every((s) => s > 0 && Number.isFinite(s)) || !mean.every(Number.isFinite)) {
    throw new RangeError(`normalization needs finite means and std > 0, got mean [${mean.join(', ')}], std [${std.join(', ')}]`);
  }
  return mean.flatMap((m, c) => [m, 1 / std[c]!]);
}

export class AugmentationPipeline {
  readonly method: AugmentationMethod;
  readonly perturbation: Perturbation;
  readonly views: number;
  private readonly labelSmoothing: number;
  private readonly sampleSize: number;
  /** The views AugMix makes (1 and 2 with the consistency loss, else 1), each with its plan buffer. */
  private readonly augmixViews: readonly number[];
  private readonly augmixOptions: AugMixOptions;
  private readonly buffers: { x: Tensor; targets: Tensor; images: Tensor; labels: Tensor; plan: Tensor; stats: Tensor; augmixView?: Tensor; augmixPlans: Tensor[] };

  private constructor(
    private readonly gpu: Gpu,
    private readonly rng: Rng,
    private readonly geometry: BatchGeometry,
    private readonly options: AugmentationOptions,
  ) {
    this.method = checkAugmentation('augmentation', options, { classes: geometry.classes, channels: geometry.image[0] });
    this.perturbation = perturbationFor(this.method.perturbation, options, geometry.classes);
    this.labelSmoothing = checkSmoothing(options.labelSmoothing ?? 0);
    const jsd = this.method.augmix && options.augmix?.jsd !== false;
    this.views = jsd ? 3 : 1;
    const { image, classes, batch } = geometry;
    this.sampleSize = image[0] * image[1] * image[2];
    const stats = channelStats(options, image[0]);
    const { jsd: _jsd, jsdWeight: _weight, perturbViews: _views, ...mixing } = options.augmix ?? {};
    this.augmixOptions = mixing;
    this.augmixViews = !this.method.augmix ? [] : jsd ? [1, 2] : [1];
    const mixWords = planWords({ batch, width: augmixSettings(mixing).width });
    this.buffers = {
      x: gpu.empty([this.views * batch, ...image]),
      targets: gpu.empty([this.views * batch, classes]),
      images: gpu.empty([Math.ceil((batch * this.sampleSize) / 4)], 'u32'),
      labels: gpu.empty([batch], 'u32'),
      plan: gpu.empty([this.views * batch, PLAN_WORDS], 'u32'),
      stats: gpu.upload(stats, [image[0], 2]),
      augmixView: this.method.augmix ? gpu.empty([batch, ...image]) : undefined,
      augmixPlans: this.augmixViews.map(() => gpu.empty([mixWords], 'u32')),
    };
  }

  static async create(gpu: Gpu, geometry: BatchGeometry, options: AugmentationOptions = {}): Promise<AugmentationPipeline> {
    return new AugmentationPipeline(gpu, await loadRng(), geometry, options);
  }

  get consistency(): { weight: number } | undefined {
    return this.views === 3 ? { weight: this.options.augmix?.jsdWeight ?? 12 } : undefined;
  }

  /**
   * Records the augmentation of one batch: `images` u8 [B, ...image] NCHW, `labels` [B].
   * Draws depend on (seed, step, row) only. Returns the pipeline's buffers.
   */
  async augment(step: number, images: Uint8Array, labels: ArrayLike<number>): Promise<AugmentedBatch> {
    const { batch, classes } = this.geometry;
    if (images.length !== batch * this.sampleSize) {
      throw new RangeError(`augment: images must hold ${batch}·${this.sampleSize} bytes (batch × image), got ${images.length}`);
    }
    if (labels.length !== batch) throw new RangeError(`augment: labels must hold ${batch} values, got ${labels.length}`);
    const bad = Array.prototype.findIndex.call(labels, (l: number) => !(Number.isInteger(l) && l >= 0 && l < classes));
    if (bad >= 0) throw new RangeError(`augment: label ${labels[bad]} at row ${bad} is outside 0..${classes - 1}`);
    const { gpu, buffers } = this;
    // Every upload before the first dispatch: the step stays one command buffer.
    gpu.write(buffers.images, packBytes(images));
    gpu.write(buffers.labels, Uint32Array.from(labels));
    gpu.write(buffers.plan, this.plan(step));
    this.augmixViews.forEach((view, i) => gpu.write(buffers.augmixPlans[i]!, packPlan(this.augmixPlan(step, view))));
    if (this.views === 3) {
      await this.view(step, 0, { images: buffers.images, format: 'u8' });
      for (const [i, view] of this.augmixViews.entries()) await this.view(step, view, { images: await this.augmixed(i), format: 'f32' });
    } else if (this.method.augmix) {
      await this.view(step, 0, { images: await this.augmixed(0), format: 'f32' });
    } else {
      await this.view(step, 0, { images: buffers.images, format: 'u8' });
    }
    return { x: buffers.x, targets: buffers.targets, views: this.views, consistency: this.consistency };
  }

  /**
   * (k, s) for every row: the perturbation's draws for the views it applies to, label smoothing on
   * top. View v's sample b draws as sample v·B + b of the step, so the views are independent.
   */
  private plan(step: number): Uint32Array {
    const { batch, seed, classes } = this.geometry;
    const plans: SamplePlan[] = [];
    const untouched = new NoPerturbation();
    // One flip and crop per sample, shared by its views. The fused kernel applies it after AugMix
    // (the reference crops first, then mixes): the same in distribution for the flips, and for
    // the crops up to which border pixels the geometric ops fill in.
    const geometric: FlipCrop[] = flipCropDraws({ seed, step, batch, flip: this.options.flip ?? false, padding: this.options.crop?.padding ?? 0 });
    for (let view = 0; view < this.views; view++) {
      const perturbed = view === 0 || this.options.augmix?.perturbViews === 'all';
      const draw = { seed, step, batch, firstSample: view * batch };
      const { sizes, masses } = (perturbed ? this.perturbation : untouched).draw(this.rng, draw);
      sizes.forEach((k, b) => plans.push({ k, s: smoothedMass(masses[b]!, this.labelSmoothing, classes), ...geometric[b] }));
    }
    return encodePlans(plans);
  }

  /** One view through the fused kernel, into its block of rows. */
  private async view(step: number, view: number, input: { images: Tensor; format: 'u8' | 'f32' }): Promise<void> {
    const { gpu, buffers, geometry } = this;
    await perturbBatch(gpu, {
      ...input, image: geometry.image, batch: geometry.batch, classes: geometry.classes,
      labels: buffers.labels, plan: buffers.plan, channelStats: buffers.stats,
      seed: geometry.seed, step, firstSample: view * geometry.batch, range: this.options.range,
      out: { x: buffers.x, targets: buffers.targets }, intoRow: view * geometry.batch,
    });
  }

  private augmixPlan(step: number, view: number) {
    const { batch, seed, image } = this.geometry;
    return planAugMix({ seed, step, view, firstSample: 0, batch, imageSize: [...image], options: this.augmixOptions });
  }

  /** The i-th AugMix view of the batch, from the plan augment() wrote with the step's uploads. */
  private async augmixed(i: number): Promise<Tensor> {
    const { batch, image } = this.geometry;
    const plan = { words: this.buffers.augmixPlans[i]!, batch, width: augmixSettings(this.augmixOptions).width, imageSize: image };
    return augmixViewPacked(this.gpu, this.buffers.images, [batch, ...image], plan, this.buffers.augmixView);
  }

  dispose(): void {
    const b = this.buffers;
    this.gpu.release(b.x, b.targets, b.images, b.labels, b.plan, b.stats, b.augmixView, ...b.augmixPlans);
  }
}
