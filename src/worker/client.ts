// Starts a worker running worker.ts and returns its API with async methods; the same
// call in Node (worker_threads) and in browsers (module Web Worker).
import { proxy, type Remote } from 'comlink';
import { spawnWorker } from '#worker-port';
import type { AcquireOptions } from '../device/device.ts';
import { imageDataToBytes, type ImageChannels, type ImageDataLike } from '../data/imageData.ts';
import type { OpsApi, WorkerInfo } from './opsApi.ts';
import type { AugmentedSamples, AugmentRequest, BatchShape, ModelInfo, ModelSpec, PredictOptions, TrainerApi, TrainProgress, TrainRequest, TrainSummary } from './trainerApi.ts';

export { imageDataToBytes, type ImageChannels, type ImageDataLike };

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
