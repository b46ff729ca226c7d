// The runs of the robustness study (issue 8, ALGORITHMS.md §1.7–1.8, §4), as data: which
// RunSpecs (run by `espgpu train --spec`) make up the ε sweep, Table 1 and the smoothing ablation. Pure:
// no files, no processes, so a test can check the plan without training anything.
//
// - sweep: ESP (γ ∈ {10, 20}) and L2 over the ε grid, plus Naive, trained on the training
//   set minus a held-out validation split and scored on that split and its corruptions:
//   the ε and γ of Table 1 are chosen here and never on the test suite.
// - table1: Naive, L2, ESP, AugMix, AugMix + L2, AugMix + ESP on the full training set
//   (minus nothing), several seeds, scored on the test set and Fashion-MNIST-C.
// - ablation: ESP without label smoothing (`esp-hard`) and ESP's sizes with static label
//   smoothing of the same mean label mass (`esp-static`), at Table 1's ε and γ; the
//   with-smoothing side is Table 1's ESP runs.
// - flatness (Figure 4 right, §1.7): every seed's Naive, ESP and AugMix runs of Table 1 also
//   measure their checkpoint's flatness (`espgpu flatness`) once trained, so that the methods'
//   flatness is compared seed by seed, as their errors are.
// - power (issue 21): plain training under short warm-up + cosine schedules (peak lr 0.05 and
//   0.1; 2, 5 and 10 epochs), five seeds, on the validation split only: the seed's standard
//   deviation of the corruption error per schedule, from which the recipe of the next Table 1
//   is chosen (the cheapest with a std ≤ 1 point) before any method is compared. Cheapest
//   schedules first, each over all its seeds, so a partial run already answers for them.
// - digits (issue 21): Naive, L2 and ESP on real digits (`mnist-digits`: the `mnist` package's
//   10,000 digits, 8,000 train / 2,000 test), several seeds, scored on the 2,000 test digits and
//   the MNIST-C suite espgpu generates from them: the paper's own MNIST-C comparison (§1.8).
//   Seed by seed over the three methods, so a partial run already pairs them. Its ε and γ are
//   the Fashion-MNIST sweep's.
// - digits-sweep: the sweep's grid on digits, trained on 6,000 training digits and scored on the
//   other 2,000 and their MNIST-C (never on the test digits): ε and γ chosen for digits.
// - digits-tuned: L2 and ESP on digits at the digits sweep's choice, as the digits study
//   otherwise (seeds, recipe, all 8,000 training digits); paired with the digits study's Naive.

import { meanTrueLabelMass, resolveEspSettings } from '../../src/augment/espSettings.ts';
import { parseMethod, type AugmentationOptions } from '../../src/augment/pipeline.ts';
import { preset, type PresetName } from '../../src/train/presets.ts';
import type { DataSpec, RunDataset, RunSpec } from '../../src/train/runSpec.ts';

export type StudyName = 'sweep' | 'table1' | 'ablation' | 'power' | 'digits' | 'digits-sweep' | 'digits-tuned';
export const STUDY_NAMES: readonly StudyName[] = ['sweep', 'table1', 'ablation', 'power', 'digits', 'digits-sweep', 'digits-tuned'];

export interface StudySettings {
  /** The recipe of the sweep, Table 1, the ablation and the digits (the power study sets its own schedules). */
  preset: PresetName;
  /** Epochs of every Table 1, ablation and digits run. */
  epochs: number;
  /** Table 1 / ablation train on the first n training images (all when undefined). */
  trainLimit?: number;
  /** Every run evaluates on the first n test or validation images (all when undefined). The digits study trains on all 8,000 digits whatever trainLimit says. */
  evalLimit?: number;
  seeds: readonly number[];
  /** The sweep's runs: epochs, training images (after the validation split), one seed. */
  sweepEpochs: number;
  sweepTrainLimit: number;
  /** Training images held out for the sweep's scores (the last n, Rony et al.'s 5k). */
  validation: number;
  /** Training digits the digits sweep holds out for its scores (the last n of 8,000). */
  digitsValidation: number;
  /** ALGORITHMS.md §1.7's MNIST grid; τ = ε, σ = ε/2 throughout. */
  epsilons: readonly number[];
  gammas: readonly number[];
  /** `espgpu flatness` of Table 1's Naive, ESP and AugMix models, every seed. */
  flatness: { radii: readonly number[]; directions: number; samples: number };
  /** The recipe-power study: its schedules (peak lr, epochs), warm-up and seeds. */
  power: { schedules: readonly PowerSchedule[]; warmupEpochs: number; seeds: readonly number[] };
}

export interface PowerSchedule {
  lr: number;
  epochs: number;
}

/** The recipe the power study chose, five seeds; its epochs for the sweep too. */
const STABLE = preset('mnist-stable');

export const DEFAULT_SETTINGS: StudySettings = {
  preset: 'mnist-stable',
  epochs: STABLE.epochs,
  seeds: [0, 1, 2, 3, 4],
  sweepEpochs: STABLE.epochs,
  sweepTrainLimit: 20_000,
  validation: 5_000,
  // As many as the test digits: the sweep's scores as precise as the comparison's.
  digitsValidation: 2_000,
  epsilons: [0.5, 1, 1.5, 2, 3, 4],
  gammas: [10, 20],
  // §1.7: 50 directions a radius; the loss over 2,000 training images.
  flatness: { radii: [2, 4, 8, 16, 32], directions: 50, samples: 2000 },
  power: {
    schedules: [2, 5, 10].flatMap((epochs) => [0.05, 0.1].map((lr) => ({ lr, epochs }))),
    warmupEpochs: 0.3,
    seeds: [0, 1, 2, 3, 4],
  },
};

/** What Table 1 and the ablation need from the sweep (or from the user). */
export interface Choice {
  esp: { epsilon: number; gamma: number };
  l2: { epsilon: number };
}

export interface Run {
  study: StudyName;
  /** Unique within the study; also the folder name of its results. */
  id: string;
  method: string;
  seed: number;
  epsilon?: number;
  gamma?: number;
  /** Where the run is scored: the held-out training images or the test set. */
  evaluatedOn: 'validation' | 'test';
  /** The MNIST-C suite it is scored on, by the data it is made from (default: suiteOf's, Fashion-MNIST's evaluation split). */
  suite?: SuiteSource;
  /** What `espgpu train --spec` runs, without the data folder and the outputs the runner adds. */
  spec: RunSpec;
  /** `espgpu flatness` arguments, without the checkpoint, when the run measures its flatness. */
  flatness?: string[];
}

/** A generated MNIST-C suite: the dataset and the split (test, or the held-out validation images) it corrupts. */
export interface SuiteSource {
  dataset: RunDataset;
  split: Run['evaluatedOn'];
  /** The held-out images of a validation split (default: the study's --validation). */
  validation?: number;
}

/** The suite a run is scored on: its own, else Fashion-MNIST-C of its evaluation split (every study before digits). */
export const suiteOf = (run: Pick<Run, 'suite' | 'evaluatedOn'>): SuiteSource => run.suite ?? { dataset: 'fashion-mnist', split: run.evaluatedOn };

const TABLE1_METHODS = ['none', 'l2', 'esp', 'augmix', 'augmix+l2', 'augmix+esp'] as const;
/** Figure 4 right's models. */
const FLATNESS_METHODS: readonly string[] = ['none', 'esp', 'augmix'];

function flatnessArgs(s: StudySettings): string[] {
  const f = s.flatness;
  return ['--dataset', 'fashion-mnist', '--radii', f.radii.join(','), '--directions', String(f.directions), '--samples', String(f.samples)];
}

/**
 * `esp-static` (the ablation): ESP's sizes with hard labels and, instead of ESP's smoothing,
 * static label smoothing whose mean true-label mass equals ESP's over its sizes. Any other arm
 * is a pipeline method.
 */
export function augmentationOf(arm: string, settings: { epsilon?: number; gamma?: number }, classes = 10): AugmentationOptions {
  const method = arm === 'esp-static' ? 'esp-hard' : arm;
  const { perturbation } = parseMethod(method);
  const augmentation: AugmentationOptions = { method };
  const esp = { epsilon: settings.epsilon!, ...(settings.gamma === undefined ? {} : { gamma: settings.gamma }) };
  if (perturbation.startsWith('esp')) augmentation.esp = esp;
  if (perturbation === 'l2') augmentation.l2 = { epsilon: settings.epsilon! };
  if (arm === 'esp-static') augmentation.labelSmoothing = (1 - meanTrueLabelMass(resolveEspSettings(esp, classes))) / (1 - 1 / classes);
  return augmentation;
}

/** The `preset` recipe on Fashion-MNIST, or `data.dataset`, with the arm's augmentation; ε (and γ) go to its perturbation. */
function trainSpec(arm: string, seed: number, epochs: number, settings: { epsilon?: number; gamma?: number }, data: DataSpec, presetName: PresetName): RunSpec {
  return { preset: presetName, seed, epochs, augmentation: augmentationOf(arm, settings), data: { dataset: 'fashion-mnist', ...data } };
}

/**
 * The ε grid (ESP at each γ, L2) and Naive, one seed, scored on held-out training images:
 * Fashion-MNIST's last `validation` (after `sweepTrainLimit`), or for the digits sweep the last
 * `digitsValidation` of the 8,000 training digits and the MNIST-C made from them.
 */
function sweepRuns(study: 'sweep' | 'digits-sweep', s: StudySettings): Run[] {
  const seed = s.seeds[0] ?? 0;
  const evalLimit = s.evalLimit === undefined ? {} : { evalLimit: s.evalLimit };
  const digits = study === 'digits-sweep';
  const held: DataSpec = digits ? { dataset: 'mnist-digits', validation: s.digitsValidation, ...evalLimit } : { validation: s.validation, trainLimit: s.sweepTrainLimit, ...evalLimit };
  const suite: SuiteSource | undefined = digits ? { dataset: 'mnist-digits', split: 'validation', validation: s.digitsValidation } : undefined;
  const run = (id: string, method: string, epsilon?: number, gamma?: number): Run => ({
    study, id, method, seed, epsilon, gamma, evaluatedOn: 'validation', ...(suite ? { suite } : {}),
    spec: trainSpec(method, seed, s.sweepEpochs, { epsilon, gamma }, held, s.preset),
  });
  const runs = [run('none', 'none')];
  for (const epsilon of s.epsilons) {
    runs.push(run(`l2-eps${epsilon}`, 'l2', epsilon));
    for (const gamma of s.gammas) runs.push(run(`esp-eps${epsilon}-gamma${gamma}`, 'esp', epsilon, gamma));
  }
  return runs;
}

/** Each Table 1 method's perturbation settings under the chosen ε and γ. */
function settingsOf(method: string, choice: Choice): { epsilon?: number; gamma?: number } {
  // esp-hard and esp-static (the ablation) take ESP's sizes too; only the label smoothing differs.
  if (method.endsWith('esp') || method.endsWith('esp-hard') || method === 'esp-static') return { epsilon: choice.esp.epsilon, gamma: choice.esp.gamma };
  if (method.endsWith('l2')) return { epsilon: choice.l2.epsilon };
  return {};
}

/** Seed by seed over the methods, so that a partial run already pairs them. */
function scoredRuns(study: StudyName, methods: readonly string[], s: StudySettings, choice: Choice): Run[] {
  return s.seeds.flatMap((seed) =>
    methods.map((method): Run => {
      const perturbation = settingsOf(method, choice);
      const data: DataSpec = { ...(s.trainLimit === undefined ? {} : { trainLimit: s.trainLimit }), ...(s.evalLimit === undefined ? {} : { evalLimit: s.evalLimit }) };
      const spec = trainSpec(method, seed, s.epochs, perturbation, data, s.preset);
      const run: Run = { study, id: `${method}-seed${seed}`, method, seed, ...perturbation, evaluatedOn: 'test', spec };
      if (study === 'table1' && FLATNESS_METHODS.includes(method)) run.flatness = flatnessArgs(s);
      return run;
    }),
  );
}

/** The id of a power run's schedule, e.g. "lr0.05-ep2": its table's row. */
export const scheduleId = ({ lr, epochs }: PowerSchedule) => `lr${lr}-ep${epochs}`;

/** Plain training under each schedule, schedule by schedule (cheapest first), each over every seed. */
function powerRuns(s: StudySettings): Run[] {
  const { schedules, warmupEpochs, seeds } = s.power;
  const held: DataSpec = { validation: s.validation, ...(s.evalLimit === undefined ? {} : { evalLimit: s.evalLimit }) };
  const ordered = [...schedules].sort((a, b) => a.epochs - b.epochs || a.lr - b.lr);
  return ordered.flatMap((schedule) =>
    seeds.map((seed): Run => ({
      study: 'power',
      id: `none-${scheduleId(schedule)}-seed${seed}`,
      method: 'none',
      seed,
      evaluatedOn: 'validation',
      spec: { ...trainSpec('none', seed, schedule.epochs, {}, held, 'mnist'), lr: schedule.lr, schedule: { kind: 'cosine', lrMin: 0, warmupEpochs } },
    })),
  );
}

/** The 2,000 test digits and MNIST-C made from them (`espgpu corrupt --dataset mnist-digits --split test`). */
export const DIGITS_SUITE: SuiteSource = { dataset: 'mnist-digits', split: 'test' };

/**
 * The methods on mnist-digits, seed by seed over them: seed 0 of each, then seed 1… Table 1's
 * epochs and recipe; all 8,000 training digits; scored on the test digits. The digits study
 * runs Naive, L2 and ESP at the Fashion-MNIST sweep's ε and γ; digits-tuned runs L2 and ESP at
 * the digits sweep's (its Naive would be the digits study's very runs).
 */
function digitsRuns(study: 'digits' | 'digits-tuned', methods: readonly string[], s: StudySettings, choice: Choice): Run[] {
  const data: DataSpec = { dataset: 'mnist-digits', ...(s.evalLimit === undefined ? {} : { evalLimit: s.evalLimit }) };
  return s.seeds.flatMap((seed) =>
    methods.map((method): Run => {
      const perturbation = settingsOf(method, choice);
      const spec = trainSpec(method, seed, s.epochs, perturbation, data, s.preset);
      return { study, id: `${study}-${method}-seed${seed}`, method, seed, ...perturbation, evaluatedOn: 'test', suite: DIGITS_SUITE, spec };
    }),
  );
}

/**
 * The runs of one study. Table 1, the ablation and the digits need the sweep's choice;
 * digits-tuned needs the digits sweep's.
 */
export function planStudy(study: StudyName, settings: StudySettings, choice?: Choice): Run[] {
  if (study === 'sweep' || study === 'digits-sweep') return sweepRuns(study, settings);
  if (study === 'power') return powerRuns(settings);
  if (!choice) throw new Error(`the ${study} study needs ε and γ: run the ${study === 'digits-tuned' ? 'digits-sweep' : 'sweep'} and its report first (it writes choice.json), or give them explicitly`);
  if (study === 'digits') return digitsRuns(study, ['none', 'l2', 'esp'], settings, choice);
  if (study === 'digits-tuned') return digitsRuns(study, ['l2', 'esp'], settings, choice);
  return study === 'table1' ? scoredRuns('table1', TABLE1_METHODS, settings, choice) : scoredRuns('ablation', ['esp-hard', 'esp-static'], settings, choice);
}

/**
 * The runs of the listed methods, seed by seed and within a seed in the list's order (so a
 * partial run already pairs them). Every listed method must be in the plan.
 */
export function selectRuns(runs: readonly Run[], methods: readonly string[]): Run[] {
  const unknown = methods.find((m) => !runs.some((run) => run.method === m));
  if (unknown !== undefined) throw new Error(`--methods: no planned run has method "${unknown}"; planned: ${[...new Set(runs.map((r) => r.method))].join(', ')}`);
  const rank = (run: Run) => methods.indexOf(run.method);
  return runs.filter((run) => rank(run) >= 0).sort((a, b) => a.seed - b.seed || rank(a) - rank(b));
}

/** The sweep point with the lowest mean corruption error on the validation split, per method. */
export function chooseFromSweep(results: readonly { run: Run; meanCorruptionError: number }[]): Choice {
  const best = (method: string) => {
    const candidates = results.filter((r) => r.run.method === method && Number.isFinite(r.meanCorruptionError));
    if (!candidates.length) throw new Error(`the sweep has no finished ${method} runs to choose ε from`);
    return candidates.reduce((a, b) => (b.meanCorruptionError < a.meanCorruptionError ? b : a)).run;
  };
  const esp = best('esp');
  return { esp: { epsilon: esp.epsilon!, gamma: esp.gamma! }, l2: { epsilon: best('l2').epsilon! } };
}
