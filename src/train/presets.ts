// The training recipes of ALGORITHMS.md §4 as data, every field overridable, and the checks
// any training settings pass before a run starts: a typo fails at once, naming the field,
// instead of after an hour of training.
import { parseMethod, type AugmentationOptions } from '../augment/pipeline.ts';
import { MODELS } from '../nn/models/index.ts';
import { cosineSchedule, multiStepSchedule, withLinearWarmup, type Schedule } from '../optim/schedules.ts';

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

const PRESETS: Record<'mnist' | 'cifar' | 'tiny-imagenet', PresetDefinition> = {
  // Rony et al.'s defaults where the paper is silent ([REC] in §4); images stay in [0, 1].
  mnist: {
    modelName: 'mnist-cnn',
    epochs: 50,
    batchSize: 128,
    evalBatchSize: 1000,
    sgd: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 1e-6 },
    schedule: { kind: 'cosine', lrMin: 0 },
    augmentation: {},
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
export function preset(name: string, overrides: RecipeOverrides = {}): TrainingRecipe {
  if (!(PRESET_NAMES as string[]).includes(name)) throw new RangeError(`preset "${name}" is not one of: ${PRESET_NAMES.join(', ')}`);
  const where = `preset "${name}"`;
  checkKnownKeys(overrides, ['modelName', 'epochs', 'batchSize', 'evalBatchSize', 'sgd', 'schedule', 'augmentation'], `${where} overrides`);
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

/** Throws a RangeError naming the first bad field; returns the recipe. */
export function checkRecipe(recipe: TrainingRecipe, where = 'recipe'): TrainingRecipe {
  checkKnownKeys(recipe, ['modelName', 'epochs', 'batchSize', 'evalBatchSize', 'sgd', 'schedule', 'augmentation'], where);
  if (!Object.hasOwn(MODELS, recipe.modelName)) throw new RangeError(`${where}: modelName must be one of ${Object.keys(MODELS).join(', ')}, got ${JSON.stringify(recipe.modelName)}`);
  checkCount(recipe.epochs, 'epochs', 1, where);
  checkCount(recipe.batchSize, 'batchSize', 1, where);
  checkCount(recipe.evalBatchSize, 'evalBatchSize', 1, where);
  checkSgd(recipe.sgd, where);
  checkSchedule(recipe.schedule, recipe.sgd.lr, recipe.epochs, where);
  checkAugmentation(recipe.augmentation, where);
  return recipe;
}

export function checkCount(value: unknown, field: string, min: number, where: string): void {
  if (!(Number.isSafeInteger(value) && (value as number) >= min)) throw new RangeError(`${where}: ${field} must be an integer ≥ ${min}, got ${String(value)}`);
}

function checkNumber(value: unknown, field: string, where: string, ok: (x: number) => boolean, expected: string): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && ok(value))) throw new RangeError(`${where}: ${field} must be ${expected}, got ${String(value)}`);
}

export function checkSgd(sgd: SgdRecipe, where: string): void {
  if (typeof sgd !== 'object' || sgd === null) throw new RangeError(`${where}: sgd must be { lr, momentum, nesterov, weightDecay }, got ${String(sgd)}`);
  checkKnownKeys(sgd, ['lr', 'momentum', 'nesterov', 'weightDecay'], `${where}: sgd`);
  checkNumber(sgd.lr, 'sgd.lr', where, (x) => x > 0, 'a number > 0');
  checkNumber(sgd.momentum, 'sgd.momentum', where, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  if (typeof sgd.nesterov !== 'boolean') throw new RangeError(`${where}: sgd.nesterov must be true or false, got ${String(sgd.nesterov)}`);
  if (sgd.nesterov && sgd.momentum === 0) throw new RangeError(`${where}: sgd.nesterov needs sgd.momentum > 0`);
  checkNumber(sgd.weightDecay, 'sgd.weightDecay', where, (x) => x >= 0, 'a number ≥ 0');
}

export function checkSchedule(schedule: ScheduleSettings, lr: number, epochs: number, where: string): void {
  const kind = (schedule as { kind?: unknown } | undefined)?.kind;
  if (!(SCHEDULE_KINDS as readonly unknown[]).includes(kind)) throw new RangeError(`${where}: schedule.kind must be one of ${SCHEDULE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const fields = { constant: [], cosine: ['lrMin'], multistep: ['milestones', 'gamma'] }[schedule.kind];
  checkKnownKeys(schedule, ['kind', 'warmupEpochs', ...fields], `${where}: schedule (${schedule.kind})`);
  if (schedule.warmupEpochs !== undefined) {
    checkNumber(schedule.warmupEpochs, 'schedule.warmupEpochs', where, (x) => x >= 0 && x <= epochs, `a number in [0, epochs = ${epochs}]`);
  }
  if (schedule.kind === 'cosine') checkNumber(schedule.lrMin, 'schedule.lrMin', where, (x) => x >= 0 && x <= lr, `a number in [0, sgd.lr = ${lr}]`);
  if (schedule.kind === 'multistep') {
    checkNumber(schedule.gamma, 'schedule.gamma', where, (x) => x > 0, 'a number > 0');
    const { milestones } = schedule;
    if (!Array.isArray(milestones)) throw new RangeError(`${where}: schedule.milestones must be a list of epochs, got ${String(milestones)}`);
    milestones.forEach((m, i) => {
      checkCount(m, `schedule.milestones[${i}]`, 1, where);
      if (i > 0 && m <= milestones[i - 1]!) throw new RangeError(`${where}: schedule.milestones must increase, got ${milestones[i - 1]} then ${m}`);
    });
  }
}

function checkAugmentation(augmentation: AugmentationOptions, where: string): void {
  if (typeof augmentation !== 'object' || augmentation === null) throw new RangeError(`${where}: augmentation must be an object, got ${String(augmentation)}`);
  try {
    parseMethod(augmentation.method ?? 'none');
  } catch (error) {
    throw new RangeError(`${where}: augmentation.method: ${(error as Error).message}`);
  }
}

/** Catches misspelt fields (`epoch` for `epochs`), which would otherwise be silently ignored. */
function checkKnownKeys(object: object, known: readonly string[], where: string): void {
  const unknown = Object.keys(object).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new RangeError(`${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
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
