// Where a tuned GEMM tile shape persists, and under which key: the adapter as it reports
// itself, the runtime, the espgpu version and a hash of the GEMM shaders, so a changed kernel
// or a new version re-tunes. Stores: memory (here), a JSON file in Node (fileTuningStore.ts),
// IndexedDB in browsers (indexedDbTuningStore.ts). Entries from a store are untrusted data.
import conv2dWgsl from '../../shaders/conv2d.wgsl';
import gemmWgsl from '../../shaders/gemm.wgsl';
import gemmShuffleWgsl from '../../shaders/gemmShuffle.wgsl';
import matmulWgsl from '../../shaders/matmul.wgsl';
import type { AdapterDescription } from '../device/device.ts';
import { GEMM_VARIANTS, type GemmConfig } from '../kernels/gemmConfig.ts';

/** Where tuned configs persist between runs, one entry per tuning key. */
export interface TuningStore {
  /** The config stored under `key`, or undefined (also for anything unreadable). */
  get(key: string): Promise<GemmConfig | undefined>;
  set(key: string, config: GemmConfig): Promise<void>;
}

/** Entries live as long as the process; a fresh copy goes in and out so callers cannot alias them. */
export function memoryTuningStore(): TuningStore {
  const entries = new Map<string, GemmConfig>();
  return {
    async get(key) {
      const config = entries.get(key);
      return config && { ...config };
    },
    async set(key, config) {
      entries.set(key, { ...config });
    },
  };
}

export const SIZE_FIELDS = ['WG_M', 'WG_N', 'TM', 'TN', 'TK'] as const;
/** No device allows a workgroup side past this; larger numbers in a cache are damage. */
const MAX_SIZE = 1024;

/** A GemmConfig from untrusted data (a cache file), or undefined when any field is off. */
export function parseGemmConfig(value: unknown): GemmConfig | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const variant = GEMM_VARIANTS.find((v) => v === fields.variant);
  if (!variant) return undefined;
  const config: GemmConfig = { variant, WG_M: 0, WG_N: 0, TM: 0, TN: 0, TK: 0 };
  for (const name of SIZE_FIELDS) {
    const size = fields[name];
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_SIZE) return undefined;
    config[name] = size;
  }
  return config;
}

/** FNV-1a, 32 bits: enough to tell one version of the shaders from the next. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** The GEMM core (both of its files) and the two operand loaders the search measures: any edit re-tunes. */
export const GEMM_SOURCE_HASH = fnv1a([gemmWgsl, gemmShuffleWgsl, matmulWgsl, conv2dWgsl].join('\n'));

/** The cache key: the adapter as the device reports it, the runtime, the espgpu version and the shaders. */
export function gemmTuningKey(adapter: AdapterDescription, version: string): string {
  const name = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].join(' / ');
  const kind = adapter.isSoftware ? 'software' : 'hardware';
  return `espgpu ${version} | gemm ${GEMM_SOURCE_HASH} | ${adapter.runtime} ${kind} | ${name}`;
}

