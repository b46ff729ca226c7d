// The `espgpu` command: `info` describes the WebGPU adapter, `demo` trains the MNIST CNN
// on the embedded Fashion-MNIST subset (ESP by default) and reports clean and corruption
// error; `train`, `eval` and `corrupt` live in their own files.
import { Command } from 'commander';
import { hideDawnNotices } from '../device/provider.node.ts';
import { definedFields } from '../train/presets.ts';
import { resolveRunSpec, type RunSpec } from '../train/runSpec.ts';
import { integerAtLeast, positiveNumber } from './arguments.ts';
import { augmentationFromArgs, withAugmentationOptions, type AugmentationArgs } from './augmentationOptions.ts';
import { addCorruptCommand } from './corruptCommand.ts';
import { addDownloadCommand } from './downloadCommand.ts';
import { addEvalCommand } from './evalCommand.ts';
import { addExportCommand } from './exportCommand.ts';
import { addFlatnessCommand } from './flatnessCommand.ts';
import { runTraining } from './runTraining.ts';
import { espgpuVersion, withDeviceOptions, withGpu } from './shared.ts';
import { addStudyCommand } from './studyCommand.ts';
import { addTrainCommand } from './trainCommand.ts';
import { addWorkerCommand } from './workerCommand.ts';

const program = new Command('espgpu')
  .description('Train image classifiers on any WebGPU device')
  .version(espgpuVersion(), '-V, --version', 'print the version')
  .option('--verbose', "also show what Dawn prints when it opens the adapter (its two limit notices, hidden otherwise)")
  .showHelpAfterError();
// Dawn's "maxDynamic…BuffersPerPipelineLayout artificially reduced" lines are noise to a user of the command.
program.hook('preAction', () => hideDawnNotices(!program.opts<{ verbose?: boolean }>().verbose));

program
  .command('info')
  .description('describe the WebGPU adapter and the limits espgpu got')
  .option('--adapter <name>', 'pick the adapter whose name contains this (also $ESPGPU_ADAPTER)')
  .option('--json', 'print JSON')
  .action(async (opts: { adapter?: string; json?: boolean }) => {
    await withGpu(opts.adapter, async (gpu) => {
      const info = { adapter: gpu.acquired.adapter, limits: gpu.acquired.limits, features: [...gpu.acquired.features].sort() };
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

interface DemoArgs extends AugmentationArgs {
  epochs?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  adapter?: string;
  tune: boolean;
}

/** The demo is a RunSpec: the mnist preset, shortened, on the embedded subset, ESP by default. */
const DEMO: RunSpec = {
  preset: 'mnist',
  epochs: 2,
  batchSize: 32,
  lr: 0.05,
  seed: 0,
  augmentation: { method: 'esp', esp: { epsilon: 1.5, gamma: 10 }, l2: { epsilon: 1.5 } },
  data: { dataset: 'embedded' },
  outputs: { suite: 'mnist-c' },
};

const demo = program
  .command('demo')
  .description('train the MNIST CNN on the embedded Fashion-MNIST subset (with ESP by default) and report clean and corruption error')
  .option('--epochs <n>', `training epochs (default ${DEMO.epochs})`, integerAtLeast('--epochs', 1))
  .option('--batch <n>', `batch size (default ${DEMO.batchSize})`, integerAtLeast('--batch', 1))
  .option('--lr <rate>', `peak learning rate of the cosine schedule (default ${DEMO.lr})`, positiveNumber('--lr'))
  .option('--seed <n>', 'random seed (default 0)', integerAtLeast('--seed', 0));
withDeviceOptions(withAugmentationOptions(demo, { method: 'esp', epsilon: 1.5, gamma: 10 })).action(async (args: DemoArgs) => {
  const spec: RunSpec = {
    ...DEMO,
    ...definedFields({ epochs: args.epochs, batchSize: args.batch, lr: args.lr, seed: args.seed }),
    augmentation: augmentationFromArgs(args, DEMO.augmentation),
  };
  const { exitCode } = await runTraining(resolveRunSpec(spec, 'demo'), { title: 'espgpu demo', adapter: args.adapter, tune: args.tune });
  process.exitCode = exitCode;
});

addTrainCommand(program);
addEvalCommand(program);
addExportCommand(program);
addFlatnessCommand(program);
addCorruptCommand(program);
addDownloadCommand(program);
addStudyCommand(program);
addWorkerCommand(program);

program.parseAsync().catch((error: Error) => {
  console.error(`espgpu: ${error.message}`);
  process.exit(1);
});
