// What a worker exposes: the device lives inside the worker (GPU objects cannot cross a
// comlink boundary), and only plain arrays travel. The trainer joins this API later.
import { acquireDevice, type AcquireOptions, type AdapterDescription, type KernelLimits } from '../device/device.ts';
import { Gpu } from '../gpu/gpu.ts';
import { matmul, type MatmulOptions } from '../kernels/matmul.ts';

export interface WorkerInfo {
  adapter: AdapterDescription;
  limits: KernelLimits;
}

export interface OpsApi {
  init(options?: AcquireOptions): Promise<WorkerInfo>;
  matmul(a: Float32Array, aShape: [number, number], b: Float32Array, bShape: [number, number], options?: Pick<MatmulOptions, 'transA' | 'transB'>): Promise<Float32Array>;
  dispose(): void;
}

export function createOpsApi(): OpsApi {
  let gpu: Gpu | undefined;
  const device = () => {
    if (!gpu) throw new Error('worker: call init() before running ops');
    return gpu;
  };
  return {
    async init(options) {
      if (!gpu) gpu = new Gpu(await acquireDevice(options));
      return { adapter: gpu.esp.adapter, limits: gpu.esp.limits };
    },
    async matmul(a, aShape, b, bShape, options = {}) {
      const g = device();
      const [A, B] = [g.upload(a, aShape), g.upload(b, bShape)];
      const C = await matmul(g, A, B, options);
      const result = await g.read(C);
      g.release(A, B, C);
      return result;
    },
    dispose() {
      gpu?.dispose();
      gpu?.esp.dispose();
      gpu = undefined;
    },
  };
}
