// The Fashion-MNIST subset shipped in the package's data/ folder (Node only: read from disk):
// 3,000 training and 1,000 test images, 1×28×28, 10 classes.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, type Split } from './datasets.ts';
import type { ImageDataset } from './imageDataset.ts';

/** data/fashion-mnist-subset, found from a bundle in dist/ or dist/node/, or from the sources (src/<folder>/). */
export function embeddedDataDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const dir = join(here, up, 'data', 'fashion-mnist-subset');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`Embedded data not found: data/fashion-mnist-subset is missing beside ${here}`);
}

/** One split of the embedded Fashion-MNIST subset: 'train' (3,000 images, the default) or 'test' (1,000). */
export function embeddedDataset(split: Split = 'train'): ImageDataset {
  return loadDataset('fashion-mnist', { dir: embeddedDataDir(), split });
}
