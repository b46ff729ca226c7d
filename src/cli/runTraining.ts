// Runs a resolved RunSpec from the command line — `train` and `demo` alike: reads the data,
// checks it against the spec, then on the device trains with the Trainer (checkpoints,
// metrics, a progress bar on a terminal, a clean stop on Ctrl-C) and evaluates the clean and
// corruption error. Returns the run's status; the JSON result goes to stdout with `json`.
import { SingleBar } from 'cli-progress';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { nodeFileStore, writeFileAtomic } from '../io/atomicFile.ts';
import { curvesSvg, type CurvePoints } from '../io/curves.ts';
import { createModel } from '../nn/models/index.ts';
import { deadNetworkWatch } from '../train/deadNetwork.ts';
import type { CorruptionReport, ErrorRate } from '../train/evaluate.ts';
import { checkRunData, runWarnings, type ResolvedRun } from '../train/runSpec.ts';
import { Trainer } from '../train/trainer.ts';
import { modelLayout } from '../train/weights.ts';
import { checkWeightsFile } from '../train/weightsFile.ts';
import { preflight, type Preflight } from './preflight.ts';
import { evaluateSuite, loadTrainingData, tuneGemmForCommand, withGpu } from './shared.ts';

export interface RunDisplay {
  /** The command's name in the first line, e.g. "espgpu train". */
  title: string;
  /** No progress output; the result as JSON on stdout. */
  json?: boolean;
  adapter?: string;
  tune: boolean;
}

/** The exit code of a run stopped by `signal`: 128 + its number, as shells report it. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

export interface RunOutcome {
  status: 'completed' | 'aborted';
  /** The exit code the command should end with: 0, or 128 + the signal that stopped it. */
  exitCode: number;
}

export async function runTraining(run: ResolvedRun, display: RunDisplay): Promise<RunOutcome> {
  const { initialWeights } = preflight(run);
  const { train, test, evaluatedOn } = loadTrainingData(run.data.dataset, run.data.dir, run.data);
  checkRunData(run, train);
  for (const warning of runWarnings(run, train)) console.error(`${display.title}: warning: ${warning}`);
  // Weights that do not fit the model fail here, before the device and the GEMM tuning.
  const { modelName } = run.recipe;
  if (initialWeights) checkWeightsFile(initialWeights.bytes, initialWeights.source, modelLayout(modelName, createModel(modelName, { seed: run.seed, classes: train.classes })));
  return withGpu(display.adapter, async (gpu) => {
    await tuneGemmForCommand(gpu, display.tune, display.json ? () => {} : console.log);
    return trainOnDevice(gpu, run, display, { train, test, evaluatedOn }, initialWeights);
  });
}

interface RunData {
  train: ImageDataset;
  test: ImageDataset;
  evaluatedOn: 'test' | 'validation';
}

async function trainOnDevice(gpu: Gpu, run: ResolvedRun, display: RunDisplay, { train, test, evaluatedOn }: RunData, initialWeights: Preflight['initialWeights']) {
  const { recipe, outputs } = run;
  const log = display.json ? () => {} : (line: string) => console.log(line);
  // SIGINT, SIGTERM (timeout, docker, systemd, SLURM) and SIGHUP stop at the next step
  // boundary with a checkpoint; once training is over, they end the evaluation at once.
  const abort = new AbortController();
  let stoppedBy: StopSignal | undefined;
  let evaluating = false;
  const onSignal = (signal: StopSignal) => {
    stoppedBy ??= signal;
    if (!evaluating) return abort.abort();
    console.error(`${display.title}: ${signal} during the final evaluation: stopped; the checkpoint is complete`);
    process.exit(SIGNAL_EXIT_CODES[signal]);
  };
  const signals = Object.keys(SIGNAL_EXIT_CODES) as StopSignal[];
  for (const signal of signals) process.on(signal, onSignal);
  const trainer = new Trainer(gpu, {
    ...recipe,
    model: (seed) => createModel(recipe.modelName, { seed, classes: train.classes }),
    dataset: train,
    testSet: test,
    seed: run.seed,
    checkpoint: outputs.checkpoint ? { path: outputs.checkpoint, everySteps: outputs.checkpointEvery } : undefined,
    resume: outputs.resume,
    initialWeights,
    allowNonFinite: outputs.allowNonFinite,
    metricsPath: outputs.metrics,
    files: nodeFileStore,
    signal: abort.signal,
  });
  log(`${display.title}: ${recipe.modelName} (${trainer.classifier.store.count.toLocaleString('en-US')} parameters) on ${run.data.dataset} ` +
    `(${train.shape[0]} train / ${test.shape[0]} ${evaluatedOn})${initialWeights ? ` from ${initialWeights.source}` : ''}, ${recipe.epochs} epochs × ${trainer.stepsPerEpoch} steps of ${recipe.batchSize}, method ${describeMethod(run)}; ${gpu.acquired.adapter.description}`);
  const bar = !display.json && process.stdout.isTTY ? new SingleBar({ format: 'epoch {epoch} [{bar}] {value}/{total} steps  loss {loss}  {speed} img/s  ETA {eta_formatted}' }) : undefined;
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
  // The last epoch's clean error is a result: the suite's report prints it, once.
  const reportFollows = outputs.suite !== undefined;
  trainer.on('epoch', (e) => {
    const shown = e.cleanError !== undefined && !(reportFollows && e.epoch === e.epochs - 1);
    const line = `epoch ${e.epoch + 1}/${e.epochs} in ${e.seconds.toFixed(1)} s${shown ? `: clean error ${e.cleanError!.toFixed(2)}%` : ''}`;
    printAboveBar(() => log(line), e.step, { epoch: e.epoch + 2, loss: '-', speed: '-' });
  });
  trainer.on('checkpoint', (e) => {
    if (!bar) log(`checkpoint ${e.path} at step ${e.step}`);
  });
  const died = deadNetworkWatch(train.classes);
  trainer.on('step', (e) => {
    if (!died(e.loss)) return;
    const warning = `${display.title}: warning: the loss has stayed at ln ${train.classes} = ${Math.log(train.classes).toFixed(3)} up to step ${e.step + 1}: ` +
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
    evaluating = true;
    bar?.stop();
    log(`${done.status} at step ${done.step}/${done.totalSteps} in ${done.seconds.toFixed(1)} s`);
    if (outputs.curve) {
      await writeFileAtomic(outputs.curve, new TextEncoder().encode(curvesSvg(curves, `${recipe.modelName} on ${run.data.dataset}, ${run.method}`)));
      log(`curves: ${outputs.curve}`);
    }
    const suite = { suite: outputs.suite, suiteDir: outputs.suiteDir, suiteLimit: outputs.suiteLimit };
    // The Trainer measured the clean error at the last epoch: the report reuses it rather than evaluating the test set again.
    const clean = done.cleanError === undefined ? undefined : errorRateOf(done.cleanError, test.shape[0]);
    const corruption = done.status === 'completed' ? await evaluateSuite(trainer.classifier, test, suite, recipe.augmentation.normalization, log, clean) : undefined;
    if (display.json) {
      const result = { model: recipe.modelName, dataset: run.data.dataset, evaluatedOn, trainImages: train.shape[0], method: run.method, seed: run.seed, recipe, done, corruption };
      console.log(JSON.stringify(result, null, 2));
    }
    return { status: done.status, exitCode: stoppedBy ? SIGNAL_EXIT_CODES[stoppedBy] : warnUnscored(display.title, corruption) };
  } finally {
    bar?.stop();
    for (const signal of signals) process.off(signal, onSignal);
    trainer.dispose();
  }
}

/** The ErrorRate of an error in % over `count` images (the Trainer reports only the percentage). */
function errorRateOf(error: number, count: number): ErrorRate {
  const errors = Math.round((error * count) / 100);
  return { errors, count, error: (100 * errors) / count };
}

/** Exit code 2 when some corruption sets could not be read: the rest were scored and reported. */
export function warnUnscored(title: string, report: CorruptionReport | undefined): number {
  if (!report?.unscored?.length) return 0;
  console.error(`${title}: ${report.unscored.length} corruption set(s) could not be read and are not in the means: ${report.unscored.map((u) => u.corruption).join(', ')}`);
  return 2;
}

function describeMethod({ method, recipe: { augmentation: a } }: ResolvedRun): string {
  const parts = [method];
  if (a.esp) parts.push(`ε = ${a.esp.epsilon}, τ = ${a.esp.tau ?? a.esp.epsilon}, ${a.esp.xi === undefined ? `γ = ${a.esp.gamma ?? 10}` : `ξ = ${a.esp.xi}`}`);
  if (a.l2) parts.push(`ε = ${a.l2.epsilon}`);
  if (a.labelSmoothing) parts.push(`label smoothing ${a.labelSmoothing}`);
  return parts.join(', ');
}
