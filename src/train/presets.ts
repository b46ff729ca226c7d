// The training recipes of ALGORITHMS.md §4 as data, every field overridable, and the checks
// any training settings pass before a run starts: a typo fails at once, naming the field,
// instead of after an hour of training.
import { parseMethod, type AugmentationOptions } from '../augment/pipeline.ts';
import { MODEL_KINDS } from '../nn/models/index.ts';
import { cosineSchedule, multiStepSchedule, withLinearWarmup, type Schedule } from '../optim/schedules.ts';
import { checkBoolean, checkInteger, checkKnownKeys, checkNumber, checkObject, checkOneOf, fail, ValidationError } from '../validate.ts';

export interface SgdRecipe {
  /** Peak learning rate (after warmup, before decay). */
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

/** Learning-rate schedules; epochs convert to steps with the run's steps per epoch. */
export type ScheduleSettings =
  | { kind: 'constant'; warmupEpochs?: number }
  /** Per-step cosine from lr down to lrMin over the whole run (AugMix). */
  | { kind: 'cosine'; lrMin: number; warmupEpochs?: number }
  /** ×gamma at the start of each milestone epoch (PyTorch MultiStepLR stepped per epoch). */
  | { kind: 'multistep'; milestones: readonly number[]; gamma: number; warmupEpochs?: number };

export const SCHEDULE_KINDS = ['constant', 'cosine', 'multistep'] as const;

export interface TrainingRecipe {
  /** The architecture the recipe trains (§5), a name in nn/models: recorded in checkpoints. */
  modelName: string;
  epochs: number;
  batchSize: number;
  evalBatchSize: number;
  sgd: SgdRecipe;
  schedule: ScheduleSettings;
  /** Base augmentation and input normalisation; add an ESP/AugMix method on top. */
  augmentation: AugmentationOptions;
}

export interface RecipeOverrides {
  modelName?: string;
  epochs?: number;
  batchSize?: number;
  evalBatchSize?: number;
  sgd?: Partial<SgdRecipe>;
  /** Merged into the preset's schedule when the kind stays, replacing it when the kind changes. */
  schedule?: Partial<{ kind: ScheduleSettings['kind']; lrMin: number; milestones: readonly number[]; gamma: number; warmupEpochs: number }>;
  /** Merged into the preset's augmentation field by field. */
  augmentation?: AugmentationOptions;
}

interface PresetDefinition extends TrainingRecipe {
  /** AugMax scales the rate with the batch: lr = lr·batch/batch₀ unless lr is overridden. */
  lrScalesFromBatch?: number;
}

const HALF = [0.5, 0.5, 0.5];

const MNIST: PresetDefinition = {
  modelName: 'mnist-cnn',
  epochs: 50,
  batchSize: 128,
  evalBatchSize: 1000,
  sgd: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 1e-6 },
  schedule: { kind: 'cosine', lrMin: 0 },
  augmentation: {},
};

const PRESETS: Record<'mnist' | 'mnist-stable' | 'cifar' | 'tiny-imagenet', PresetDefinition> = {
  // Rony et al.'s defaults where the paper is silent ([REC] in §4); images stay in [0, 1].
  mnist: MNIST,
  // The recipe-power study's choice (docs/RESULTS.md, "Recipe power"): the cheapest warm-up +
  // cosine schedule whose seed spread of the corruption error stays within 1 point over five
  // seeds, so that a five-seed comparison of methods can resolve differences of a point or two.
  'mnist-stable': {
    ...MNIST,
    epochs: 5,
    sgd: { ...MNIST.sgd, lr: 0.05 },
    schedule: { kind: 'cosine', lrMin: 0, warmupEpochs: 0.3 },
  },
  // augmix/cifar.py: Nesterov, per-iteration cosine to 1e-6, flip + 4-px crop, [-1, 1] inputs.
  cifar: {
    modelName: 'wrn-40-2',
    epochs: 100,
    batchSize: 128,
    evalBatchSize: 1000,
    sgd: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'cosine', lrMin: 1e-6 },
    augmentation: { flip: true, crop: { padding: 4 }, normalization: { mean: HALF, std: HALF } },
  },
  // AugMax: ×0.1 at epochs 100 and 150, lr 0.1·batch/256, flip + 4-px crop, [0, 1] inputs.
  'tiny-imagenet': {
    modelName: 'resnet18',
    epochs: 200,
    batchSize: 256,
    evalBatchSize: 1000,
    sgd: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 5e-4 },
    schedule: { kind: 'multistep', milestones: [100, 150], gamma: 0.1 },
    augmentation: { flip: true, crop: { padding: 4 } },
    lrScalesFromBatch: 256,
  },
};

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** The recipe `name` with `overrides` applied, checked. */
export function preset(name: string, overrides: RecipeOverrides = {}, where = `preset "${name}"`): TrainingRecipe {
  checkOneOf(where, 'preset', name, PRESET_NAMES);
  checkKnownKeys(`${where} overrides`, overrides, RECIPE_FIELDS);
  const { lrScalesFromBatch, ...base } = structuredClone(PRESETS[name as PresetName]);
  const batchSize = overrides.batchSize ?? base.batchSize;
  const lr = lrScalesFromBatch ? (base.sgd.lr * batchSize) / lrScalesFromBatch : base.sgd.lr;
  const overridden = overrides.schedule;
  const schedule = (!overridden?.kind || overridden.kind === base.schedule.kind ? { ...base.schedule, ...overridden } : { ...overridden }) as ScheduleSettings;
  return checkRecipe(
    {
      modelName: overrides.modelName ?? base.modelName,
      epochs: overrides.epochs ?? base.epochs,
      batchSize,
      evalBatchSize: overrides.evalBatchSize ?? base.evalBatchSize,
      sgd: { ...base.sgd, lr, ...overrides.sgd },
      schedule,
      augmentation: { ...base.augmentation, ...overrides.augmentation },
    },
    where,
  );
}

/**
 * A recipe as every front-end states it — the CLI's flags, a RunSpec file, the worker's train
 * request — in one flat vocabulary: a preset's values with the given fields on top, or, with no
 * preset, plain SGD (momentum 0.9, no weight decay, constant rate) from epochs, batchSize and lr.
 */
export interface RecipeSpec {
  preset?: PresetName;
  /** The architecture recorded in checkpoints (default: the preset's). */
  model?: string;
  epochs?: number;
  batchSize?: number;
  /** Default: the preset's, else batchSize. */
  evalBatchSize?: number;
  /** Peak learning rate (after warm-up, before decay). */
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** Merged into the preset's schedule when the kind stays, replacing it when the kind changes. */
  schedule?: RecipeOverrides['schedule'];
  /** Merged into the preset's augmentation field by field. */
  augmentation?: AugmentationOptions;
}

export const RECIPE_SPEC_FIELDS = ['preset', 'model', 'epochs', 'batchSize', 'evalBatchSize', 'lr', 'momentum', 'nesterov', 'weightDecay', 'schedule', 'augmentation'] as const;

/** The checked TrainingRecipe a RecipeSpec states; `fields` lists what else the caller's object may hold. */
export function resolveRecipe(spec: RecipeSpec, where: string, fields: readonly string[] = RECIPE_SPEC_FIELDS): TrainingRecipe {
  checkObject(where, 'spec', spec);
  checkKnownKeys(where, spec, fields);
  const sgd = definedFields({ lr: spec.lr, momentum: spec.momentum, nesterov: spec.nesterov, weightDecay: spec.weightDecay });
  if (spec.preset !== undefined) {
    const overrides = definedFields({ modelName: spec.model, epochs: spec.epochs, batchSize: spec.batchSize, evalBatchSize: spec.evalBatchSize, schedule: spec.schedule, augmentation: spec.augmentation });
    return preset(spec.preset, { ...overrides, sgd }, where);
  }
  const batchSize = checkInteger(where, 'batchSize', spec.batchSize, { min: 1 });
  return checkRecipe(
    {
      modelName: checkOneOf(where, 'model', spec.model, MODEL_KINDS),
      epochs: checkInteger(where, 'epochs', spec.epochs, { min: 1 }),
      batchSize,
      evalBatchSize: spec.evalBatchSize ?? batchSize,
      sgd: { momentum: 0.9, nesterov: false, weightDecay: 0, ...sgd, lr: checkNumber(where, 'lr', spec.lr, { above: 0 }) },
      schedule: (spec.schedule ?? { kind: 'constant' }) as ScheduleSettings,
      augmentation: spec.augmentation ?? {},
    },
    where,
  );
}

/** The object without its undefined fields, so that spreading it overrides only what was given (a flag not given overrides nothing). */
export function definedFields<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const RECIPE_FIELDS = ['modelName', 'epochs', 'batchSize', 'evalBatchSize', 'sgd', 'schedule', 'augmentation'] as const;

/** Throws a ValidationError naming the first bad field; returns the recipe. */
export function checkRecipe(recipe: TrainingRecipe, where = 'recipe'): TrainingRecipe {
  checkKnownKeys(where, recipe, RECIPE_FIELDS);
  checkOneOf(where, 'modelName', recipe.modelName, MODEL_KINDS);
  checkInteger(where, 'epochs', recipe.epochs, { min: 1 });
  checkInteger(where, 'batchSize', recipe.batchSize, { min: 1 });
  checkInteger(where, 'evalBatchSize', recipe.evalBatchSize, { min: 1 });
  checkSgd(where, recipe.sgd);
  checkSchedule(where, recipe.schedule, recipe.sgd.lr, recipe.epochs);
  checkObject(where, 'augmentation', recipe.augmentation);
  try {
    parseMethod(recipe.augmentation.method ?? 'none');
  } catch (error) {
    throw new ValidationError(`${where}: augmentation.method: ${(error as Error).message}`);
  }
  return recipe;
}

export function checkSgd(where: string, sgd: SgdRecipe): void {
  checkObject(where, 'sgd', sgd);
  checkKnownKeys(`${where}: sgd`, sgd, ['lr', 'momentum', 'nesterov', 'weightDecay']);
  checkNumber(where, 'sgd.lr', sgd.lr, { above: 0 });
  checkNumber(where, 'sgd.momentum', sgd.momentum, { min: 0, below: 1 });
  checkBoolean(where, 'sgd.nesterov', sgd.nesterov);
  if (sgd.nesterov && sgd.momentum === 0) throw new ValidationError(`${where}: sgd.nesterov needs sgd.momentum > 0`);
  checkNumber(where, 'sgd.weightDecay', sgd.weightDecay, { min: 0 });
}

export function checkSchedule(where: string, schedule: ScheduleSettings, lr: number, epochs: number): void {
  checkObject(where, 'schedule', schedule);
  checkOneOf(where, 'schedule.kind', schedule.kind, SCHEDULE_KINDS);
  const fields = { constant: [], cosine: ['lrMin'], multistep: ['milestones', 'gamma'] }[schedule.kind];
  checkKnownKeys(`${where}: schedule (${schedule.kind})`, schedule, ['kind', 'warmupEpochs', ...fields]);
  // The bounds come from other fields: the message names them.
  const within = (field: string, value: unknown, max: number, maxName: string) => {
    if (!(typeof value === 'number' && value >= 0 && value <= max)) fail(where, field, `a number in [0, ${maxName} = ${max}]`, value);
  };
  if (schedule.warmupEpochs !== undefined) within('schedule.warmupEpochs', schedule.warmupEpochs, epochs, 'epochs');
  if (schedule.kind === 'cosine') within('schedule.lrMin', schedule.lrMin, lr, 'sgd.lr');
  if (schedule.kind === 'multistep') {
    checkNumber(where, 'schedule.gamma', schedule.gamma, { above: 0 });
    const { milestones } = schedule;
    if (!Array.isArray(milestones)) fail(where, 'schedule.milestones', 'a list of epochs', milestones);
    milestones.forEach((m, i) => {
      checkInteger(where, `schedule.milestones[${i}]`, m, { min: 1 });
      if (i > 0 && m <= milestones[i - 1]!) throw new ValidationError(`${where}: schedule.milestones must increase, got ${milestones[i - 1]} then ${m}`);
    });
  }
}

/** The learning rate of every step for `schedule` over a run of `epochs` × `stepsPerEpoch`. */
export function scheduleFor(schedule: ScheduleSettings, lr: number, epochs: number, stepsPerEpoch: number): Schedule {
  const totalSteps = epochs * stepsPerEpoch;
  const decay: Schedule =
    schedule.kind === 'cosine'
      ? cosineSchedule({ lrMax: lr, lrMin: schedule.lrMin, totalSteps })
      : schedule.kind === 'multistep'
        ? multiStepSchedule({ lr, milestones: schedule.milestones.map((m) => m * stepsPerEpoch), gamma: schedule.gamma })
        : () => lr;
  return withLinearWarmup(decay, Math.round((schedule.warmupEpochs ?? 0) * stepsPerEpoch));
}
