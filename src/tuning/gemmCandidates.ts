// The tile shapes a search tries on this adapter, nearest the default first, and why a shape
// cannot run here.
import type { Gpu } from '../gpu/gpu.ts';
import { defaultGemmConfig, validateGemmConfig, type GemmConfig } from '../kernels/gemmConfig.ts';
import { SIZE_FIELDS } from './tuningStore.ts';

/** Why `config` cannot run on this device, or undefined when it can. */
export function unfitReason(gpu: Gpu, config: GemmConfig): string | undefined {
  const { maxComputeWorkgroupSizeX, maxComputeWorkgroupSizeY } = gpu.limits;
  // gemm.wgsl declares @workgroup_size(WG_N, WG_M).
  if (config.WG_N > maxComputeWorkgroupSizeX) return `WG_N ${config.WG_N} exceeds maxComputeWorkgroupSizeX ${maxComputeWorkgroupSizeX}`;
  if (config.WG_M > maxComputeWorkgroupSizeY) return `WG_M ${config.WG_M} exceeds maxComputeWorkgroupSizeY ${maxComputeWorkgroupSizeY}`;
  try {
    validateGemmConfig(gpu, config);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/**
 * The search space for this adapter, nearest the default first, so a search the budget cuts
 * short has tried the likeliest shapes. Software adapters: one row of 8 or 16 lanes with
 * 8–16 × 4–8 registers, past which accumulators spill, and where the adapter has one fixed
 * subgroup size, a row of one subgroup sharing A's rows by shuffles with 1–3 rows a lane
 * (gemmShuffle.wgsl). Real GPUs: workgroup-memory tiles of 8×8 and 16×16 lanes, plus the
 * software optimum in case the adapter is CPU-like without saying so.
 */
export function gemmCandidates(gpu: Gpu): GemmConfig[] {
  const reference = defaultGemmConfig(gpu);
  const grid: GemmConfig[] = [];
  if (gpu.acquired.adapter.isSoftware) {
    for (const WG_N of [8, 16])
      for (const TM of [8, 12, 16])
        for (const TN of [4, 6, 8]) grid.push({ variant: 'gemmRegisters', WG_M: 1, WG_N, TM, TN, TK: 8 });
    const lanes = gpu.acquired.adapter.subgroupSize;
    if (lanes !== undefined)
      for (const rowsPerLane of [1, 2, 3])
        for (const TN of [4, 6, 8]) grid.push({ variant: 'gemmRegistersShuffle', WG_M: 1, WG_N: lanes, TM: rowsPerLane * lanes, TN, TK: 8 });
  } else {
    for (const side of [8, 16])
      for (const T of [4, 8])
        for (const TK of [8, 16]) grid.push({ variant: 'gemmTiled', WG_M: side, WG_N: side, TM: T, TN: T, TK });
    grid.push({ variant: 'gemmRegisters', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 });
  }
  const byDistance = grid.map((config) => ({ config, distance: configDistance(config, reference) })).sort((a, b) => a.distance - b.distance);
  return uniqueConfigs([reference, ...byDistance.map((c) => c.config)]);
}

/** How far apart two tile shapes are: octaves of each size, and a whole step for the other variant. */
function configDistance(a: GemmConfig, b: GemmConfig): number {
  let distance = a.variant === b.variant ? 0 : 4;
  for (const name of SIZE_FIELDS) distance += Math.abs(Math.log2(a[name] / b[name]));
  return distance;
}

const configKey = (c: GemmConfig) => `${c.variant} ${c.WG_M}x${c.WG_N} ${c.TM}x${c.TN} TK${c.TK}`;

/** e.g. "gemmRegisters 1x8 lanes, 16x8 registers, TK 8", for logs and reports. */
export function describeGemmConfig(c: GemmConfig): string {
  return `${c.variant} ${c.WG_M}x${c.WG_N} lanes, ${c.TM}x${c.TN} registers, TK ${c.TK}`;
}

/** The first of each distinct config, in order. */
export function uniqueConfigs(configs: readonly GemmConfig[]): GemmConfig[] {
  const byKey = new Map<string, GemmConfig>();
  for (const c of configs) if (!byKey.has(configKey(c))) byKey.set(configKey(c), c);
  return [...byKey.values()];
}

