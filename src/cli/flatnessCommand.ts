// `espgpu flatness`: the local flatness of a checkpoint's training loss (ALGORITHMS.md §1.7, the
// paper's Figure 4 right): for each radius r, the mean, spread and standard error over random
// directions of L(θ + Δ) − L(θ) with ‖Δ‖ = r, on a fixed seeded sample of training images. The
// model and the input normalisation come from the checkpoint, loaded as `espgpu eval` loads it.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DATASET_NAMES, type DatasetName } from '../data/datasets.ts';
import { measureFlatness, type FlatnessReport } from '../train/flatness.ts';
import { integerAtLeast, positiveNumberList } from './arguments.ts';
import { checkpointClassifier, describeCheckpoint } from './evalCommand.ts';
import { loadSplit, tuneGemmForCommand, withDeviceOptions, withGpu } from './shared.ts';

interface FlatnessArgs {
  checkpoint: string;
  dataset: DatasetName | 'embedded';
  dataDir?: string;
  radii: number[];
  directions: number;
  samples: number;
  seed: number;
  batch: number;
  json?: boolean;
  adapter?: string;
  tune: boolean;
}

export function addFlatnessCommand(program: Command): Command {
  const command = program
    .command('flatness')
    .description("the mean rise of a checkpoint's training loss at random points of each radius around its weights (flatness, Figure 4 right)")
    .requiredOption('--checkpoint <file>', 'a safetensors checkpoint written by espgpu train')
    .addOption(new Option('--dataset <name>', 'dataset whose training split to measure the loss on').choices([...DATASET_NAMES, 'embedded']).default('fashion-mnist'))
    .option('--data-dir <dir>', 'folder holding the dataset')
    .addOption(new Option('--radii <list>', 'comma-separated radii ‖Δ‖ in parameter space').argParser(positiveNumberList('--radii')).default([2, 4, 8, 16, 32], '2,4,8,16,32'))
    .option('--directions <n>', 'random directions per radius (the same directions at every radius)', integerAtLeast('--directions', 2), 50)
    .option('--samples <n>', 'training images the loss averages over: the first n of a seeded shuffle', integerAtLeast('--samples', 1), 2000)
    .option('--seed <n>', 'seed of the image sample and the directions', integerAtLeast('--seed', 0), 0)
    .option('--batch <n>', 'images per forward pass', integerAtLeast('--batch', 1), 250)
    .option('--json', 'print the result as JSON');
  return withDeviceOptions(command)
    .action(async (args: FlatnessArgs) => {
      const bytes = new Uint8Array(readFileSync(args.checkpoint));
      const saved = describeCheckpoint(bytes, args.checkpoint);
      const train = loadSplit(args.dataset, args.dataDir, 'train');
      const available = train.shape[0];
      if (args.samples > available) throw new Error(`--samples ${args.samples} is more than the ${available} ${args.dataset} training images`);
      const log = args.json ? () => {} : (line: string) => console.log(line);
      await withGpu(args.adapter, async (gpu) => {
        await tuneGemmForCommand(gpu, args.tune, log);
        const classifier = checkpointClassifier(gpu, bytes, args.checkpoint, saved, train.classes);
        try {
          log(`${saved.model} from ${args.checkpoint}: ${classifier.store.count.toLocaleString('en-US')} parameters, loss on ${args.samples} ${args.dataset} training images, ${args.directions} directions per radius`);
          const started = performance.now();
          const report = await measureFlatness(classifier, train, {
            radii: args.radii, directions: args.directions, samples: args.samples, seed: args.seed,
            normalization: saved.normalization, batchSize: args.batch,
            onDirection: (r, d) => {
              if (r === args.radii.at(-1) && (d + 1) % 10 === 0) log(`  ${d + 1}/${args.directions} directions, ${((performance.now() - started) / 1000).toFixed(0)} s`);
            },
          });
          const seconds = (performance.now() - started) / 1000;
          if (args.json) console.log(JSON.stringify({ checkpoint: args.checkpoint, model: saved.model, dataset: args.dataset, seconds, ...report }, null, 2));
          else log(flatnessTable(report, seconds));
        } finally {
          classifier.dispose();
        }
      });
    });
}

/** The base loss, then one row per radius: mean, std and standard error of the increase. */
export function flatnessTable(report: FlatnessReport, seconds: number): string {
  const format = (x: number) => x.toPrecision(4).padStart(11);
  const lines = [
    `base loss L(θ) = ${report.baseLoss.toFixed(6)} (seed ${report.seed})`,
    `${'radius'.padEnd(8)}${'mean ΔL'.padStart(11)}${'std'.padStart(11)}${'std. error'.padStart(11)}`,
    ...report.radii.map((r) => `${String(r.radius).padEnd(8)}${format(r.mean)}${format(r.std)}${format(r.standardError)}`),
    `${report.radii.length} radii × ${report.directions} directions × ${report.samples} images in ${seconds.toFixed(1)} s`,
  ];
  return lines.join('\n');
}
