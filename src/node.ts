// espgpu in Node: the whole public API (index.ts) plus what reads and writes files — named
// datasets and corruption suites, the embedded Fashion-MNIST subset, the atomic FileStore the
// Trainer's checkpoints go through, the on-disk GEMM tuning cache. The package's `node`
// export (dist/node/index.js, also `espgpu/node`); none of it reaches the browser bundle.
export * from './index.ts';

export { nodeFileStore, writeFileAtomic } from './io/atomicFile.ts';
export {
  loadDataset, loadCorruptionSuite, readNpyFile, writeNpyFile, DATASET_NAMES, CORRUPTION_SUITE_NAMES, FASHION_MNIST_CLASS_NAMES, MNIST_C_CORRUPTIONS, COMMON_CORRUPTIONS,
  type DatasetName, type LoadOptions, type Split, type CorruptionSuiteName, type CorruptedSet, type SuiteOptions,
} from './data/datasets.ts';
export { embeddedDataset, embeddedDataDir } from './data/embedded.ts';
export { corruptedSets, writeCorruptionSuite, type CorruptOptions, type WriteSuiteOptions, type WrittenSuite, type SuiteProgress } from './data/corruptSuite.ts';
export { fileTuningStore, defaultTuningCachePath } from './tuning/fileTuningStore.ts';
export { readWeights, writeWeights, type NamedWeights } from './train/weights.ts';
