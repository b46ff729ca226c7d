// Starts a worker running worker.ts and returns its API with async methods; the same
// call in Node (worker_threads) and in browsers (module Web Worker).
import { proxy, type Remote } from 'comlink';
import { spawnWorker } from '#worker-port';
import type { AcquireOptions } from '../device/device.ts';
import type { OpsApi, WorkerInfo } from './opsApi.ts';
import type { AugmentedSamples, AugmentRequest, BatchShape, ModelInfo, ModelSpec, PredictOptions, TrainerApi, TrainProgress, TrainRequest, TrainSummary } from './trainerApi.ts';

export interface OpsWorker {
  api: Remote<OpsApi>;
  /** Disposes the worker's device, then stops the worker. */
  close(): Promise<void>;
}

/** `url` defaults to worker.js beside the bundle this code was built into. */
export function startOpsWorker(url: URL = new URL('./worker.js', import.meta.url)): OpsWorker {
  const { remote, terminate } = spawnWorker<OpsApi>(url);
  return {
    api: remote,
    async close() {
      await remote.dispose();
      await terminate();
    },
  };
}

/** What a canvas gives (ImageData): RGBA bytes, row by row. */
export interface ImageDataLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** 1: grey (luma of RGB), 3: RGB planes, 4: RGBA planes. */
export type ImageChannels = 1 | 3 | 4;

/** A TrainRequest whose samples are canvas images of one size. */
export type ImageDataTrainRequest = Omit<TrainRequest, 'images' | 'shape'> & { images: readonly ImageDataLike[]; channels: ImageChannels };

/** The trainer API of the worker, with canvas images accepted where samples go. */
export interface TrainerWorker {
  init(options?: AcquireOptions): Promise<WorkerInfo>;
  createModel(spec: ModelSpec, seed?: number): Promise<ModelInfo>;
  train(request: TrainRequest | ImageDataTrainRequest, onProgress?: (progress: TrainProgress) => void | Promise<void>): Promise<TrainSummary>;
  stop(): Promise<void>;
  predict(images: Uint8Array | Float32Array, shape: BatchShape, options?: PredictOptions): Promise<Float32Array>;
  predict(images: ImageDataLike | readonly ImageDataLike[], channels: ImageChannels, options?: PredictOptions): Promise<Float32Array>;
  augment(request: AugmentRequest): Promise<AugmentedSamples>;
  getWeights(): Promise<Float32Array>;
  setWeights(weights: Float32Array): Promise<void>;
  /** Releases the model and the device; the worker keeps running. */
  dispose(): Promise<void>;
  /** Disposes, then stops the worker. */
  close(): Promise<void>;
}

export function startTrainerWorker(url: URL = new URL('./worker.js', import.meta.url)): TrainerWorker {
  const { remote, terminate } = spawnWorker<TrainerApi>(url);
  return {
    init: (options) => remote.init(options),
    createModel: (spec, seed) => remote.createModel(spec, seed),
    train(request, onProgress) {
      let samples: TrainRequest;
      if ('channels' in request) {
        const { images, channels, ...rest } = request;
        samples = { ...rest, ...imageDataToBytes(images, channels) };
      } else samples = request;
      return remote.train(samples, onProgress && proxy(onProgress));
    },
    stop: () => remote.stop(),
    predict(images: Uint8Array | Float32Array | ImageDataLike | readonly ImageDataLike[], shapeOrChannels: BatchShape | ImageChannels, options?: PredictOptions) {
      if (typeof shapeOrChannels === 'number') {
        const converted = imageDataToBytes(Array.isArray(images) ? images : [images as ImageDataLike], shapeOrChannels);
        return remote.predict(converted.images, converted.shape, options);
      }
      return remote.predict(images as Uint8Array | Float32Array, shapeOrChannels, options);
    },
    augment: (request) => remote.augment(request),
    getWeights: () => remote.getWeights(),
    setWeights: (weights) => remote.setWeights(weights),
    dispose: () => remote.dispose(),
    async close() {
      await remote.dispose();
      await terminate();
    },
  };
}

/** Canvas images of one size as NCHW bytes: RGB planes, RGBA planes, or grey (BT.601 luma, rounded). */
export function imageDataToBytes(images: readonly ImageDataLike[], channels: ImageChannels): { images: Uint8Array; shape: [number, number, number, number] } {
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError(`imageDataToBytes: channels must be 1, 3 or 4, got ${String(channels)}`);
  if (images.length === 0) throw new RangeError('imageDataToBytes: no images given');
  const { width, height } = images[0]!;
  const plane = width * height;
  const out = new Uint8Array(images.length * channels * plane);
  images.forEach((image, n) => {
    if (image.width !== width || image.height !== height) throw new RangeError(`imageDataToBytes: image ${n} is ${image.width}×${image.height}, image 0 is ${width}×${height}`);
    if (image.data.length !== 4 * plane) throw new RangeError(`imageDataToBytes: image ${n} has ${image.data.length} bytes, RGBA ${width}×${height} needs ${4 * plane}`);
    const base = n * channels * plane;
    const rgba = image.data;
    for (let p = 0; p < plane; p++) {
      if (channels === 1) out[base + p] = Math.round(0.299 * rgba[4 * p]! + 0.587 * rgba[4 * p + 1]! + 0.114 * rgba[4 * p + 2]!);
      else for (let c = 0; c < channels; c++) out[base + c * plane + p] = rgba[4 * p + c]!;
    }
  });
  return { images: out, shape: [images.length, channels, height, width] };
}
