// A training run as plain data: the recipe (a preset and overrides, in RecipeSpec's flat
// vocabulary), the augmentation, the seed, which data, and where the outputs go. `espgpu
// train` builds one from its flags or reads one from a JSON file (--spec), `demo` is one with
// other defaults, and the study's plans are lists of them. Resolving one checks every field at
// once — recipe, augmentation settings, data selection, output options — so a bad setting
// fails before any data is read or any device is touched.
import { checkAugmentation } from '../augment/pipeline.ts';
import { MAX_CLASSES, type ImageDataset } from '../data/imageDataset.ts';
import { MODEL_NAMES } from '../nn/models/index.ts';
import { checkBoolean, checkInteger, checkKnownKeys, checkObject, checkOneOf, checkString, checkU32, ValidationError } from '../validate.ts';
import { PRESET_NAMES, RECIPE_SPEC_FIELDS, resolveRecipe, type RecipeSpec, type TrainingRecipe } from './presets.ts';

// The names are datasets.ts's and its suites'; repeated here so that this module stays free
// of the Node file readers (a test checks that the lists agree).
export const RUN_DATASETS = ['fashion-mnist', 'mnist', 'mnist-digits', 'cifar10', 'cifar100', 'png-folder', 'embedded'] as const;
export const RUN_SUITES = ['mnist-c', 'cifar10-c', 'cifar100-c', 'tiny-imagenet-c'] as const;

/** Classes of each named dataset, where the name fixes them (a PNG folder's come from its folders). */
const DATASET_CLASSES: Partial<Record<RunDataset, number>> = { 'fashion-mnist': 10, mnist: 10, 'mnist-digits': 10, cifar10: 10, cifar100: 100, embedded: 10 };
const DATASET_CHANNELS: Partial<Record<RunDataset, number>> = { 'fashion-mnist': 1, mnist: 1, 'mnist-digits': 1, cifar10: 3, cifar100: 3, embedded: 1 };

export type RunDataset = (typeof RUN_DATASETS)[number];
export type RunSuite = (typeof RUN_SUITES)[number];

export interface DataSpec {
  /** A named dataset, or "embedded": the Fashion-MNIST subset in the package (default fashion-mnist). */
  dataset?: RunDataset;
  /** Folder holding it (default: $ESPGPU_DATA_DIR or Debian's package). */
  dir?: string;
  /** Hold out the last n training images and evaluate on them instead of the test set. */
  validation?: number;
  /** Train on the first n (remaining) training images only. */
  trainLimit?: number;
  /** Evaluate on the first n test (or validation) images only. */
  evalLimit?: number;
}

export interface OutputSpec {
  /** Safetensors checkpoint written at the end, when stopped, and every checkpointEvery steps. */
  checkpoint?: string;
  checkpointEvery?: number;
  /** Continue the run that wrote this checkpoint; checkpoints go on to `checkpoint` (default: the same file). */
  resume?: string;
  /** Resume from a checkpoint holding NaN or ±Inf (refused by default). */
  allowNonFinite?: boolean;
  /** JSON lines: start, step, epoch, checkpoint, done. */
  metrics?: string;
  /** The session's loss and clean-error curves, SVG. */
  curve?: string;
  /** Corruption suite of the final evaluation. */
  suite?: RunSuite;
  /** Read the released suite here instead of generating it from the evaluation images. */
  suiteDir?: string;
  /** Generate the suite from the first n evaluation images only. */
  suiteLimit?: number;
}

export interface RunSpec extends RecipeSpec {
  /** Initial weights, shuffles, augmentation and dropout (default 0). */
  seed?: number;
  /** Start from the weights in this plain safetensors file (fine-tuning) instead of the seed's; not with outputs.resume. */
  initWeights?: string;
  data?: DataSpec;
  outputs?: OutputSpec;
}

/** A RunSpec with every default filled in and every field checked. */
export interface ResolvedRun {
  recipe: TrainingRecipe;
  /** The augmentation method as given ("none" when absent). */
  method: string;
  seed: number;
  initWeights?: string;
  data: DataSpec & { dataset: RunDataset };
  outputs: OutputSpec;
}

export const RUN_SPEC_FIELDS = [...RECIPE_SPEC_FIELDS, 'seed', 'initWeights', 'data', 'outputs'] as const;

/**
 * Checks a RunSpec (from code or a parsed JSON file) field by field and fills in the defaults:
 * the `mnist` preset, Fashion-MNIST, seed 0, no augmentation. Errors name `where` and the field.
 */
export function resolveRunSpec(spec: RunSpec, where = 'run spec'): ResolvedRun {
  checkObject(where, 'spec', spec);
  checkKnownKeys(where, spec, RUN_SPEC_FIELDS);
  if (spec.preset !== undefined) checkOneOf(where, 'preset', spec.preset, PRESET_NAMES);
  if (spec.model !== undefined) checkOneOf(where, 'model', spec.model, MODEL_NAMES);
  const { seed = 0, initWeights, data = {}, outputs = {}, ...recipeSpec } = spec;
  const recipe = resolveRecipe({ preset: 'mnist', ...recipeSpec }, where);
  const resolved: ResolvedRun = {
    recipe,
    method: recipe.augmentation.method ?? 'none',
    seed: checkU32(where, 'seed', seed),
    data: resolveData(where, data),
    outputs: resolveOutputs(where, outputs),
  };
  if (initWeights !== undefined) resolved.initWeights = checkInitWeights(where, initWeights, outputs);
  // Where the name does not fix the classes, check with the most (the loosest bound on ξ);
  // checkRunData checks again once the data is read.
  const { dataset } = resolved.data;
  checkAugmentation(where, recipe.augmentation, { classes: DATASET_CLASSES[dataset] ?? MAX_CLASSES, channels: DATASET_CHANNELS[dataset] });
  return resolved;
}

function checkInitWeights(where: string, initWeights: unknown, outputs: OutputSpec): string {
  checkString(where, 'initWeights', initWeights);
  if (outputs.resume !== undefined) throw new ValidationError(`${where}: initWeights and outputs.resume exclude each other: a resumed run continues from its checkpoint's weights`);
  return initWeights as string;
}

function resolveData(where: string, data: DataSpec): ResolvedRun['data'] {
  checkObject(where, 'data', data);
  checkKnownKeys(`${where}: data`, data, ['dataset', 'dir', 'validation', 'trainLimit', 'evalLimit']);
  const dataset = checkOneOf(where, 'data.dataset', data.dataset ?? 'fashion-mnist', RUN_DATASETS);
  if (data.dir !== undefined) checkString(where, 'data.dir', data.dir);
  for (const field of ['validation', 'trainLimit', 'evalLimit'] as const) {
    if (data[field] !== undefined) checkInteger(where, `data.${field}`, data[field], { min: 1 });
  }
  return { ...data, dataset };
}

function resolveOutputs(where: string, outputs: OutputSpec): OutputSpec {
  checkObject(where, 'outputs', outputs);
  checkKnownKeys(`${where}: outputs`, outputs, ['checkpoint', 'checkpointEvery', 'resume', 'allowNonFinite', 'metrics', 'curve', 'suite', 'suiteDir', 'suiteLimit']);
  for (const field of ['checkpoint', 'resume', 'metrics', 'curve', 'suiteDir'] as const) {
    if (outputs[field] !== undefined) checkString(where, `outputs.${field}`, outputs[field]);
  }
  for (const field of ['checkpointEvery', 'suiteLimit'] as const) {
    if (outputs[field] !== undefined) checkInteger(where, `outputs.${field}`, outputs[field], { min: 1 });
  }
  if (outputs.suite !== undefined) checkOneOf(where, 'outputs.suite', outputs.suite, RUN_SUITES);
  if (outputs.allowNonFinite !== undefined) checkBoolean(where, 'outputs.allowNonFinite', outputs.allowNonFinite);
  if (outputs.checkpointEvery !== undefined && outputs.checkpoint === undefined && outputs.resume === undefined) {
    throw new ValidationError(`${where}: outputs.checkpointEvery needs outputs.checkpoint (or resume), the file to write`);
  }
  if ((outputs.suiteDir !== undefined || outputs.suiteLimit !== undefined) && outputs.suite === undefined) {
    throw new ValidationError(`${where}: outputs.suiteDir and suiteLimit need outputs.suite, the suite to evaluate on`);
  }
  return { ...outputs, checkpoint: outputs.checkpoint ?? outputs.resume };
}

/** The checks that need the loaded data: its classes and channels against the model and augmentation. */
export function checkRunData(run: ResolvedRun, train: ImageDataset, where = 'run spec'): void {
  checkAugmentation(where, run.recipe.augmentation, { classes: train.classes, channels: train.shape[1] });
}

/**
 * What is legal but almost certainly a mistake: a perturbation size past √(C·H·W), the
 * largest L2 distance between two images in [0, 1] (ε is in pixels of [0, 1], not of 0..255).
 */
export function runWarnings(run: ResolvedRun, train: ImageDataset): string[] {
  const [, c, h, w] = train.shape;
  const reach = Math.sqrt(c * h * w);
  const { esp, l2 } = run.recipe.augmentation;
  const sizes = [esp && ['ESP epsilon', esp.epsilon + (esp.tau ?? esp.epsilon)] as const, l2 && ['L2 epsilon', l2.epsilon] as const];
  return sizes.flatMap((size) =>
    size && size[1] > reach
      ? [`${size[0]} reaches ${size[1]}, past √(C·H·W) = ${reach.toFixed(1)}, the farthest two ${c}×${h}×${w} images in [0, 1] can be: sizes are in [0, 1] pixels, not 0..255`]
      : [],
  );
}

