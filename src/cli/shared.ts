// What the commands share: a device for the length of a command, the train/test split of a
// named dataset (or the embedded subset), and the corruption evaluation at the end of a run.
import type { Command } from 'commander';
import { CORRUPTION_SUITE_NAMES, loadCorruptionSuite, loadDataset, suiteCorruptions, type CorruptionSuiteName, type DatasetName } from '../data/datasets.ts';
import { corruptedSets } from '../data/corruptSuite.ts';
import { firstImages, holdOut } from '../data/holdOut.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { AugmentationOptions } from '../augment/pipeline.ts';
import { readFileSync } from 'node:fs';
import { acquireDevice } from '../device/device.ts';
import { Gpu } from '../gpu/gpu.ts';
import { describeGemmConfig } from '../tuning/gemmCandidates.ts';
import { defaultTuningCachePath, fileTuningStore } from '../tuning/fileTuningStore.ts';
import { tuneGemm } from '../tuning/tuneGemm.ts';
import type { Classifier } from '../train/classifier.ts';
import { classifierPredictor, corruptionErrors, corruptionReportMarkdown, type CorruptedSetLike, type CorruptionReport, type ErrorRate } from '../train/evaluate.ts';
import { CORRUPTION_GENERATORS } from './corruptCommand.ts';
import { embeddedDataset } from '../data/embedded.ts';
import { integerAtLeast } from './arguments.ts';

export const SUITE_NAMES = CORRUPTION_SUITE_NAMES;

export interface SuiteArgs {
  suite?: CorruptionSuiteName;
  suiteDir?: string;
  suiteLimit?: number;
}

/** The options of every command that runs on a device: which adapter, and whether to tune the GEMM. */
export function withDeviceOptions(command: Command): Command {
  return command
    .option('--adapter <name>', 'pick the adapter whose name contains this (also $ESPGPU_ADAPTER)')
    .option('--no-tune', 'skip the GEMM tile search and use the default tile shape');
}

/** Where a command's corruption suite comes from: the released arrays, or generated from the first n test images. */
export function withSuiteSourceOptions(command: Command): Command {
  return command
    .option('--suite-dir <dir>', 'read the released suite from here instead of generating it from the test set')
    .option('--suite-limit <n>', 'generate the suite from the first n test images only', integerAtLeast('--suite-limit', 1));
}

export async function withGpu<T>(adapter: string | undefined, body: (gpu: Gpu) => Promise<T>): Promise<T> {
  const esp = await acquireDevice({ adapter });
  const gpu = new Gpu(esp);
  try {
    return await body(gpu);
  } finally {
    gpu.dispose();
    esp.dispose();
    // Let Dawn finish tearing the device down before the process may exit: exiting at once
    // crashed `espgpu info` in about 1 run of 4 (SIGSEGV / SIGABRT in Dawn's threads at exit);
    // waiting for the loss callback alone was not enough, 100 ms more was (0 in 46 runs).
    await esp.lost.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface DataSelection {
  /** Hold out the last n training images and evaluate on them instead of the test split. */
  validation?: number;
  /** Train on the first n (remaining) training images only. */
  trainLimit?: number;
  /** Evaluate on the first n test (or validation) images only. */
  evalLimit?: number;
}

/** package.json's version (the command's code lives in dist/node/ or src/cli/: the package root is two folders up). */
export function espgpuVersion(): string {
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'espgpu' && manifest.version) return manifest.version;
    } catch {
      // not there: the next candidate
    }
  }
  return 'unversioned';
}

/**
 * The GEMM tile shape for this adapter: cached from an earlier run, else measured once
 * (about 15 s) and cached in ~/.cache/espgpu. `--no-tune` or ESPGPU_TUNE=0 keep the default.
 */
export async function tuneGemmForCommand(gpu: Gpu, tune: boolean, log: (line: string) => void): Promise<void> {
  const path = defaultTuningCachePath();
  const result = await tuneGemm(gpu, {
    enabled: tune && process.env.ESPGPU_TUNE !== '0',
    store: fileTuningStore(path),
    version: espgpuVersion(),
    onSearchStart: (n, budgetMs) => log(`espgpu: tuning the GEMM tile shape for this adapter (${n} candidates, up to ${budgetMs / 1000} s, once; --no-tune or ESPGPU_TUNE=0 skips)`),
  });
  if (result.source === 'measured') log(`espgpu: using ${describeGemmConfig(result.config)} (tuned in ${(result.elapsedMs / 1000).toFixed(1)} s, cached in ${path})`);
  if (result.storeError) log(`espgpu: could not cache the tuning: ${result.storeError}`);
}

/**
 * The images a command trains on and the ones it evaluates on: the test split, or with
 * `validation` the held-out end of the training split (the test set stays unseen).
 */
/** One split of a named dataset, or of the embedded Fashion-MNIST subset. */
export function loadSplit(dataset: DatasetName | 'embedded', dir: string | undefined, split: 'train' | 'test'): ImageDataset {
  if (dataset === 'embedded') return embeddedDataset(split);
  return loadDataset(dataset, { dir, split });
}

export function loadTrainingData(
  dataset: DatasetName | 'embedded', dir?: string, selection: DataSelection = {},
): { train: ImageDataset; test: ImageDataset; evaluatedOn: 'test' | 'validation' } {
  const train = loadSplit(dataset, dir, 'train');
  if (selection.validation === undefined) {
    const test = loadSplit(dataset, dir, 'test');
    return { train: firstImages(train, selection.trainLimit, `${dataset} train`), test: firstImages(test, selection.evalLimit, `${dataset} test`), evaluatedOn: 'test' };
  }
  const split = holdOut(train, selection.validation, `${dataset} train (--validation)`);
  return {
    train: firstImages(split.train, selection.trainLimit, `${dataset} train`),
    test: firstImages(split.validation, selection.evalLimit, `${dataset} validation`),
    evaluatedOn: 'validation',
  };
}

/**
 * The released suite's sets one corruption at a time, a damaged file becoming a set that is
 * named and not scored, so that the 14th of 15 corruptions cannot throw the whole report away.
 */
function* eachReadableSet(suite: CorruptionSuiteName, dir: string): Generator<CorruptedSetLike> {
  for (const corruption of suiteCorruptions(suite)) {
    try {
      yield* loadCorruptionSuite(suite, dir, { corruptions: [corruption] });
    } catch (error) {
      yield { corruption, severity: null, failure: (error as Error).message };
    }
  }
}

/**
 * Clean and corruption error of a trained classifier: the released suite from --suite-dir, or
 * the suite generated here from the test set (seed 0) when a generator exists for it.
 */
export async function evaluateSuite(
  classifier: Classifier, test: ImageDataset, args: SuiteArgs, normalization: AugmentationOptions['normalization'], log: (line: string) => void,
  clean?: ErrorRate,
): Promise<CorruptionReport | undefined> {
  if (!args.suite) return undefined;
  const generator = CORRUPTION_GENERATORS[args.suite];
  if (!args.suiteDir && !generator) throw new Error(`--suite ${args.suite} is not generated by espgpu yet: give --suite-dir with the released arrays`);
  const sets = args.suiteDir ? eachReadableSet(args.suite, args.suiteDir) : corruptedSets(test, generator!, { seed: 0, limit: args.suiteLimit });
  const predictor = classifierPredictor(classifier, { batchSize: 250, normalization });
  try {
    log(`evaluating ${clean ? 'the' : 'the clean images and the'} ${args.suite} suite${args.suiteDir ? ` in ${args.suiteDir}` : ''}…`);
    // A clean error measured already (the Trainer's, at the last epoch) is reported, not measured again.
    const report = await corruptionErrors(predictor, sets, clean ? {} : { clean: test });
    if (clean) report.clean = clean;
    log(corruptionReportMarkdown(report));
    return report;
  } finally {
    predictor.dispose();
  }
}
