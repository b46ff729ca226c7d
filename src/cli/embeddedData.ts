// The Fashion-MNIST subset shipped in data/ (Node only: the CLI reads it from disk).
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIdx } from '../data/idx.ts';
import { datasetFromIdx, type ImageDataset } from '../data/imageDataset.ts';

/** data/fashion-mnist-subset, found from the bundled CLI (dist/) or from the sources (src/cli/). */
export function embeddedDataDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const dir = join(here, up, 'data', 'fashion-mnist-subset');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`Embedded data not found: data/fashion-mnist-subset is missing beside ${here}`);
}

export function loadIdxDataset(dir: string, split: 'train' | 't10k', classes = 10): ImageDataset {
  const read = (kind: string) => {
    const path = join(dir, `${split}-${kind}.gz`);
    if (!existsSync(path)) throw new Error(`${path}: file not found (expected MNIST-format ${split}-${kind}.gz)`);
    return parseIdx(new Uint8Array(readFileSync(path)), path);
  };
  return datasetFromIdx(read('images-idx3-ubyte'), read('labels-idx1-ubyte'), classes, join(dir, split));
}
