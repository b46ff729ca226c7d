// Launches the shared GEMM core (shaders/gemm.wgsl) behind an op's operand loaders.
// Split-K: when M×N gives too few workgroups to fill the device and K is long (the
// weight gradients of convolutions), K is cut into splits whose partial products are
// summed afterwards in a fixed order, which keeps results deterministic.
import gemmCore from '../../shaders/gemm.wgsl';
import gemmShuffle from '../../shaders/gemmShuffle.wgsl';
import type { Gpu, NamedBindings } from '../gpu/gpu.ts';
import type { ShaderFile } from '../gpu/pipelineCache.ts';
import type { Specialization } from '../gpu/specialize.ts';
import { gemmConfig, type GemmConfig } from './gemmConfig.ts';

export interface GemmLaunch {
  /** The op's files (its operand loaders last), concatenated before the GEMM core. */
  files: readonly ShaderFile[];
  M: number;
  N: number;
  K: number;
  /** Op-specific consts (transposes, bias mode, ...). */
  consts?: Specialization;
  /** Builds the uniform block; receives kPerSplit so the op can put it where gemmShape reads it. */
  params: (kPerSplit: number) => ArrayBuffer;
  /** The op file's bindings by WGSL name, in binding order. */
  bindings: NamedBindings;
  /** From planSplitK; 1 when omitted. */
  split?: SplitK;
  /** Independent products in one dispatch (the op's loaders read gemmBatch); 1 when omitted. */
  batches?: number;
}

export interface SplitK {
  splits: number;
  kPerSplit: number;
}

/**
 * The adapter's tile, with its per-invocation block cut down to the product when the product
 * is narrower than the tile (a 3×3 first layer's weight gradient has N = 9 against a tile 64
 * wide): the padding lanes would otherwise do most of the work on clamped, discarded indices.
 * Powers of two keep the number of pipelines small. A block cut under one row per lane of
 * the subgroup cannot share rows by shuffles, and runs the plain register variant.
 */
export function fittedGemmConfig(gpu: Gpu, M: number, N: number): GemmConfig {
  const c = gemmConfig(gpu);
  const fit = (size: number, lanes: number, block: number) => Math.min(block, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(size / lanes)))));
  const fitted = { ...c, TM: fit(M, c.WG_M, c.TM), TN: fit(N, c.WG_N, c.TN) };
  if (fitted.variant === 'gemmRegistersShuffle' && fitted.TM % fitted.WG_N !== 0) fitted.variant = 'gemmRegisters';
  return fitted;
}

/** The shader files of a launch: gemmShuffle.wgsl goes first, since its `enable` must open the module. */
function gemmFiles(variant: GemmConfig['variant'], opFiles: readonly ShaderFile[]): ShaderFile[] {
  const core = [...opFiles, { file: 'gemm.wgsl', code: gemmCore }];
  return variant === 'gemmRegistersShuffle' ? [{ file: 'gemmShuffle.wgsl', code: gemmShuffle }, ...core] : core;
}

const MIN_K_PER_SPLIT = 256;
const TARGET_WORKGROUPS = 64;

/**
 * How to cut K: enough workgroups (over all `batches` products) to fill the device, each split still long. The plan
 * depends only on the shape and the tile config, so a given device always sums in the
 * same order. `requested` forces a number of splits (tests use it).
 */
export function planSplitK(gpu: Gpu, M: number, N: number, K: number, requested?: number, batches = 1): SplitK {
  // An empty sum (a stride phase no tap reaches) is one split that stores zeros.
  if (K === 0) return { splits: 1, kPerSplit: 0 };
  const c = fittedGemmConfig(gpu, M, N);
  let wanted = requested;
  if (wanted === undefined) {
    const tiles = batches * Math.ceil(M / (c.WG_M * c.TM)) * Math.ceil(N / (c.WG_N * c.TN));
    wanted = tiles >= TARGET_WORKGROUPS ? 1 : Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(K / MIN_K_PER_SPLIT));
  }
  wanted = Math.max(1, Math.min(wanted, Math.ceil(K / c.TK)));
  const kPerSplit = Math.ceil(Math.ceil(K / wanted) / c.TK) * c.TK;
  return { splits: Math.max(1, Math.ceil(K / kPerSplit)), kPerSplit: Math.max(kPerSplit, c.TK) };
}

export async function launchGemm(gpu: Gpu, launch: GemmLaunch): Promise<void> {
  const c = fittedGemmConfig(gpu, launch.M, launch.N);
  const { splits, kPerSplit } = launch.split ?? { splits: 1, kPerSplit: launch.K };
  await gpu.dispatch(
    {
      files: gemmFiles(c.variant, launch.files),
      entryPoint: c.variant,
      consts: { ...launch.consts, WG_M: c.WG_M, WG_N: c.WG_N, TM: c.TM, TN: c.TN, TK: c.TK },
    },
    launch.bindings,
    [Math.ceil(launch.N / (c.WG_N * c.TN)), Math.ceil(launch.M / (c.WG_M * c.TM)), (launch.batches ?? 1) * splits],
    launch.params(kPerSplit),
  );
}
