// Issue 8, experiment 6: a CIFAR-style sanity run. It trains WRN-40-2 with the `cifar` preset
// (Nesterov SGD, cosine schedule, flip + 4-pixel crop, [-1, 1] inputs) on 32×32×3 images for a
// short schedule, then scores the clean test images and CIFAR-10-C generated from the first of
// them (15 corruptions × 5 severities), all through the `espgpu train` command, to show the
// pipeline runs end to end at that size. Without --data-dir it trains on a synthetic stand-in
// written in CIFAR-10's binary format (syntheticCifar.ts), generated once into
// <work>/cifar-synthetic/ and reused while its settings match. With --data-dir pointing at the
// real CIFAR-10 binary batches the same script runs on them, and --full runs the paper's recipe:
// the preset's own epochs and batch, every image, the whole generated suite.
//
// Resumable like the study: the run checkpoints every 20 steps under <work>/cifar-sanity/, named
// by its settings, and a rerun with the same settings continues from the checkpoint; once
// <out>/result.json holds the finished run, a rerun does nothing. result.json records the
// settings, the data (synthetic or not, and the generator's settings), the command, the wall
// seconds of the last session and the command's JSON output; metrics.jsonl and curve.svg sit
// beside it.
//
//   node dist/experiments/cifarSanity.js                                  # synthetic, 2000 + 500 images, 1 epoch
//   node dist/experiments/cifarSanity.js --out /tmp/tiny --train-images 64 --test-images 32 --suite-limit 2 --batch 16
//   node dist/experiments/cifarSanity.js --data-dir ~/data/cifar-10-batches-bin          # real data, same short run
//   node dist/experiments/cifarSanity.js --data-dir ~/data/cifar-10-batches-bin --full   # the paper's recipe
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { integerAtLeast, nonNegativeNumber, positiveNumber } from '../options.ts';
import { writeFileAtomicSync } from '../../src/io/atomicFile.ts';
import { espgpu } from '../study/runner.ts';
import { existingSyntheticCifar, writeSyntheticCifar, type SyntheticCifarMarker, type SyntheticCifarSettings } from './syntheticCifar.ts';

interface Options {
  dataDir?: string;
  out: string;
  work: string;
  cli: string;
  trainImages: number;
  testImages: number;
  suiteLimit: number;
  epochs: number;
  batch: number;
  method: string;
  epsilon: number;
  gamma: number;
  seed: number;
  full?: boolean;
}

/** The synthetic set's own seed: the same images whatever --seed the training uses. */
const DATA_SEED = 0;
/** Options that --full replaces by the preset's recipe and the whole data set. */
const SHORT_RUN_OPTIONS = ['trainImages', 'testImages', 'suiteLimit', 'epochs', 'batch'] as const;
const CHECKPOINT_EVERY = 20;
const PROGRESS_SECONDS = 60;

const log = (line: string) => console.log(`[cifar-sanity ${new Date().toISOString().slice(11, 19)}] ${line}`);
const encode = (text: string) => new TextEncoder().encode(text);

interface DataSource {
  dir: string;
  synthetic?: SyntheticCifarMarker;
}

/** The real set when --data-dir is given, else the synthetic one (written unless already there). */
function dataSource(o: Options): DataSource {
  if (o.dataDir !== undefined) {
    if (!existsSync(o.dataDir)) throw new Error(`--data-dir ${o.dataDir}: folder not found (expected CIFAR-10's binary batches, data_batch_1.bin … test_batch.bin)`);
    return { dir: o.dataDir };
  }
  const dir = join(o.work, 'cifar-synthetic');
  const settings: SyntheticCifarSettings = { seed: DATA_SEED, trainImages: o.trainImages, testImages: o.testImages };
  const existing = existingSyntheticCifar(dir, settings);
  if (existing) {
    log(`reusing the synthetic CIFAR-10 set in ${dir}`);
    return { dir, synthetic: existing };
  }
  log(`writing a synthetic CIFAR-10 set (${o.trainImages} train, ${o.testImages} test images) to ${dir}`);
  return { dir, synthetic: writeSyntheticCifar(dir, settings) };
}

const usesEpsilon = (method: string) => /esp|l2/.test(method);
/** ESP with label smoothing (esp-hard keeps hard labels, so γ means nothing to it). */
const usesGamma = (method: string) => method === 'esp' || method.endsWith('+esp');

/** The `espgpu train` arguments, without the checkpoint ones. */
function trainArgs(o: Options, data: DataSource): string[] {
  const args = ['train', '--preset', 'cifar', '--model', 'wrn-40-2', '--dataset', 'cifar10', '--data-dir', data.dir, '--method', o.method, '--seed', String(o.seed)];
  if (usesEpsilon(o.method)) args.push('--epsilon', String(o.epsilon));
  if (usesGamma(o.method)) args.push('--gamma', String(o.gamma));
  if (!o.full) {
    args.push('--epochs', String(o.epochs), '--batch', String(o.batch), '--train-limit', String(o.trainImages), '--eval-limit', String(o.testImages));
    args.push('--suite-limit', String(o.suiteLimit));
  }
  args.push('--suite', 'cifar10-c', '--metrics', join(o.out, 'metrics.jsonl'), '--curve', join(o.out, 'curve.svg'), '--checkpoint-every', String(CHECKPOINT_EVERY), '--json');
  return args;
}

/** One checkpoint per setting, so runs with other settings never resume each other's. */
function runName(o: Options, data: DataSource): string {
  const schedule = o.full ? 'full' : `e${o.epochs}-b${o.batch}-n${o.trainImages}-t${o.testImages}-s${o.suiteLimit}`;
  return `${o.method}-eps${o.epsilon}-gamma${o.gamma}-seed${o.seed}-${schedule}-${data.synthetic ? 'synthetic' : 'cifar10'}`;
}

/** Logs the latest step of the metrics file once a minute while the run trains; returns the stop. */
function watchProgress(metrics: string): () => void {
  let last = -1;
  const timer = setInterval(() => {
    if (!existsSync(metrics)) return;
    const line = readFileSync(metrics, 'utf8').trimEnd().split('\n').filter((l) => l.startsWith('{"event":"step"')).pop();
    if (!line) return;
    const step = JSON.parse(line) as { step: number; totalSteps: number; loss: number; etaSeconds: number };
    if (step.step === last) return;
    last = step.step;
    log(`step ${step.step + 1}/${step.totalSteps}  loss ${step.loss.toFixed(4)}  about ${Math.round(step.etaSeconds / 60)} min of training left`);
  }, PROGRESS_SECONDS * 1000);
  return () => clearInterval(timer);
}

interface TrainOutput {
  done: { status: string; step: number; totalSteps: number };
  corruption?: { clean?: { error: number }; meanCorruptionError: number };
}

/** Refuses combinations the options alone do not catch; `given` says which the user typed. */
function checkOptions(o: Options, given: (name: string) => boolean): void {
  if (o.full) {
    if (o.dataDir === undefined) throw new Error('--full runs the paper\'s recipe on the real CIFAR-10: give --data-dir with its binary batches (the synthetic set is only for the short sanity run)');
    const clash = SHORT_RUN_OPTIONS.filter(given);
    if (clash.length) throw new Error(`--full uses the cifar preset's epochs and batch and every image: drop ${clash.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  } else if (o.suiteLimit > o.testImages) {
    throw new Error(`--suite-limit ${o.suiteLimit} is more than --test-images ${o.testImages}: the suite is generated from the evaluated test images`);
  }
}

/** The run's settings as result.json states them: only those that apply to the method and mode. */
function settingsOf(o: Options) {
  return {
    model: 'wrn-40-2', preset: 'cifar', method: o.method, seed: o.seed, full: o.full === true,
    ...(usesEpsilon(o.method) ? { epsilon: o.epsilon } : {}),
    ...(o.method.includes('esp') ? { tau: o.epsilon, sigma: o.epsilon / 2 } : {}),
    ...(usesGamma(o.method) ? { gamma: o.gamma } : {}),
    ...(o.full ? {} : { epochs: o.epochs, batch: o.batch, trainImages: o.trainImages, testImages: o.testImages, suiteLimit: o.suiteLimit }),
  };
}

async function run(o: Options, given: (name: string) => boolean): Promise<void> {
  checkOptions(o, given);
  const data = dataSource(o);
  const name = runName(o, data);
  const result = join(o.out, 'result.json');
  if (existsSync(result) && (JSON.parse(readFileSync(result, 'utf8')) as { run?: string }).run === name) {
    log(`${result} already holds this run (${name}); delete it to evaluate again`);
    return;
  }
  const checkpoint = join(o.work, 'cifar-sanity', `${name}.safetensors`);
  const resuming = existsSync(checkpoint);
  // A fresh run's metrics must not follow an older run's lines.
  if (!resuming) rmSync(join(o.out, 'metrics.jsonl'), { force: true });
  const args = [...trainArgs(o, data), ...(resuming ? ['--resume', checkpoint] : ['--checkpoint', checkpoint])];
  log(`${resuming ? 'resuming from' : 'starting; checkpoints in'} ${checkpoint}`);
  log(`node ${o.cli} ${args.join(' ')}`);
  const started = performance.now();
  const stopWatching = watchProgress(join(o.out, 'metrics.jsonl'));
  let stdout: string;
  try {
    stdout = await espgpu({ cli: o.cli }, args, log);
  } finally {
    stopWatching();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const output = JSON.parse(stdout) as TrainOutput;
  if (output.done.status !== 'completed') throw new Error(`the run stopped (${output.done.status}) at step ${output.done.step} of ${output.done.totalSteps}; rerun to resume`);
  const record = {
    run: name,
    settings: settingsOf(o),
    data: { dir: data.dir, synthetic: data.synthetic !== undefined, generator: data.synthetic },
    command: ['node', o.cli, ...args],
    checkpoint, resumed: resuming, wallSeconds, output,
  };
  writeFileAtomicSync(result, encode(JSON.stringify(record, null, 2) + '\n'));
  const percent = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(2)}%`);
  log(`done in ${wallSeconds.toFixed(0)} s: clean error ${percent(output.corruption?.clean?.error)}, mean corruption error ${percent(output.corruption?.meanCorruptionError)}`);
  log(`wrote ${result}`);
}

const program = new Command('cifar-sanity')
  .description('WRN-40-2 on 32×32×3 data for a short schedule, with CIFAR-10-C at the end (issue 8, experiment 6)')
  .showHelpAfterError()
  .option('--data-dir <dir>', 'the real CIFAR-10 binary batches (default: a synthetic stand-in, generated into <work>/cifar-synthetic/)')
  .option('--out <dir>', 'result.json, metrics.jsonl and curve.svg', 'experiments/results/cifar-sanity')
  .option('--work <dir>', 'checkpoints and the synthetic set (not committed)', 'experiments/work')
  .option('--cli <file>', 'the espgpu command', 'dist/cli.js')
  .option('--train-images <n>', 'train on the first n training images (synthetic: the set\'s size)', integerAtLeast('--train-images', 5), 2000)
  .option('--test-images <n>', 'evaluate on the first n test images', integerAtLeast('--test-images', 1), 500)
  .option('--suite-limit <n>', 'generate CIFAR-10-C from the first n test images', integerAtLeast('--suite-limit', 1), 20)
  .option('--epochs <n>', 'epochs', integerAtLeast('--epochs', 1), 1)
  .option('--batch <n>', 'batch size', integerAtLeast('--batch', 1), 32)
  .option('--method <name>', 'augmentation, as espgpu train --method', 'esp')
  .option('--epsilon <ε>', 'perturbation size (ESP: τ = ε, σ = ε/2)', nonNegativeNumber('--epsilon'), 1)
  .option('--gamma <γ>', 'ESP true-to-other label mass at the most smoothing', positiveNumber('--gamma'), 10)
  .option('--seed <n>', 'seed of weights, shuffles and augmentation', integerAtLeast('--seed', 0), 0)
  .option('--full', 'real data only: the paper\'s recipe (the preset\'s epochs and batch, every image, the whole suite)')
  .action((o: Options) => run(o, (name) => program.getOptionValueSource(name) === 'cli'));

program.parseAsync().catch((error: Error) => {
  console.error(`cifar-sanity: ${error.message}`);
  process.exit(1);
});
