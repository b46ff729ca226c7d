// `espgpu train`: a RunSpec from the flags, or from a JSON file (--spec) with any flags given
// on top, resolved and checked before anything is read or the device is touched, then run by
// runTraining.ts. Exit codes: 0 done, 1 error, 130 / 143 / 129 stopped by SIGINT / SIGTERM / SIGHUP.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { definedFields, PRESET_NAMES, type PresetName } from '../train/presets.ts';
import { resolveRunSpec, RUN_DATASETS, type DataSpec, type OutputSpec, type RunDataset, type RunSpec } from '../train/runSpec.ts';
import { checkObject } from '../validate.ts';
import { integerAtLeast, nonNegativeNumber, positiveNumber } from './arguments.ts';
import { augmentationFromArgs, withAugmentationOptions, type AugmentationArgs } from './augmentationOptions.ts';
import { runTraining } from './runTraining.ts';
import { SUITE_NAMES, withDeviceOptions, withSuiteSourceOptions, type SuiteArgs } from './shared.ts';

interface TrainArgs extends SuiteArgs, AugmentationArgs {
  spec?: string;
  preset?: PresetName;
  model?: string;
  dataset?: RunDataset;
  dataDir?: string;
  validation?: number;
  trainLimit?: number;
  evalLimit?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  warmupEpochs?: number;
  seed?: number;
  initWeights?: string;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  allowNonFinite?: boolean;
  metrics?: string;
  curve?: string;
  json?: boolean;
  adapter?: string;
  tune: boolean;
}

/** A RunSpec file: JSON, an object, its errors naming the file. Its fields are checked by resolveRunSpec. */
export function readRunSpecFile(path: string): RunSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`--spec ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new Error(`--spec ${path}: not JSON (${(error as Error).message})`);
  }
  return checkObject(`--spec ${path}`, 'the file', spec) as RunSpec;
}

/** The spec file's fields with every flag that was given on top. */
export function runSpecOf(args: TrainArgs, file: RunSpec = {}): RunSpec {
  const data: DataSpec = { ...file.data, ...definedFields({ dataset: args.dataset, dir: args.dataDir, validation: args.validation, trainLimit: args.trainLimit, evalLimit: args.evalLimit }) };
  const outputs: OutputSpec = {
    ...file.outputs,
    ...definedFields({ checkpoint: args.checkpoint, checkpointEvery: args.checkpointEvery, resume: args.resume, allowNonFinite: args.allowNonFinite, metrics: args.metrics, curve: args.curve, suite: args.suite, suiteDir: args.suiteDir, suiteLimit: args.suiteLimit }),
  };
  const schedule = args.warmupEpochs === undefined ? file.schedule : { ...file.schedule, warmupEpochs: args.warmupEpochs };
  return {
    ...file,
    ...definedFields({ preset: args.preset, model: args.model, epochs: args.epochs, batchSize: args.batch, lr: args.lr, seed: args.seed, initWeights: args.initWeights, schedule }),
    augmentation: augmentationFromArgs(args, file.augmentation),
    data,
    outputs,
  };
}

export function addTrainCommand(program: Command): Command {
  const command = program
    .command('train')
    .description('train a model on a dataset with ESP, L2 noise, AugMix or none; checkpoints, metrics, clean and corruption error')
    .option('--spec <file.json>', 'a RunSpec (recipe, augmentation, seed, data, outputs) as JSON; flags given here override its fields')
    .addOption(new Option('--preset <name>', 'training recipe (ALGORITHMS.md §4; default mnist)').choices(PRESET_NAMES))
    .option('--model <name>', "architecture (default: the preset's): mnist-cnn, wrn-40-2, resnet18")
    .addOption(new Option('--dataset <name>', 'dataset ("embedded": the subset shipped in the package; default fashion-mnist)').choices([...RUN_DATASETS]))
    .option('--data-dir <dir>', 'folder holding the dataset (default: found via $ESPGPU_DATA_DIR or Debian\'s package)')
    .option('--validation <n>', 'hold out the last n training images and evaluate on them (and their corruptions) instead of the test set', integerAtLeast('--validation', 1))
    .option('--train-limit <n>', 'train on the first n training images only (after --validation)', integerAtLeast('--train-limit', 1))
    .option('--eval-limit <n>', 'evaluate on the first n test (or validation) images only', integerAtLeast('--eval-limit', 1))
    .option('--epochs <n>', "epochs (default: the preset's)", integerAtLeast('--epochs', 1))
    .option('--batch <n>', "batch size (default: the preset's)", integerAtLeast('--batch', 1))
    .option('--lr <rate>', "peak learning rate (default: the preset's)", positiveNumber('--lr'))
    .option('--warmup-epochs <n>', 'raise the learning rate linearly over the first n epochs (fractions allowed; default: the preset\'s, 0)', nonNegativeNumber('--warmup-epochs'))
    .option('--seed <n>', 'seed of weights, shuffles and augmentation (default 0)', integerAtLeast('--seed', 0))
    .option('--init-weights <file>', 'start from these weights (plain safetensors: `espgpu export`, or PyTorch\'s save_file of a state_dict) to fine-tune them');
  withAugmentationOptions(command, { method: 'none' })
    .option('--checkpoint <file>', 'safetensors checkpoint written at the end, on Ctrl-C, and every --checkpoint-every steps')
    .option('--checkpoint-every <n>', 'steps between checkpoints', integerAtLeast('--checkpoint-every', 1))
    .option('--resume <file>', 'continue the run that wrote this checkpoint (same settings)')
    .option('--allow-non-finite', 'resume from a checkpoint holding NaN or ±Inf values (refused by default)')
    .option('--metrics <file>', 'append JSON lines: start, step, epoch, checkpoint, done')
    .option('--curve <file.svg>', "write this session's loss and clean-error curves as SVG at the end")
    .addOption(new Option('--suite <name>', 'corruption suite for the final evaluation').choices(SUITE_NAMES))
    .option('--json', 'no progress output; print the result as JSON');
  return withDeviceOptions(withSuiteSourceOptions(command)).action(async (args: TrainArgs) => {
    const file = args.spec ? readRunSpecFile(args.spec) : undefined;
    const run = resolveRunSpec(runSpecOf(args, file), args.spec ? `--spec ${args.spec}` : 'train');
    const { exitCode } = await runTraining(run, { title: 'espgpu train', json: args.json, adapter: args.adapter, tune: args.tune });
    process.exitCode = exitCode;
  });
}
