// Robustness evaluation (ALGORITHMS.md §10): clean error, error per corruption and severity, the
// plain mean corruption error that ESP and AugMix report, and optionally Hendrycks &
// Dietterich's mCE normalised by a baseline model (AlexNet for ImageNet-C). Works on any
// predictor, so the arithmetic is tested without a GPU, and on any stream of corrupted sets:
// the released arrays (loadCorruptionSuite) or sets generated in memory (corruptedSets).
import { AugmentationPipeline, type AugmentationOptions } from '../augment/pipeline.ts';
import { imageBytes, labelsAt } from '../data/batches.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { Classifier } from './classifier.ts';

/** Something that labels images: one predicted class per image of `data`, in order. */
export interface Predictor {
  predict(data: ImageDataset): Promise<ArrayLike<number>>;
}

/** One corrupted test set, as loadCorruptionSuite and corruptedSets yield them. */
export type CorruptedSetLike = {
  corruption: string;
  /** 1..5, or null where the corruption comes at one severity (MNIST-C) */
  severity: number | null;
} & ({ dataset: ImageDataset } | { /** why this set could not be read: it is reported, not scored */ failure: string });

/** A set of the suite that could not be scored, and why. */
export interface UnscoredSet {
  corruption: string;
  severity: number | null;
  problem: string;
}

export interface ErrorRate {
  errors: number;
  count: number;
  /** 100 · errors / count */
  error: number;
}

export interface SeverityError extends ErrorRate {
  severity: number | null;
}

export interface CorruptionError extends ErrorRate {
  corruption: string;
  /** in the order the sets came */
  severities: SeverityError[];
  /** 100 · Σ_s E_s / Σ_s E_s(baseline), when a baseline was asked for */
  ce?: number;
}

export interface CorruptionReport {
  /** the baseline that normalised `ce` and `mCE`, when one was asked for */
  baseline?: string;
  clean?: ErrorRate;
  corruptions: CorruptionError[];
  /** mean over corruptions of each one's error over all its images, in % (no normalisation) */
  meanCorruptionError: number;
  /** 100 · mean over corruptions of CE_c, when a baseline was asked for */
  mCE?: number;
  /** Sets that could not be read (a damaged file): named here, left out of every mean. */
  unscored?: UnscoredSet[];
}

/** A model's mean error (fraction) per corruption, over severities 1..5. */
export interface BaselineErrors {
  name: string;
  errors: Readonly<Record<string, number>>;
}

// Written out by name rather than zipped with COMMON_CORRUPTIONS: datasets.ts is Node-only.
/** §10: AlexNet's ImageNet-C errors, the normaliser of ImageNet mCE (augmix/imagenet.py). */
export const ALEXNET_ERRORS: BaselineErrors = {
  name: 'AlexNet',
  errors: {
    gaussian_noise: 0.886428, shot_noise: 0.894468, impulse_noise: 0.92264, defocus_blur: 0.81988, glass_blur: 0.826268,
    motion_blur: 0.785948, zoom_blur: 0.79836, snow: 0.866816, frost: 0.826572, fog: 0.819324,
    brightness: 0.564592, contrast: 0.853204, elastic_transform: 0.646056, pixelate: 0.71784, jpeg_compression: 0.6065,
  },
};

/** §10: the ResNet-18 that AugMax's Tiny-ImageNet-C "mCE" divides by (test.py). */
export const RESNET18_TINY_IMAGENET_ERRORS: BaselineErrors = {
  name: 'ResNet-18 (AugMax, Tiny-ImageNet-C)',
  errors: {
    gaussian_noise: 0.8037, shot_noise: 0.7597, impulse_noise: 0.7758, defocus_blur: 0.8426, glass_blur: 0.8274,
    motion_blur: 0.7907, zoom_blur: 0.8212, snow: 0.7497, frost: 0.7381, fog: 0.7433,
    brightness: 0.68, contrast: 0.8939, elastic_transform: 0.7308, pixelate: 0.6121, jpeg_compression: 0.6452,
  },
};

export type PredictorLike = Predictor | Predictor['predict'];

function asPredictor(predictor: PredictorLike): Predictor {
  return typeof predictor === 'function' ? { predict: predictor } : predictor;
}

export async function countErrors(predictor: PredictorLike, data: ImageDataset): Promise<ErrorRate> {
  const count = data.shape[0];
  const predicted = await asPredictor(predictor).predict(data);
  if (predicted.length !== count) throw new Error(`predictor returned ${predicted.length} labels for ${count} images`);
  let errors = 0;
  for (let i = 0; i < count; i++) if (predicted[i] !== data.labels[i]) errors++;
  return rate(errors, count);
}

/** Error (%) on the clean test set. */
export function cleanError(predictor: PredictorLike, data: ImageDataset): Promise<ErrorRate> {
  return countErrors(predictor, data);
}

export interface CorruptionErrorOptions {
  /** the clean test set, to report its error beside the corrupted ones */
  clean?: ImageDataset;
  /** normalise by this model's errors (CE and mCE); needs an entry for every corruption */
  baseline?: BaselineErrors;
  /** called after each set, e.g. to print progress */
  onSet?: (corruption: string, result: SeverityError) => void;
}

/**
 * Errors over a suite, set by set (a loader reads one corruption at a time, so the whole
 * suite is never in memory). A corruption's error is over all its images, which is the mean
 * over severities when they hold equally many images.
 */
export async function corruptionErrors(
  predictor: PredictorLike,
  sets: Iterable<CorruptedSetLike> | AsyncIterable<CorruptedSetLike>,
  options: CorruptionErrorOptions = {},
): Promise<CorruptionReport> {
  const clean = options.clean ? await cleanError(predictor, options.clean) : undefined;
  const bySeverity = new Map<string, SeverityError[]>();
  const unscored: UnscoredSet[] = [];
  const { baseline } = options;
  for await (const set of sets) {
    // A long evaluation scores what it can: one damaged set must not throw the others away.
    if ('failure' in set) {
      unscored.push({ corruption: set.corruption, severity: set.severity, problem: set.failure });
      continue;
    }
    // Checked as sets arrive: a missing entry should not cost a whole suite's evaluation first.
    if (baseline && !(baseline.errors[set.corruption]! > 0)) throw new Error(`baseline ${baseline.name} has no error for ${set.corruption}`);
    const results = bySeverity.get(set.corruption) ?? [];
    if (results.some((r) => r.severity === set.severity)) throw new Error(`corruption ${set.corruption} severity ${set.severity} came twice`);
    const result: SeverityError = { severity: set.severity, ...(await countErrors(predictor, set.dataset)) };
    bySeverity.set(set.corruption, [...results, result]);
    options.onSet?.(set.corruption, result);
  }
  if (bySeverity.size === 0) {
    throw new Error(`corruptionErrors: no set of the suite could be scored${unscored.length ? `: ${unscored.map((u) => u.problem).join('; ')}` : ''}`);
  }
  const report = summarise(bySeverity, clean, baseline);
  return unscored.length ? { ...report, unscored } : report;
}

function summarise(bySeverity: Map<string, SeverityError[]>, clean: ErrorRate | undefined, baseline: BaselineErrors | undefined): CorruptionReport {
  const corruptions: CorruptionError[] = [...bySeverity].map(([corruption, severities]) => {
    const errors = severities.reduce((n, s) => n + s.errors, 0);
    const count = severities.reduce((n, s) => n + s.count, 0);
    return { corruption, ...rate(errors, count), severities };
  });
  const report: CorruptionReport = { corruptions, meanCorruptionError: mean(corruptions.map((c) => c.error)) };
  if (clean) report.clean = clean;
  if (baseline) {
    // Σ_s E_s / Σ_s A_s with A_s's mean given: the mean of the severities' errors over A's.
    for (const c of corruptions) c.ce = mean(c.severities.map((s) => s.error)) / baseline.errors[c.corruption]!;
    report.baseline = baseline.name;
    report.mCE = mean(corruptions.map((c) => c.ce!));
  }
  return report;
}

function rate(errors: number, count: number): ErrorRate {
  if (count === 0) throw new Error('an error rate needs at least one image, got an empty set');
  return { errors, count, error: (100 * errors) / count };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

// ---- reports ----

/**
 * The report as Markdown: one row per corruption with its error at each severity, then the
 * mean over corruptions (and the clean error, and CE / mCE when normalised). Errors in %.
 */
export function corruptionReportMarkdown(report: CorruptionReport, digits = 2): string {
  const format = (x: number) => x.toFixed(digits);
  const severities = [...new Set(report.corruptions.flatMap((c) => c.severities.map((s) => s.severity)))].sort((a, b) => (a ?? 0) - (b ?? 0));
  const perSeverity = severities.length > 1 || severities[0] !== null;
  const columns = [
    'corruption',
    ...(perSeverity ? severities.map((s) => `s${s}`) : []),
    'error %',
    ...(report.mCE !== undefined ? [`CE % (${report.baseline})`] : []),
  ];
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [row(columns), row(columns.map((_, i) => (i === 0 ? '---' : '---:')))];
  for (const c of report.corruptions) {
    const at = (s: number | null) => c.severities.find((r) => r.severity === s);
    lines.push(
      row([
        c.corruption,
        ...(perSeverity ? severities.map((s) => (at(s) ? format(at(s)!.error) : '')) : []),
        format(c.error),
        ...(report.mCE !== undefined ? [format(c.ce!)] : []),
      ]),
    );
  }
  const blank = perSeverity ? severities.map(() => '') : [];
  lines.push(row(['**mean**', ...blank, `**${format(report.meanCorruptionError)}**`, ...(report.mCE !== undefined ? [`**${format(report.mCE)}**`] : [])]));
  if (report.clean) lines.push('', `Clean error: ${format(report.clean.error)}% (${report.clean.errors} of ${report.clean.count}).`);
  lines.push('', `Mean corruption error: ${format(report.meanCorruptionError)}% over ${report.corruptions.length} corruptions.`);
  if (report.mCE !== undefined) lines.push(`mCE (normalised by ${report.baseline}): ${format(report.mCE)}%.`);
  for (const u of report.unscored ?? []) lines.push(`Not scored: ${u.corruption}${u.severity === null ? '' : ` severity ${u.severity}`}: ${u.problem}`);
  return lines.join('\n') + '\n';
}

// ---- a classifier as a predictor ----

export interface ClassifierPredictorOptions {
  /** images per forward pass (default 256) */
  batchSize?: number;
  /** the training run's normalisation (default none: [0, 1] pixels) */
  normalization?: AugmentationOptions['normalization'];
  /** the value range bytes map onto (default [0, 1]), as in training */
  range?: AugmentationOptions['range'];
}

/**
 * Argmax of a classifier's logits, through the training pipeline with no augmentation (as
 * fit.ts's accuracy() does). Keeps a pipeline per batch size between calls: dispose() it.
 */
export function classifierPredictor(classifier: Classifier, options: ClassifierPredictorOptions = {}): Predictor & { dispose(): void } {
  const { gpu } = classifier;
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const pipelines = new Map<string, AugmentationPipeline>();
  const pipelineFor = async (data: ImageDataset, batch: number) => {
    const [, ...image] = data.shape;
    const key = `${batch}:${image.join('x')}:${data.classes}`;
    let pipeline = pipelines.get(key);
    if (!pipeline) {
      pipeline = await AugmentationPipeline.create(gpu, { image: [image[0], image[1], image[2]], classes: data.classes, batch, seed: 0 }, { normalization: options.normalization, range: options.range });
      pipelines.set(key, pipeline);
    }
    return pipeline;
  };
  return {
    async predict(data) {
      const [count] = data.shape;
      const predicted = new Uint32Array(count);
      for (let start = 0; start < count; start += batchSize) {
        const indices = Uint32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
        const pipeline = await pipelineFor(data, indices.length);
        const { x } = await pipeline.augment(0, imageBytes(data, indices), labelsAt(data, indices));
        const logits = await classifier.predict(x);
        const values = await gpu.read(logits);
        gpu.release(logits);
        predicted.set(argmaxRows(values, indices.length, data.classes), start);
      }
      return predicted;
    },
    dispose() {
      for (const pipeline of pipelines.values()) pipeline.dispose();
      pipelines.clear();
    },
  };
}

/** The first largest entry of each of `rows` rows of `classes` values. */
export function argmaxRows(values: Float32Array, rows: number, classes: number): Uint32Array {
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c]! > values[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}
