// `espgpu eval`: a checkpoint's clean error on a dataset's test split and, with --suite, its
// corruption error. The model and the input normalisation come from the checkpoint itself.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { AugmentationOptions } from '../augment/pipeline.ts';
import { DATASET_NAMES, type DatasetName } from '../data/datasets.ts';
import { decodeSafetensors, decodeTrainingCheckpoint, CheckpointError } from '../io/checkpoint.ts';
import { createModel } from '../nn/models/index.ts';
import { Classifier } from '../train/classifier.ts';
import { classifierPredictor, cleanError } from '../train/evaluate.ts';
import { modelLayout, writeWeights } from '../train/weights.ts';
import { integerAtLeast } from './arguments.ts';
import { evaluateSuite, loadTrainingData, SUITE_NAMES, withGpu, type SuiteArgs } from './shared.ts';

interface EvalArgs extends SuiteArgs {
  checkpoint: string;
  dataset: DatasetName | 'embedded';
  dataDir?: string;
  json?: boolean;
  adapter?: string;
}

/** The model name and training settings a checkpoint records. */
function describeCheckpoint(bytes: Uint8Array, path: string): { model: string; seed: number; normalization: AugmentationOptions['normalization'] } {
  const { metadata } = decodeSafetensors(bytes, path);
  const settings = JSON.parse(metadata.settings ?? 'null') as { augmentation?: AugmentationOptions } | null;
  if (!metadata.model || !settings) throw new CheckpointError(path, 'no model name or training settings in the metadata: not an espgpu training checkpoint');
  return { model: metadata.model, seed: Number(metadata.seed ?? 0), normalization: settings.augmentation?.normalization };
}

export function addEvalCommand(program: Command): Command {
  return program
    .command('eval')
    .description("a checkpoint's clean error on a test set and, with --suite, its corruption error")
    .requiredOption('--checkpoint <file>', 'a safetensors checkpoint written by espgpu train')
    .addOption(new Option('--dataset <name>', 'dataset whose test split to use').choices([...DATASET_NAMES, 'embedded']).default('fashion-mnist'))
    .option('--data-dir <dir>', 'folder holding the dataset')
    .addOption(new Option('--suite <name>', 'corruption suite').choices(SUITE_NAMES))
    .option('--suite-dir <dir>', 'read the released suite from here instead of generating it from the test set')
    .option('--suite-limit <n>', 'generate the suite from the first n test images only', integerAtLeast('--suite-limit', 1))
    .option('--json', 'print the result as JSON')
    .option('--adapter <name>', 'pick the adapter whose name contains this')
    .action(async (args: EvalArgs) => {
      const bytes = new Uint8Array(readFileSync(args.checkpoint));
      const saved = describeCheckpoint(bytes, args.checkpoint);
      const { test } = loadTrainingData(args.dataset, args.dataDir);
      const log = args.json ? () => {} : (line: string) => console.log(line);
      await withGpu(args.adapter, async (gpu) => {
        const classifier = new Classifier(gpu, createModel(saved.model, { seed: saved.seed, classes: test.classes }), saved.seed, {
          momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0,
        });
        try {
          writeWeights(gpu, classifier.store, decodeTrainingCheckpoint(bytes, args.checkpoint, modelLayout(saved.model, classifier.store)));
          const predictor = classifierPredictor(classifier, { batchSize: 250, normalization: saved.normalization });
          const clean = await cleanError(predictor, test);
          predictor.dispose();
          log(`${saved.model} from ${args.checkpoint}: clean error ${clean.error.toFixed(2)}% on ${test.shape[0]} ${args.dataset} test images`);
          const corruption = await evaluateSuite(classifier, test, args, saved.normalization, log);
          if (args.json) console.log(JSON.stringify({ checkpoint: args.checkpoint, model: saved.model, dataset: args.dataset, clean, corruption }, null, 2));
        } finally {
          classifier.dispose();
        }
      });
    });
}
