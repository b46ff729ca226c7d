// `espgpu corrupt`: writes a data set's "-C" suite in the released layout (see
// data/corruptSuite.ts), optionally with a gallery PNG of one image under every corruption.
import { Command, Option } from 'commander';
import { integerAtLeast, nameList } from './arguments.ts';
import type { Corruption } from '../data/corruptions/corruption.ts';
import { CIFAR_C, TINY_IMAGENET_C } from '../data/corruptions/cifarC.ts';
import { MNIST_C } from '../data/corruptions/mnistC.ts';
import type { SeverityCorruption } from '../data/corruptions/severity.ts';
import { writeCorruptionSuite } from '../data/corruptSuite.ts';
import { DATASET_NAMES, loadDataset, type DatasetName, type Split } from '../data/datasets.ts';
import { embeddedDataset } from '../data/embedded.ts';
import { holdOut } from '../data/holdOut.ts';
import { corruptionGallery, writeGalleryPng } from '../data/gallery.ts';

/** The suites `corrupt` can make, by the name loadCorruptionSuite reads them back under. */
// Five-severity suites flatten to their 75 levels in file order, so a level's position is
// its random stream (severity.ts): the same images as corruptAtSeverity gives.
const levels = (suite: readonly SeverityCorruption[]) => suite.flatMap((c) => c.levels);
export const CORRUPTION_GENERATORS: Readonly<Record<string, readonly Corruption[]>> = {
  'mnist-c': MNIST_C,
  'cifar10-c': levels(CIFAR_C),
  'cifar100-c': levels(CIFAR_C),
  'tiny-imagenet-c': levels(TINY_IMAGENET_C),
};

interface CorruptArgs {
  dataset: DatasetName | 'embedded';
  dataDir?: string;
  split: Split;
  validation?: number;
  suite: string;
  out: string;
  seed: number;
  limit?: number;
  corruptions?: string[];
  gallery?: string;
  galleryImage: number;
  galleryScale: number;
  json?: boolean;
}

/** Registers `corrupt`; `generators` adds suites (e.g. CIFAR-10-C) to the built-in ones. */
export function addCorruptCommand(program: Command, generators: Readonly<Record<string, readonly Corruption[]>> = CORRUPTION_GENERATORS): Command {
  return program
    .command('corrupt')
    .description('write a data set\'s corruption suite (MNIST-C or CIFAR-C layout) as .npy files that `loadCorruptionSuite` reads')
    .addOption(new Option('--dataset <name>', 'the clean data set (embedded: the Fashion-MNIST subset in data/)').choices([...DATASET_NAMES, 'embedded']).makeOptionMandatory())
    .option('--data-dir <dir>', 'folder holding the data set (default: $ESPGPU_DATA_DIR/<name>)')
    .addOption(new Option('--split <split>', 'which split to corrupt').choices(['train', 'test']).default('test'))
    .option('--validation <n>', 'corrupt the last n training images (the split `train --validation n` holds out) instead of --split', integerAtLeast('--validation', 1))
    .addOption(new Option('--suite <name>', 'the corruption suite to make').choices(Object.keys(generators)).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output folder (created if missing)')
    .option('--seed <n>', 'random seed of the corruptions', integerAtLeast('--seed', 0), 0)
    .option('--limit <n>', 'corrupt only the first n images', integerAtLeast('--limit', 1))
    .option('--corruptions <names>', 'comma-separated subset of the suite', nameList)
    .option('--gallery <file.png>', 'also write a PNG of one image under every corruption')
    .option('--gallery-image <index>', 'which image the gallery shows', integerAtLeast('--gallery-image', 0), 0)
    .option('--gallery-scale <k>', 'gallery upscaling factor', integerAtLeast('--gallery-scale', 1), 4)
    .option('--json', 'print a JSON summary instead of progress lines')
    .action((args: CorruptArgs) => runCorrupt(args, generators[args.suite]!));
}

function runCorrupt(args: CorruptArgs, suite: readonly Corruption[]): void {
  const load = (split: Split) => (args.dataset === 'embedded' ? embeddedDataset(split) : loadDataset(args.dataset, { dir: args.dataDir, split }));
  const data = args.validation === undefined
    ? load(args.split)
    : holdOut(load('train'), args.validation, `${args.dataset} train (--validation)`).validation;
  const split = args.validation === undefined ? args.split : 'validation';
  const [count, channels, height, width] = data.shape;
  const log = args.json ? () => {} : (line: string) => console.log(line);
  log(`corrupting ${Math.min(count, args.limit ?? count)} of ${count} ${args.dataset} ${split} images (${channels}×${height}×${width}) into ${args.suite} at ${args.out}, seed ${args.seed}`);
  const written = writeCorruptionSuite(data, suite, args.out, {
    seed: args.seed,
    limit: args.limit,
    corruptions: args.corruptions,
    onProgress: (p) => {
      const severity = p.severity === null ? '' : ` severity ${p.severity}`;
      log(`[${p.setsDone}/${p.setsTotal}] ${p.corruption}${severity}: ${p.images} images in ${p.seconds.toFixed(1)} s (${(p.images / Math.max(p.seconds, 1e-9)).toFixed(0)} img/s)`);
    },
  });
  let gallery: { file: string; rows: string[]; columns: string[] } | undefined;
  if (args.gallery !== undefined) {
    const made = corruptionGallery(data, suite, { imageIndex: args.galleryImage, seed: args.seed, scale: args.galleryScale, corruptions: args.corruptions });
    writeGalleryPng(args.gallery, made);
    gallery = { file: args.gallery, rows: made.rowLabels, columns: made.columnLabels };
    log(`gallery of image ${args.galleryImage}: ${args.gallery} (${made.width}×${made.height}; rows ${made.rowLabels.join(', ')}; columns ${made.columnLabels.join(', ')})`);
  }
  if (args.json) console.log(JSON.stringify({ dataset: args.dataset, split, suite: args.suite, ...written, gallery }, null, 2));
  else log(`wrote ${written.files.length} files in ${written.seconds.toFixed(1)} s`);
}
