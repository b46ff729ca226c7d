// Peer benchmark: one training step of the MNIST CNN or WRN-40-2 in TensorFlow.js, on the
// WebGPU backend (Dawn, the same adapter espgpu uses) or the WASM backend, for comparison
// with espgpu's step. A step is forward, softmax cross-entropy against soft (float one-hot)
// targets, backward and SGD with momentum 0.9, lr 0.01, waited for by reading the loss.
// Prints one JSON object: the median of --repeats steps, the warm-up step apart, and
// inference images/s (model.predict, median of --repeats after a warm-up) at batch 512.
// A backend that cannot train (tfjs-wasm has no Conv2DBackpropFilter kernel) is reported in
// `error`, with its inference figure still given. Progress lines go to stderr.
//   node dist/bench/tfjsStep.js --backend=webgpu|wasm|cpu --model=mnist-cnn|wrn-40-2
//     [--batch=128] [--repeats=3] [--inference-batch=512]      ($ESPGPU_ADAPTER picks the adapter)
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPeerModel, peerInputShape, peerModelNames, type PeerModelName } from './tfjsModels.ts';

export type PeerBackend = 'webgpu' | 'wasm' | 'cpu';

export interface PeerResult {
  peer: 'tfjs';
  backend: PeerBackend;
  adapter?: string;
  threads?: number;
  model: PeerModelName;
  batch: number;
  repeats: number;
  inferenceBatch: number;
  trainStepMs: number | null;
  trainImagesPerSecond: number | null;
  inferenceImagesPerSecond: number | null;
  warmupMs: number | null;
  error?: string;
}

/** A training step as a closure over its optimizer; resolves to the loss once it is computed. */
export function createTrainStep(model: tfl.LayersModel, lr = 0.01, momentum = 0.9) {
  const optimizer = tf.train.momentum(lr, momentum);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return async (images: tf.Tensor, targets: tf.Tensor): Promise<number> => {
    const loss = optimizer.minimize(() => {
      const logits = model.apply(images, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
    }, true, variables)!;
    // Reading the loss flushes the queue, which also holds the weight update recorded after it.
    const [value] = await loss.data();
    loss.dispose();
    return value!;
  };
}

/** A random batch: images uniform in [0, 1), targets one-hot rows as floats. */
export function randomBatch(name: PeerModelName, batch: number, classes = 10): { images: tf.Tensor; targets: tf.Tensor } {
  const images = tf.randomUniform([batch, ...peerInputShape(name)], 0, 1, 'float32', 1);
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % classes), 'int32');
  const targets = tf.oneHot(labels, classes, 1, 0, 'float32');
  labels.dispose();
  return { images, targets };
}

/** Registers and selects a backend; WebGPU's module must load after `navigator.gpu` exists.
 *  Resolves to what the result should say about it: the adapter, or the WASM threads. */
export async function useBackend(backend: PeerBackend): Promise<{ adapter?: string; threads?: number }> {
  let adapter: string | undefined;
  let threads: (() => number) | undefined;
  if (backend === 'webgpu') {
    const { gpuEntry } = await import('../../src/device/provider.node.ts');
    const gpu = await gpuEntry(process.env.ESPGPU_ADAPTER || undefined);
    const info = (await gpu.requestAdapter({ powerPreference: 'high-performance' }))?.info;
    adapter = info ? `${info.vendor} ${info.description}`.trim() : undefined;
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm files are read from the package's dist/ folder (a path prefix).
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(entry)}/`);
    threads = wasm.getThreadsCount;
  } else if (backend === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
  } else {
    throw new Error(`--backend must be webgpu, wasm or cpu; got "${backend as string}"`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend "${backend}" failed to initialise`);
  return { adapter, threads: threads?.() };
}

async function timeMs(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Progress on stderr: a WRN-40-2 step can take minutes on a software adapter. */
const progress = (line: string) => console.error(`[tfjsStep] ${line}`);

async function benchmarkTraining(model: tfl.LayersModel, name: PeerModelName, batch: number, repeats: number) {
  const step = createTrainStep(model);
  const { images, targets } = randomBatch(name, batch);
  try {
    const warmupMs = await timeMs(() => step(images, targets));
    progress(`warm-up step ${round(warmupMs)} ms`);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      times.push(await timeMs(() => step(images, targets)));
      progress(`step ${i + 1}/${repeats} ${round(times.at(-1)!)} ms`);
    }
    return { warmupMs, stepMs: median(times) };
  } finally {
    tf.dispose([images, targets]);
  }
}

async function benchmarkInference(model: tfl.LayersModel, name: PeerModelName, batch: number, repeats: number): Promise<number> {
  const images = randomBatch(name, batch).images;
  const predict = async () => {
    const logits = model.predict(images) as tf.Tensor;
    await logits.data();
    logits.dispose();
  };
  progress(`inference warm-up ${round(await timeMs(predict))} ms`); // shader compilation
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    times.push(await timeMs(predict));
    progress(`inference ${i + 1}/${repeats} ${round(times.at(-1)!)} ms`);
  }
  images.dispose();
  return (batch * 1000) / median(times);
}

function parseArgs(argv: string[]) {
  const args = new Map(argv.map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const positive = (key: string, fallback: number) => {
    const value = Number(args.get(key) ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} must be a positive integer; got "${args.get(key)}"`);
    return value;
  };
  const model = (args.get('model') ?? 'mnist-cnn') as PeerModelName;
  if (!peerModelNames.includes(model)) throw new Error(`--model must be one of ${peerModelNames.join(', ')}; got "${model}"`);
  return {
    backend: (args.get('backend') ?? 'webgpu') as PeerBackend,
    model,
    batch: positive('batch', 128),
    repeats: positive('repeats', 3),
    inferenceBatch: positive('inference-batch', 512),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  tf.enableProdMode(); // as a tuned tfjs deployment would run: no debug checks, no banners
  const details = await useBackend(options.backend);
  const model = buildPeerModel(options.model);
  const result: PeerResult = {
    peer: 'tfjs', backend: options.backend, ...details, model: options.model, batch: options.batch, repeats: options.repeats,
    inferenceBatch: options.inferenceBatch,
    trainStepMs: null, trainImagesPerSecond: null, inferenceImagesPerSecond: null, warmupMs: null,
  };
  try {
    const { warmupMs, stepMs } = await benchmarkTraining(model, options.model, options.batch, options.repeats);
    Object.assign(result, { trainStepMs: round(stepMs), trainImagesPerSecond: round((options.batch * 1000) / stepMs), warmupMs: round(warmupMs) });
  } catch (error) {
    result.error = (error as Error).message;
  }
  result.inferenceImagesPerSecond = round(await benchmarkInference(model, options.model, options.inferenceBatch, options.repeats));
  console.log(JSON.stringify(result));
}

// Run only as a script (the test imports the step); exit right after printing, since
// Dawn can crash while tearing down.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`tfjsStep: ${error.message}`);
      process.exit(1);
    },
  );
}
