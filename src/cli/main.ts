// The `espgpu` command: `info` describes the WebGPU adapter, `demo` trains the MNIST CNN
// on the embedded Fashion-MNIST subset (ESP by default) and reports clean and corruption
// error; `train`, `eval` and `corrupt` live in their own files.
import { Command } from 'commander';
import { parseMethod, PERTURBATIONS, type AugmentationOptions } from '../augment/pipeline.ts';
import { resolveEspSettings } from '../augment/espSettings.ts';
import { checkSmoothing } from '../augment/labelSmoothing.ts';
import { mnistCnn } from '../nn/models/mnistCnn.ts';
import { cosineSchedule } from '../optim/schedules.ts';
import { Classifier } from '../train/classifier.ts';
import { fit } from '../train/fit.ts';
import { integerAtLeast, nonNegativeNumber, positiveNumber } from './arguments.ts';
import { addCorruptCommand } from './corruptCommand.ts';
import { addDownloadCommand } from './downloadCommand.ts';
import { addEvalCommand } from './evalCommand.ts';
import { addFlatnessCommand } from './flatnessCommand.ts';
import { evaluateSuite, loadTrainingData, tuneGemmForCommand, withDeviceOptions, withGpu } from './shared.ts';
import { addTrainCommand } from './trainCommand.ts';

const program = new Command('espgpu').description('Train image classifiers on any WebGPU device').showHelpAfterError();

program
  .command('info')
  .description('describe the WebGPU adapter and the limits espgpu got')
  .option('--adapter <name>', 'pick the adapter whose name contains this (also $ESPGPU_ADAPTER)')
  .option('--json', 'print JSON')
  .action(async (opts: { adapter?: string; json?: boolean }) => {
    await withGpu(opts.adapter, async (gpu) => {
      const info = { adapter: gpu.esp.adapter, limits: gpu.esp.limits, features: [...gpu.esp.features].sort() };
      if (opts.json) console.log(JSON.stringify(info, null, 2));
      else {
        const a = info.adapter;
        console.log(`adapter   ${a.vendor} ${a.architecture} — ${a.description}${a.isSoftware ? ' (software)' : ''}`);
        console.log(`runtime   ${a.runtime}`);
        for (const [k, v] of Object.entries(info.limits)) console.log(`limit     ${k} = ${v}`);
        console.log(`features  ${info.features.join(', ')}`);
      }
    });
  });

interface DemoOptions {
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  method: string;
  epsilon: number;
  tau?: number;
  gamma: number;
  labelSmoothing: number;
  adapter?: string;
  tune: boolean;
}

/** The pipeline settings a method name and the shared ε need (ESP and L2 read the same ε). */
function augmentationOf(opts: DemoOptions, classes: number): AugmentationOptions {
  const method = parseMethod(opts.method);
  // Settle bad settings before the GPU starts: the same checks the pipeline runs.
  if (method.perturbation.startsWith('esp')) resolveEspSettings({ epsilon: opts.epsilon, tau: opts.tau, gamma: opts.gamma }, classes);
  checkSmoothing(opts.labelSmoothing);
  return {
    method: opts.method,
    esp: method.perturbation.startsWith('esp') ? { epsilon: opts.epsilon, tau: opts.tau, gamma: opts.gamma } : undefined,
    l2: method.perturbation === 'l2' ? { epsilon: opts.epsilon } : undefined,
    labelSmoothing: opts.labelSmoothing,
  };
}

withDeviceOptions(program
  .command('demo')
  .description('train the MNIST CNN on the embedded Fashion-MNIST subset (with ESP by default) and report clean and corruption error')
  .option('--epochs <n>', 'training epochs', integerAtLeast('--epochs', 1), 2)
  .option('--batch <n>', 'batch size', integerAtLeast('--batch', 1), 32)
  .option('--lr <rate>', 'peak learning rate of the cosine schedule', positiveNumber('--lr'), 0.05)
  .option('--seed <n>', 'random seed', integerAtLeast('--seed', 0), 0)
  .option('--method <name>', `augmentation: ${PERTURBATIONS.join(', ')}, optionally "augmix+" in front`, 'esp')
  .option('--epsilon <ε>', 'ESP mean perturbation size / L2 noise radius, in [0, 1] pixels', positiveNumber('--epsilon'), 1.5)
  .option('--tau <τ>', 'ESP half-width of the size interval (default ε)', positiveNumber('--tau'))
  .option('--gamma <γ>', 'ESP true-to-other label mass ratio at the most smoothing', positiveNumber('--gamma'), 10)
  .option('--label-smoothing <α>', 'static label smoothing on top, in [0, 1)', nonNegativeNumber('--label-smoothing'), 0))
  .action(async (opts: DemoOptions) => {
    const { train, test } = loadTrainingData('embedded');
    const augmentation = augmentationOf(opts, train.classes);
    await withGpu(opts.adapter, async (gpu) => {
      const a = gpu.esp.adapter;
      await tuneGemmForCommand(gpu, opts.tune, (line) => console.log(line));
      console.log(`espgpu demo: MNIST CNN on Fashion-MNIST subset (${train.shape[0]} train / ${test.shape[0]} test), ${a.vendor} ${a.description}`);
      const stepsPerEpoch = Math.floor(train.shape[0] / opts.batch);
      const classifier = new Classifier(gpu, mnistCnn({ seed: opts.seed }), opts.seed, {
        momentum: 0.9,
        nesterov: false,
        weightDecay: 1e-6,
        schedule: cosineSchedule({ lrMax: opts.lr, lrMin: 0, totalSteps: opts.epochs * stepsPerEpoch }),
      });
      console.log(`parameters: ${classifier.store.count.toLocaleString('en-US')}; augmentation: ${describe(augmentation)}`);
      const started = performance.now();
      await fit(classifier, train, {
        epochs: opts.epochs,
        batchSize: opts.batch,
        augmentation,
        reportEvery: 10,
        onStep: (p) =>
          console.log(
            `epoch ${p.epoch + 1}/${opts.epochs} step ${(p.step % p.stepsPerEpoch) + 1}/${p.stepsPerEpoch}  loss ${p.loss.toFixed(4)}  batch acc ${(100 * p.accuracy).toFixed(1)}%  ${p.imagesPerSecond.toFixed(0)} img/s`,
          ),
      });
      const seconds = (performance.now() - started) / 1000;
      console.log(`trained ${opts.epochs} epochs in ${seconds.toFixed(1)} s (${((opts.epochs * stepsPerEpoch * opts.batch) / seconds).toFixed(0)} img/s)`);
      // The embedded test images under MNIST-C's 15 corruptions, generated here (seed 0).
      const report = await evaluateSuite(classifier, test, { suite: 'mnist-c' }, undefined, (line) => console.log(line));
      console.log(`clean error ${report!.clean!.error.toFixed(2)}%, mean corruption error ${report!.meanCorruptionError.toFixed(2)}% (Fashion-MNIST-C from the ${test.shape[0]} embedded test images)`);
      classifier.dispose();
    });
  });

function describe(a: AugmentationOptions): string {
  const parts = [a.method ?? 'none'];
  if (a.esp) parts.push(`ε = ${a.esp.epsilon}, τ = ${a.esp.tau ?? a.esp.epsilon}, γ = ${a.esp.gamma}`);
  if (a.l2) parts.push(`ε = ${a.l2.epsilon}`);
  if (a.labelSmoothing) parts.push(`label smoothing ${a.labelSmoothing}`);
  return parts.join(', ');
}

addTrainCommand(program);
addEvalCommand(program);
addFlatnessCommand(program);
addCorruptCommand(program);
addDownloadCommand(program);

program.parseAsync().catch((error: Error) => {
  console.error(`espgpu: ${error.message}`);
  process.exit(1);
});
