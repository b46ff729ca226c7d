// The Fashion-MNIST subset shipped in data/ (Node only: the CLI reads it from disk with
// loadDataset, through loadTrainingData's 'embedded' name).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** data/fashion-mnist-subset, found from the bundled CLI (dist/) or from the sources (src/cli/). */
export function embeddedDataDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const dir = join(here, up, 'data', 'fashion-mnist-subset');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`Embedded data not found: data/fashion-mnist-subset is missing beside ${here}`);
}
