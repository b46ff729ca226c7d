// `espgpu eval`: a checkpoint's clean error on a dataset's test split and, with --suite, its
// corruption error. The model and the input normalisation come from the checkpoint itself.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { AugmentationOptions } from '../augment/pipeline.ts';
import { DATASET_NAMES, loadCorruptionSuite, type DatasetName } from '../data/datasets.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { decodeSafetensors, decodeTrainingCheckpoint, CheckpointError } from '../io/checkpoint.ts';
import { createModel } from '../nn/models/index.ts';
import { Classifier } from '../train/classifier.ts';
import { classifierPredictor, cleanError } from '../train/evaluate.ts';
import { firstNonFinite } from '../train/trainer.ts';
import { modelLayout, writeWeights } from '../train/weights.ts';
import { integerAtLeast } from './arguments.ts';
import { warnUnscored } from './runTraining.ts';
import { evaluateSuite, loadTrainingData, SUITE_NAMES, tuneGemmForCommand, withDeviceOptions, withGpu, withSuiteSourceOptions, type SuiteArgs } from './shared.ts';

interface EvalArgs extends SuiteArgs {
  checkpoint: string;
  dataset: DatasetName | 'embedded';
  dataDir?: string;
  validation?: number;
  json?: boolean;
  allowNonFinite?: boolean;
  adapter?: string;
  tune: boolean;
}

/** What a checkpoint records about its run that evaluation needs. */
export interface SavedRun {
  model: string;
  seed: number;
  normalization: AugmentationOptions['normalization'];
}

/** The model name and training settings a checkpoint records (read before any GPU work, to fail early). */
export function describeCheckpoint(bytes: Uint8Array, path: string): SavedRun {
  const { metadata } = decodeSafetensors(bytes, path);
  const settings = JSON.parse(metadata.settings ?? 'null') as { augmentation?: AugmentationOptions } | null;
  if (!metadata.model || !settings) throw new CheckpointError(path, 'no model name or training settings in the metadata: not an espgpu training checkpoint');
  return { model: metadata.model, seed: Number(metadata.seed ?? 0), normalization: settings.augmentation?.normalization };
}

/** The checkpoint's model on `gpu` with its weights and batch-norm statistics, for evaluation (no optimizer). Caller disposes. */
export function checkpointClassifier(gpu: Gpu, bytes: Uint8Array, path: string, saved: SavedRun, classes: number, allowNonFinite = false): Classifier {
  const classifier = new Classifier(gpu, createModel(saved.model, { seed: saved.seed, classes }), saved.seed, {
    momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0,
  });
  try {
    const weights = decodeTrainingCheckpoint(bytes, path, modelLayout(saved.model, classifier.store));
    // A diverged network's error is meaningless (all-NaN logits all pick class 0).
    const bad = allowNonFinite ? undefined : firstNonFinite({ parameters: weights.parameters, state: weights.state });
    if (bad) throw new CheckpointError(path, `holds ${bad}: its predictions would mean nothing (--allow-non-finite evaluates it anyway)`);
    writeWeights(gpu, classifier.store, weights);
    return classifier;
  } catch (error) {
    classifier.dispose();
    throw error;
  }
}

export function addEvalCommand(program: Command): Command {
  const command = program
    .command('eval')
    .description("a checkpoint's clean error on a test set and, with --suite, its corruption error")
    .requiredOption('--checkpoint <file>', 'a safetensors checkpoint written by espgpu train')
    .addOption(new Option('--dataset <name>', 'dataset whose test split to use').choices([...DATASET_NAMES, 'embedded']).default('fashion-mnist'))
    .option('--data-dir <dir>', 'folder holding the dataset')
    .option('--validation <n>', 'evaluate on the last n training images (the split `train --validation n` held out) instead of the test set', integerAtLeast('--validation', 1))
    .addOption(new Option('--suite <name>', 'corruption suite').choices(SUITE_NAMES))
    .option('--allow-non-finite', 'evaluate a checkpoint holding NaN or ±Inf weights (refused by default)')
    .option('--json', 'print the result as JSON');
  return withDeviceOptions(withSuiteSourceOptions(command))
    .action(async (args: EvalArgs) => {
      const bytes = new Uint8Array(readFileSync(args.checkpoint));
      const saved = describeCheckpoint(bytes, args.checkpoint);
      // Before the data and the device: every file of the suite is there.
      if (args.suite && args.suiteDir) loadCorruptionSuite(args.suite, args.suiteDir);
      const { test, evaluatedOn } = loadTrainingData(args.dataset, args.dataDir, { validation: args.validation });
      const log = args.json ? () => {} : (line: string) => console.log(line);
      await withGpu(args.adapter, async (gpu) => {
        await tuneGemmForCommand(gpu, args.tune, log);
        const classifier = checkpointClassifier(gpu, bytes, args.checkpoint, saved, test.classes, args.allowNonFinite);
        try {
          const predictor = classifierPredictor(classifier, { batchSize: 250, normalization: saved.normalization });
          const clean = await cleanError(predictor, test);
          predictor.dispose();
          log(`${saved.model} from ${args.checkpoint}: clean error ${clean.error.toFixed(2)}% on ${test.shape[0]} ${args.dataset} ${evaluatedOn} images`);
          const corruption = await evaluateSuite(classifier, test, args, saved.normalization, log);
          if (args.json) console.log(JSON.stringify({ checkpoint: args.checkpoint, model: saved.model, dataset: args.dataset, evaluatedOn, clean, corruption }, null, 2));
          process.exitCode = warnUnscored('espgpu eval', corruption);
        } finally {
          classifier.dispose();
        }
      });
    });
}
