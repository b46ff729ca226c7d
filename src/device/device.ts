/// <reference types="@webgpu/types" preserve="true" />
// Acquire a GPUDevice with the limits the kernels need, describe the adapter, and
// turn device loss and uncaptured errors into errors callers actually see.
// This folder is the only code that knows whether it runs in Node or in a browser.
import { gpuEntry, quietAdapterRequest, runtime } from '#gpu-provider';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Software rasteriser / fallback adapter (lavapipe, SwiftShader, WARP). */
  isSoftware: boolean;
  runtime: 'node' | 'browser';
  /** The subgroup size when the adapter reports one fixed size (min = max); kernels that split work by subgroup need it. */
  subgroupSize?: number;
}

export interface AcquireOptions {
  /** Substring of the adapter's name to pick; defaults to $ESPGPU_ADAPTER in Node. */
  adapter?: string;
  powerPreference?: GPUPowerPreference;
  /** Submit each dispatch alone inside error scopes, so a failure names its kernel; defaults to $ESPGPU_DEBUG=1 in Node. */
  debug?: boolean;
}

/** Limits the kernels size themselves by; requested at the adapter's maximum. */
const NEEDED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

export type KernelLimits = Record<(typeof NEEDED_LIMITS)[number], number>;

export interface AcquiredDevice {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  readonly limits: KernelLimits;
  readonly features: ReadonlySet<string>;
  /** Dispatches are checked one by one (AcquireOptions.debug). */
  readonly debug: boolean;
  /** Objects the device must outlive (Dawn's instance and adapter in Node). */
  readonly owners: readonly unknown[];
  /** Throws the first uncaptured GPU error or the loss reason, if any happened. */
  throwIfFailed(): void;
  /** Rejects with the loss reason once the device is lost (never resolves). */
  readonly lost: Promise<never>;
  dispose(): void;
}

function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] || undefined;
}

function fixedSubgroupSize(info: GPUAdapterInfo): { subgroupSize?: number } {
  const { subgroupMinSize, subgroupMaxSize } = info as { subgroupMinSize?: number; subgroupMaxSize?: number };
  return subgroupMinSize !== undefined && subgroupMinSize > 0 && subgroupMinSize === subgroupMaxSize ? { subgroupSize: subgroupMinSize } : {};
}

function describe(info: GPUAdapterInfo, isFallback: boolean): AdapterDescription {
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isSoftware: isFallback || /swiftshader|llvmpipe|lavapipe|software|warp|basic render/.test(text),
    runtime,
    ...fixedSubgroupSize(info),
  };
}

export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const wanted = options.adapter ?? env('ESPGPU_ADAPTER');
  const gpu = await gpuEntry(wanted);
  const adapter = await quietAdapterRequest(() => gpu.requestAdapter({ powerPreference: options.powerPreference })).catch((error: Error) => {
    // Dawn refuses an unknown `adapter=` name and lists what it has.
    throw new Error(`Cannot get WebGPU adapter${wanted ? ` "${wanted}" (option adapter / ESPGPU_ADAPTER)` : ''}: ${error.message}`);
  });
  if (!adapter) {
    throw new Error(
      `No WebGPU adapter found (${runtime}). On Linux without a GPU install a Vulkan driver such as ` +
        "Mesa's lavapipe (Debian: mesa-vulkan-drivers from bookworm-backports); `npm run setup` does this as root.",
    );
  }
  const info = adapter.info;
  const isFallback = Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const description = describe(info, isFallback);
  if (wanted && !`${info.vendor} ${info.architecture} ${info.description}`.toLowerCase().includes(wanted.toLowerCase())) {
    throw new Error(
      `Adapter "${wanted}" (option adapter / ESPGPU_ADAPTER) not found; got "${info.vendor} ${info.description}".`,
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of NEEDED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = (['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[]).filter((f) =>
    adapter.features.has(f),
  );
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  // Dawn tears down its instance when the GPU object is garbage-collected, even while a
  // device made from it is alive (it crashed mid-compile here): the device keeps both.
  const debug = options.debug ?? env('ESPGPU_DEBUG') === '1';
  return wrapDevice(device, description, requiredLimits as KernelLimits, [gpu, adapter], debug);
}

function wrapDevice(device: GPUDevice, adapter: AdapterDescription, limits: KernelLimits, owners: unknown[], debug: boolean): AcquiredDevice {
  let failure: Error | undefined;
  let disposed = false;
  device.addEventListener('uncapturederror', (event) => {
    failure ??= new Error(`WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`);
  });
  const lost = device.lost.then((info) => {
    if (!disposed) failure ??= new Error(`WebGPU device lost (${info.reason}): ${info.message}`);
    throw failure ?? new Error('WebGPU device was disposed');
  });
  lost.catch(() => {}); // observed through throwIfFailed / read, never unhandled
  return {
    device,
    adapter,
    limits,
    owners,
    debug,
    features: new Set(device.features),
    lost,
    throwIfFailed() {
      if (failure) throw failure;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      device.destroy();
    },
  };
}
