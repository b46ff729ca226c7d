// Tile shapes for the GEMM core. Software adapters (lavapipe, SwiftShader) run
// register-blocked tiles without workgroup memory faster, sharing A's rows through the
// subgroup where the adapter has one fixed subgroup size; real GPUs want the
// workgroup-memory variant. `bench/kernels` measures them; a tuned choice may replace
// these defaults per adapter.
import { deviceSetting, type Gpu } from '../gpu/gpu.ts';

/** The GEMM core's entry points: gemm.wgsl's two, and gemmShuffle.wgsl's. */
export const GEMM_VARIANTS = ['gemmTiled', 'gemmRegisters', 'gemmRegistersShuffle'] as const;
export type GemmVariant = (typeof GEMM_VARIANTS)[number];

export interface GemmConfig {
  variant: GemmVariant;
  WG_M: number;
  WG_N: number;
  TM: number;
  TN: number;
  TK: number;
}


export function defaultGemmConfig(gpu: Gpu): GemmConfig {
  const maxThreads = gpu.limits.maxComputeInvocationsPerWorkgroup;
  // One row of 8 lanes, each owning 16 rows × 8 columns (2.3× the 8×8-lanes, 4×4-registers
  // tile on lavapipe, on a 1024³ matmul and on every conv pass), with the row's A values
  // shared by subgroup shuffles where the adapter allows it (gemmShuffle.wgsl says why).
  if (gpu.acquired.adapter.isSoftware) {
    const shuffle: GemmConfig = { variant: 'gemmRegistersShuffle', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 };
    return shuffleUnfitReason(gpu, shuffle) ? { ...shuffle, variant: 'gemmRegisters' } : shuffle;
  }
  const side = maxThreads >= 256 ? 16 : 8;
  return { variant: 'gemmTiled', WG_M: side, WG_N: side, TM: 4, TN: 4, TK: 8 };
}

const GEMM_CONFIG = deviceSetting('GEMM tile shape', defaultGemmConfig);

export function gemmConfig(gpu: Gpu): GemmConfig {
  return gpu.setting(GEMM_CONFIG);
}

export function setGemmConfig(gpu: Gpu, config: GemmConfig): void {
  validateGemmConfig(gpu, config);
  gpu.configure(GEMM_CONFIG, config);
}

export function validateGemmConfig(gpu: Gpu, c: GemmConfig): void {
  const threads = c.WG_M * c.WG_N;
  if (threads > gpu.limits.maxComputeInvocationsPerWorkgroup) {
    throw new Error(`GEMM config: WG_M*WG_N = ${threads} exceeds maxComputeInvocationsPerWorkgroup ${gpu.limits.maxComputeInvocationsPerWorkgroup}`);
  }
  const shuffle = c.variant === 'gemmRegistersShuffle' && shuffleUnfitReason(gpu, c);
  if (shuffle) throw new Error(`GEMM config: ${shuffle}`);
  const shared = c.TK * (c.WG_M * c.TM + c.WG_N * c.TN) * 4;
  if (c.variant === 'gemmTiled' && shared > gpu.limits.maxComputeWorkgroupStorageSize) {
    throw new Error(`GEMM config: ${shared} bytes of workgroup memory exceed maxComputeWorkgroupStorageSize ${gpu.limits.maxComputeWorkgroupStorageSize}`);
  }
}

/** Why gemmRegistersShuffle cannot run `c` on this device (a row of lanes that is exactly one subgroup), or undefined. */
function shuffleUnfitReason(gpu: Gpu, c: GemmConfig): string | undefined {
  const size = gpu.acquired.adapter.subgroupSize;
  if (!gpu.acquired.features.has('subgroups')) return 'gemmRegistersShuffle needs the device feature "subgroups"';
  if (size === undefined) return 'gemmRegistersShuffle needs an adapter with one fixed subgroup size (subgroupMinSize = subgroupMaxSize)';
  if (c.WG_M !== 1 || c.WG_N !== size) return `gemmRegistersShuffle needs WG_M = 1 and WG_N = the subgroup size ${size}, got ${c.WG_M}x${c.WG_N}`;
  if (c.TM % size !== 0) return `gemmRegistersShuffle needs TM a multiple of the subgroup size ${size}, got ${c.TM}`;
  return undefined;
}
