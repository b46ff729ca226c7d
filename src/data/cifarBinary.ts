// The binary versions of CIFAR-10 and CIFAR-100: fixed-size records, no header. A CIFAR-10
// record is 1 label byte + 3072 pixel bytes; a CIFAR-100 record is a coarse (20-class) and a
// fine (100-class) label byte + 3072 pixel bytes. The pixels are already planar (1024 red, 1024
// green, 1024 blue, each 32×32 row-major), i.e. CHW, so records copy straight into NCHW.
import { checkDataset, type ImageDataset } from './imageDataset.ts';

export type CifarLabels = 'cifar10' | 'cifar100-fine' | 'cifar100-coarse';

const PIXELS = 3 * 32 * 32;

interface RecordLayout {
  labelBytes: number;
  /** classes of each label byte, in record order */
  labelClasses: number[];
  /** which label byte is the one kept */
  keep: number;
}

const LAYOUTS: Record<CifarLabels, RecordLayout> = {
  cifar10: { labelBytes: 1, labelClasses: [10], keep: 0 },
  'cifar100-coarse': { labelBytes: 2, labelClasses: [20, 100], keep: 0 },
  'cifar100-fine': { labelBytes: 2, labelClasses: [20, 100], keep: 1 },
};

type Release = 'CIFAR-10' | 'CIFAR-100';

/**
 * The file names each release ships. The two record sizes (3073 and 3074 bytes) share
 * multiples, so a length alone cannot tell the releases apart: a file with the other release's
 * name is refused rather than read with the wrong layout.
 */
const RELEASE_FILES: Record<Release, RegExp> = {
  'CIFAR-10': /^(data_batch_[1-5]|test_batch)\.bin$/,
  'CIFAR-100': /^(train|test)\.bin$/,
};

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** One batch file (data_batch_1.bin, test_batch.bin, train.bin, …). */
export function parseCifarBatch(bytes: Uint8Array, labels: CifarLabels, source: string): ImageDataset {
  const layout = LAYOUTS[labels];
  if (!layout) throw new Error(`${source}: unknown CIFAR label kind "${labels}" (expected ${Object.keys(LAYOUTS).join(', ')})`);
  const recordBytes = layout.labelBytes + PIXELS;
  checkRelease(bytes.length, labels, source);
  const count = bytes.length / recordBytes;
  const images = new Uint8Array(count * PIXELS);
  const kept = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const record = n * recordBytes;
    layout.labelClasses.forEach((classes, i) => {
      const label = bytes[record + i]!;
      if (label >= classes) throw new Error(`${source}: record ${n} has label byte ${i} = ${label}, expected 0..${classes - 1}`);
    });
    kept[n] = bytes[record + layout.keep]!;
    images.set(bytes.subarray(record + layout.labelBytes, record + recordBytes), n * PIXELS);
  }
  const classes = layout.labelClasses[layout.keep]!;
  const classNames = labels === 'cifar10' ? CIFAR10_CLASS_NAMES : undefined;
  return checkDataset({ shape: [count, 3, 32, 32], images, labels: kept, classes, classNames }, source);
}

/** The length is whole records of the release the caller declared, and the file name is not the other release's. */
function checkRelease(length: number, labels: CifarLabels, source: string): void {
  const release: Release = labels === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100';
  const other: Release = release === 'CIFAR-10' ? 'CIFAR-100' : 'CIFAR-10';
  const recordBytes = LAYOUTS[labels].labelBytes + PIXELS;
  const otherRecordBytes = release === 'CIFAR-10' ? PIXELS + 2 : PIXELS + 1;
  const name = source.split(/[\\/]/).pop() ?? source;
  if (RELEASE_FILES[other].test(name)) {
    throw new Error(`${source}: ${name} is a ${other} file name but it is being read as ${release}; ${other} records are ${otherRecordBytes} bytes, ${release} records ${recordBytes}, so read it as ${other}`);
  }
  if (length === 0 || length % recordBytes !== 0) {
    const hint = length > 0 && length % otherRecordBytes === 0 ? ` (it is a whole number of ${otherRecordBytes}-byte ${other} records: is it a ${other} file?)` : '';
    throw new Error(`${source}: ${length} bytes is not a whole number of ${recordBytes}-byte ${release} records${hint}`);
  }
}
