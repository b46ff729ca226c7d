// What a worker exposes: the device lives inside the worker (GPU objects cannot cross a
// comlink boundary), and only plain arrays travel. The trainer API (trainerApi.ts) shares the
// worker's one device through a WorkerDevice.
import { acquireDevice, type AcquireOptions, type AdapterDescription, type KernelLimits } from '../device/device.ts';
import { Gpu } from '../gpu/gpu.ts';
import { matmul, type MatmulOptions } from '../kernels/matmul.ts';

export interface WorkerInfo {
  adapter: AdapterDescription;
  limits: KernelLimits;
}

/** The worker's device, acquired once by whichever API's init() comes first. */
export class WorkerDevice {
  private gpu: Gpu | undefined;
  private acquiring: Promise<Gpu> | undefined;

  async acquire(options?: AcquireOptions): Promise<WorkerInfo> {
    // Two init() calls in flight must not acquire two devices.
    this.acquiring ??= acquireDevice(options).then((esp) => (this.gpu = new Gpu(esp)));
    const gpu = await this.acquiring.catch((error: Error) => {
      this.acquiring = undefined;
      throw error;
    });
    return { adapter: gpu.acquired.adapter, limits: gpu.acquired.limits };
  }

  get(): Gpu {
    if (!this.gpu) throw new Error('worker: call init() before running ops');
    return this.gpu;
  }

  dispose(): void {
    this.gpu?.dispose();
    this.gpu?.acquired.dispose();
    this.gpu = undefined;
    this.acquiring = undefined;
  }
}

export interface OpsApi {
  init(options?: AcquireOptions): Promise<WorkerInfo>;
  matmul(a: Float32Array, aShape: [number, number], b: Float32Array, bShape: [number, number], options?: Pick<MatmulOptions, 'transA' | 'transB'>): Promise<Float32Array>;
  dispose(): void;
}

export function createOpsApi(device = new WorkerDevice()): OpsApi {
  return {
    init: (options) => device.acquire(options),
    async matmul(a, aShape, b, bShape, options = {}) {
      const g = device.get();
      const [A, B] = [g.upload(a, aShape), g.upload(b, bShape)];
      const C = await matmul(g, A, B, options);
      const result = await g.read(C);
      g.release(A, B, C);
      return result;
    },
    dispose: () => device.dispose(),
  };
}
