// `espgpu train`: a recipe (preset plus overrides), a dataset, an augmentation method, and
// the Trainer with checkpoints, metrics, a progress bar on a terminal, a clean stop on Ctrl-C,
// and at the end the clean and corruption error. Exit codes: 0 done, 1 error, 130 stopped.
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { PERTURBATIONS, type AugmentationOptions } from '../augment/pipeline.ts';
import type { EspOptions } from '../augment/espSettings.ts';
import { DATASET_NAMES, type DatasetName } from '../data/datasets.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { nodeFileStore, writeFileAtomic } from '../io/atomicFile.ts';
import { curvesSvg, type CurvePoints } from '../io/curves.ts';
import { createModel } from '../nn/models/index.ts';
import { deadNetworkWatch } from '../train/deadNetwork.ts';
import { PRESET_NAMES, preset, type RecipeOverrides, type TrainingRecipe } from '../train/presets.ts';
import { Trainer } from '../train/trainer.ts';
import { integerAtLeast, nonNegativeNumber, positiveNumber } from './arguments.ts';
import { evaluateSuite, loadTrainingData, SUITE_NAMES, tuneGemmForCommand, withDeviceOptions, withGpu, withSuiteSourceOptions, type SuiteArgs } from './shared.ts';

interface TrainArgs extends SuiteArgs {
  preset: string;
  model?: string;
  dataset: DatasetName | 'embedded';
  dataDir?: string;
  validation?: number;
  trainLimit?: number;
  evalLimit?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  warmupEpochs?: number;
  seed: number;
  method: string;
  epsilon?: number;
  tau?: number;
  sigma?: number;
  gamma?: number;
  xi?: number;
  probability?: number;
  labelSmoothing?: number;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  metrics?: string;
  curve?: string;
  json?: boolean;
  adapter?: string;
  tune: boolean;
}

/** The preset with every option the user gave applied on top. */
function recipeOf(args: TrainArgs) {
  const overrides: RecipeOverrides = { augmentation: augmentationOf(args) };
  if (args.model) overrides.modelName = args.model;
  if (args.epochs) overrides.epochs = args.epochs;
  if (args.batch) overrides.batchSize = args.batch;
  if (args.lr) overrides.sgd = { lr: args.lr };
  if (args.warmupEpochs !== undefined) overrides.schedule = { warmupEpochs: args.warmupEpochs };
  return preset(args.preset, overrides);
}

function augmentationOf(args: TrainArgs): AugmentationOptions {
  const needsEpsilon = args.method !== 'none' && args.method !== 'augmix';
  if (needsEpsilon && args.epsilon === undefined) throw new Error(`--method ${args.method} needs --epsilon, the perturbation size in [0, 1] pixels`);
  const esp: EspOptions | undefined = args.epsilon === undefined ? undefined : {
    epsilon: args.epsilon, tau: args.tau, sigma: args.sigma, gamma: args.gamma, xi: args.xi, probability: args.probability,
  };
  return {
    method: args.method,
    esp,
    l2: args.epsilon === undefined ? undefined : { epsilon: args.epsilon, probability: args.probability },
    labelSmoothing: args.labelSmoothing,
  };
}

export function addTrainCommand(program: Command): Command {
  const command = program
    .command('train')
    .description('train a model on a dataset with ESP, L2 noise, AugMix or none; checkpoints, metrics, clean and corruption error')
    .addOption(new Option('--preset <name>', 'training recipe (ALGORITHMS.md §4)').choices(PRESET_NAMES).default('mnist'))
    .option('--model <name>', "architecture (default: the preset's): mnist-cnn, wrn-40-2, resnet18")
    .addOption(new Option('--dataset <name>', 'dataset ("embedded": the subset shipped in the package)').choices([...DATASET_NAMES, 'embedded']).default('fashion-mnist'))
    .option('--data-dir <dir>', 'folder holding the dataset (default: found via $ESPGPU_DATA_DIR or Debian\'s package)')
    .option('--validation <n>', 'hold out the last n training images and evaluate on them (and their corruptions) instead of the test set', integerAtLeast('--validation', 1))
    .option('--train-limit <n>', 'train on the first n training images only (after --validation)', integerAtLeast('--train-limit', 1))
    .option('--eval-limit <n>', 'evaluate on the first n test (or validation) images only', integerAtLeast('--eval-limit', 1))
    .option('--epochs <n>', "epochs (default: the preset's)", integerAtLeast('--epochs', 1))
    .option('--batch <n>', "batch size (default: the preset's)", integerAtLeast('--batch', 1))
    .option('--lr <rate>', "peak learning rate (default: the preset's)", positiveNumber('--lr'))
    .option('--warmup-epochs <n>', 'raise the learning rate linearly over the first n epochs (fractions allowed; default: the preset\'s, 0)', nonNegativeNumber('--warmup-epochs'))
    .option('--seed <n>', 'seed of weights, shuffles and augmentation', integerAtLeast('--seed', 0), 0)
    .option('--method <name>', `augmentation: ${PERTURBATIONS.join(', ')}, optionally "augmix+" in front`, 'none')
    .option('--epsilon <ε>', 'ESP mean perturbation size, or the L2 noise radius, in [0, 1] pixels', nonNegativeNumber('--epsilon'))
    .option('--tau <τ>', 'ESP half-width of the size interval (default ε)', positiveNumber('--tau'))
    .option('--sigma <σ>', 'ESP standard deviation of the size (default τ/2)', positiveNumber('--sigma'))
    .option('--gamma <γ>', 'ESP true-to-other label mass at the most smoothing (default 10)', positiveNumber('--gamma'))
    .option('--xi <ξ>', 'ESP smoothing floor, in (0, 1 − 1/C), instead of γ', positiveNumber('--xi'))
    .option('--probability <p>', 'chance of perturbing each sample (default 1)', nonNegativeNumber('--probability'))
    .option('--label-smoothing <α>', 'static label smoothing on top, in [0, 1)', nonNegativeNumber('--label-smoothing'))
    .option('--checkpoint <file>', 'safetensors checkpoint written at the end, on Ctrl-C, and every --checkpoint-every steps')
    .option('--checkpoint-every <n>', 'steps between checkpoints', integerAtLeast('--checkpoint-every', 1))
    .option('--resume <file>', 'continue the run that wrote this checkpoint (same settings)')
    .option('--metrics <file>', 'append JSON lines: start, step, epoch, checkpoint, done')
    .option('--curve <file.svg>', "write this session's loss and clean-error curves as SVG at the end")
    .addOption(new Option('--suite <name>', 'corruption suite for the final evaluation').choices(SUITE_NAMES))
    .option('--json', 'no progress output; print the result as JSON');
  return withDeviceOptions(withSuiteSourceOptions(command))
    .action(async (args: TrainArgs) => {
      const recipe = recipeOf(args);
      const { train, test, evaluatedOn } = loadTrainingData(args.dataset, args.dataDir, { validation: args.validation, trainLimit: args.trainLimit, evalLimit: args.evalLimit });
      await withGpu(args.adapter, async (gpu) => {
        await tuneGemmForCommand(gpu, args.tune, args.json ? () => {} : console.log);
        const status = await runTraining(gpu, args, recipe, train, test, evaluatedOn);
        if (status === 'aborted') process.exitCode = 130;
      });
    });
}

async function runTraining(gpu: Gpu, args: TrainArgs, recipe: TrainingRecipe, train: ImageDataset, test: ImageDataset, evaluatedOn: 'test' | 'validation') {
  const log = args.json ? () => {} : (line: string) => console.log(line);
  const checkpoint = args.checkpoint ?? args.resume;
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  const trainer = new Trainer(gpu, {
    ...recipe,
    model: (seed) => createModel(recipe.modelName, { seed, classes: train.classes }),
    dataset: train,
    testSet: test,
    seed: args.seed,
    checkpoint: checkpoint ? { path: checkpoint, everySteps: args.checkpointEvery } : undefined,
    resume: args.resume,
    metricsPath: args.metrics,
    files: nodeFileStore,
    signal: abort.signal,
  });
  log(`espgpu train: ${recipe.modelName} (${trainer.classifier.store.count.toLocaleString('en-US')} parameters) on ${args.dataset} ` +
    `(${train.shape[0]} train / ${test.shape[0]} ${evaluatedOn}), ${recipe.epochs} epochs × ${trainer.stepsPerEpoch} steps of ${recipe.batchSize}, method ${args.method}; ${gpu.esp.adapter.description}`);
  const bar = !args.json && process.stdout.isTTY ? new SingleBar({ format: 'epoch {epoch} [{bar}] {value}/{total} steps  loss {loss}  {speed} img/s  ETA {eta_formatted}' }) : undefined;
  bar?.start(trainer.totalSteps, 0, { epoch: 1, loss: '-', speed: '-' });
  trainer.on('step', (e) => {
    if (bar) bar.update(e.step + 1, { epoch: e.epoch + 1, loss: e.loss.toFixed(4), speed: e.imagesPerSecond.toFixed(0) });
    else log(`epoch ${e.epoch + 1} step ${e.step + 1}/${e.totalSteps}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toPrecision(3)}  ${e.imagesPerSecond.toFixed(0)} img/s  ETA ${Math.round(e.etaSeconds)} s`);
  });
  // The bar owns the terminal line: a message goes between two bars, the second from `value`.
  const printAboveBar = (print: () => void, value: number, payload: Record<string, unknown>) => {
    if (!bar) return print();
    bar.stop();
    print();
    bar.start(trainer.totalSteps, value, payload);
  };
  trainer.on('epoch', (e) => {
    const line = `epoch ${e.epoch + 1}/${e.epochs} in ${e.seconds.toFixed(1)} s${e.cleanError === undefined ? '' : `: clean error ${e.cleanError.toFixed(2)}%`}`;
    printAboveBar(() => log(line), e.step, { epoch: e.epoch + 2, loss: '-', speed: '-' });
  });
  trainer.on('checkpoint', (e) => {
    if (!bar) log(`checkpoint ${e.path} at step ${e.step}`);
  });
  const died = deadNetworkWatch(train.classes);
  trainer.on('step', (e) => {
    if (!died(e.loss)) return;
    const warning = `espgpu train: warning: the loss has stayed at ln ${train.classes} = ${Math.log(train.classes).toFixed(3)} up to step ${e.step + 1}: ` +
      'the network has most likely died and will not learn. A lower --lr or --warmup-epochs usually avoids it.';
    printAboveBar(() => console.error(warning), e.step + 1, { epoch: e.epoch + 1, loss: e.loss.toFixed(4), speed: e.imagesPerSecond.toFixed(0) });
  });
  const curves: CurvePoints = { loss: [], error: [] };
  trainer.on('step', (e) => (curves.loss as [number, number][]).push([e.step + 1, e.loss]));
  trainer.on('epoch', (e) => {
    if (e.cleanError !== undefined) (curves.error as [number, number][]).push([e.step, e.cleanError]);
  });
  try {
    const done = await trainer.run();
    bar?.stop();
    log(`${done.status} at step ${done.step}/${done.totalSteps} in ${done.seconds.toFixed(1)} s`);
    if (args.curve) {
      await writeFileAtomic(args.curve, new TextEncoder().encode(curvesSvg(curves, `${recipe.modelName} on ${args.dataset}, ${args.method}`)));
      log(`curves: ${args.curve}`);
    }
    const corruption = done.status === 'completed' && args.suite ? await evaluateSuite(trainer.classifier, test, args, recipe.augmentation.normalization, log) : undefined;
    if (args.json) console.log(JSON.stringify({ model: recipe.modelName, dataset: args.dataset, evaluatedOn, trainImages: train.shape[0], method: args.method, recipe, done, corruption }, null, 2));
    return done.status;
  } finally {
    bar?.stop();
    process.off('SIGINT', onInterrupt);
    trainer.dispose();
  }
}
