// Tile shapes for the GEMM core. Software adapters (lavapipe, SwiftShader) run
// register-blocked tiles without workgroup memory faster; real GPUs want the
// workgroup-memory variant. `bench/kernels` measures both; a tuned choice may replace
// these defaults per adapter.
import type { Gpu } from '../gpu/gpu.ts';

export interface GemmConfig {
  variant: 'gemmTiled' | 'gemmRegisters';
  WG_M: number;
  WG_N: number;
  TM: number;
  TN: number;
  TK: number;
}

const configs = new WeakMap<Gpu, GemmConfig>();

export function defaultGemmConfig(gpu: Gpu): GemmConfig {
  const maxThreads = gpu.limits.maxComputeInvocationsPerWorkgroup;
  // One row of 8 lanes, each owning 16 rows × 8 columns: the A operand's address depends
  // only on the workgroup, so lavapipe loads it once per SIMD vector instead of per lane
  // (2.3× the 8×8-lanes, 4×4-registers tile on a 1024³ matmul and on every conv pass).
  if (gpu.esp.adapter.isSoftware) return { variant: 'gemmRegisters', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 };
  const side = maxThreads >= 256 ? 16 : 8;
  return { variant: 'gemmTiled', WG_M: side, WG_N: side, TM: 4, TN: 4, TK: 8 };
}

export function gemmConfig(gpu: Gpu): GemmConfig {
  let config = configs.get(gpu);
  if (!config) configs.set(gpu, (config = defaultGemmConfig(gpu)));
  return config;
}

export function setGemmConfig(gpu: Gpu, config: GemmConfig): void {
  validateGemmConfig(gpu, config);
  configs.set(gpu, config);
}

export function validateGemmConfig(gpu: Gpu, c: GemmConfig): void {
  const threads = c.WG_M * c.WG_N;
  if (threads > gpu.limits.maxComputeInvocationsPerWorkgroup) {
    throw new Error(`GEMM config: WG_M*WG_N = ${threads} exceeds maxComputeInvocationsPerWorkgroup ${gpu.limits.maxComputeInvocationsPerWorkgroup}`);
  }
  const shared = c.TK * (c.WG_M * c.TM + c.WG_N * c.TN) * 4;
  if (c.variant === 'gemmTiled' && shared > gpu.limits.maxComputeWorkgroupStorageSize) {
    throw new Error(`GEMM config: ${shared} bytes of workgroup memory exceed maxComputeWorkgroupStorageSize ${gpu.limits.maxComputeWorkgroupStorageSize}`);
  }
}
