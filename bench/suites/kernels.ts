// Kernel suite: GFLOP/s of the GEMM core (the default tile and the other variants) and of the
// yardstick tiled matmul at n³, and of conv2d forward / backward-data / backward-weight for
// every convolution shape of the MNIST CNN and WRN-40-2; GB/s (every tensor read or written
// counted once) of the memory-bound ops between them: max pooling, ReLU, batch norm and the
// per-channel sum of a bias gradient. Rates come from the GPU time of the kernels' passes
// where the adapter has timestamps, from wall time otherwise.
import yardstickWgsl from '../../shaders/matmul_yardstick.wgsl';
import { packParams, type Gpu } from '../../src/gpu/gpu.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { batchNormBackward, batchNormTrainForward } from '../../src/kernels/batchnorm.ts';
import {
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dOutputShape,
  convAlgorithm,
  convPathName,
  CONV_ALGORITHMS,
  setConvAlgorithm,
  type ConvPass,
} from '../../src/kernels/conv2d.ts';
import { defaultGemmConfig, gemmConfig, setGemmConfig, type GemmConfig } from '../../src/kernels/gemmConfig.ts';
import { unfitReason } from '../../src/tuning/gemmCandidates.ts';
import { relu, reluBackward } from '../../src/kernels/eltwise.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import { tileFor, tilesOver, winogradTransformStages, type WinogradTile } from '../../src/kernels/winograd.ts';
import { maxPool2dBackward, maxPool2dForward } from '../../src/kernels/pool.ts';
import { channelSum } from '../../src/kernels/reduce.ts';
import type { Metric } from '../record.ts';
import { bestClock, round, timed, type Timing } from '../timing.ts';
import type { Suite, SuiteContext } from './suite.ts';

/** What a kernel's rate counts: floating-point operations or bytes moved. */
interface Work {
  amount: number;
  unit: 'GFLOP/s' | 'GB/s';
}

interface KernelResult {
  name: string;
  work: Work;
  timing: Timing;
  rate: number;
  clock: 'gpu' | 'wall';
}

const flops = (amount: number): Work => ({ amount, unit: 'GFLOP/s' });
/** Bytes of f32 (or u32) tensors of these element counts. */
const bytesOf = (...counts: number[]): Work => ({ amount: 4 * counts.reduce((a, b) => a + b, 0), unit: 'GB/s' });

interface ConvShape {
  model: string;
  layer: string;
  inC: number;
  outC: number;
  size: number;
  kernel: number;
  stride: number;
  padding: number;
}

const CONV_SHAPES: ConvShape[] = [
  { model: 'mnist-cnn', layer: 'conv1', inC: 1, outC: 32, size: 28, kernel: 3, stride: 1, padding: 0 },
  { model: 'mnist-cnn', layer: 'conv2', inC: 32, outC: 32, size: 26, kernel: 3, stride: 1, padding: 0 },
  { model: 'mnist-cnn', layer: 'conv3', inC: 32, outC: 64, size: 12, kernel: 3, stride: 1, padding: 0 },
  { model: 'mnist-cnn', layer: 'conv4', inC: 64, outC: 64, size: 10, kernel: 3, stride: 1, padding: 0 },
  { model: 'wrn-40-2', layer: 'stem 3→16', inC: 3, outC: 16, size: 32, kernel: 3, stride: 1, padding: 1 },
  { model: 'wrn-40-2', layer: 'g1 16→32', inC: 16, outC: 32, size: 32, kernel: 3, stride: 1, padding: 1 },
  { model: 'wrn-40-2', layer: 'g1 shortcut 1×1 16→32', inC: 16, outC: 32, size: 32, kernel: 1, stride: 1, padding: 0 },
  { model: 'wrn-40-2', layer: 'g1 32→32', inC: 32, outC: 32, size: 32, kernel: 3, stride: 1, padding: 1 },
  { model: 'wrn-40-2', layer: 'g2 32→64 s2', inC: 32, outC: 64, size: 32, kernel: 3, stride: 2, padding: 1 },
  { model: 'wrn-40-2', layer: 'g2 shortcut 1×1 32→64 s2', inC: 32, outC: 64, size: 32, kernel: 1, stride: 2, padding: 0 },
  { model: 'wrn-40-2', layer: 'g2 64→64', inC: 64, outC: 64, size: 16, kernel: 3, stride: 1, padding: 1 },
  { model: 'wrn-40-2', layer: 'g3 64→128 s2', inC: 64, outC: 128, size: 16, kernel: 3, stride: 2, padding: 1 },
  { model: 'wrn-40-2', layer: 'g3 shortcut 1×1 64→128 s2', inC: 64, outC: 128, size: 16, kernel: 1, stride: 2, padding: 0 },
  { model: 'wrn-40-2', layer: 'g3 128→128', inC: 128, outC: 128, size: 8, kernel: 3, stride: 1, padding: 1 },
];

/** The other GEMM tiles measured beside the default, so a report shows what the default buys. */
const OTHER_TILES: GemmConfig[] = [
  { variant: 'gemmRegisters', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 },
  { variant: 'gemmRegisters', WG_M: 8, WG_N: 8, TM: 4, TN: 4, TK: 8 },
  { variant: 'gemmTiled', WG_M: 8, WG_N: 8, TM: 4, TN: 4, TK: 8 },
  { variant: 'gemmTiled', WG_M: 16, WG_N: 16, TM: 4, TN: 4, TK: 8 },
];

class KernelBench {
  readonly results: KernelResult[] = [];

  constructor(private readonly context: SuiteContext) {}

  /** Times one kernel (skipped unless its name matches --only); `run` returns the outputs to release. */
  async time(name: string, work: Work, run: () => Promise<Tensor[]>): Promise<void> {
    const { gpu, options } = this.context;
    if (options.only && !name.includes(options.only)) return;
    const timing = await timed(options.repeats ?? 3, async () => {
      const outputs = await run();
      await gpu.sync();
      gpu.release(...outputs);
    }, gpu);
    const { ms, clock } = bestClock(timing);
    const result = { name, work, timing, rate: Number((work.amount / 1e6 / ms).toPrecision(3)), clock };
    this.context.log(`${name.padEnd(52)} ${String(result.rate).padStart(8)} ${work.unit}  (${round(ms)} ms ${clock}; wall ${timing.medianMs} ms, warm-up ${timing.warmupMs} ms)`);
    this.results.push(result);
  }
}

function pseudoRandom(gpu: Gpu, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return gpu.upload(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5), shape);
}

async function yardstick(gpu: Gpu, a: Tensor, b: Tensor, n: number): Promise<Tensor> {
  const c = gpu.empty([n, n]);
  await gpu.dispatch({ files: [{ file: 'matmul_yardstick.wgsl', code: yardstickWgsl }], entryPoint: 'main' }, { a, b, c }, [Math.ceil(n / 16), Math.ceil(n / 16)], packParams(n, n, n));
  return c;
}

async function benchMatmul(bench: KernelBench, gpu: Gpu, n: number): Promise<void> {
  const a = pseudoRandom(gpu, [n, n]);
  const b = pseudoRandom(gpu, [n, n]);
  const flop = flops(2 * n ** 3);
  const current = gemmConfig(gpu);
  const defaults = defaultGemmConfig(gpu);
  try {
    const same = (a: GemmConfig, b: GemmConfig) => JSON.stringify(a) === JSON.stringify(b);
    for (const config of [defaults, ...OTHER_TILES.filter((c) => !same(c, defaults))]) {
      setGemmConfig(gpu, config);
      const label = `${config.variant} ${config.WG_M}x${config.WG_N} wg, ${config.TM}x${config.TN} regs, TK ${config.TK}`;
      await bench.time(`matmul ${n}³ ${label}${config === defaults ? ' (default)' : ''}`, flop, async () => [await matmul(gpu, a, b)]);
    }
  } finally {
    setGemmConfig(gpu, current);
  }
  await bench.time(`matmul ${n}³ yardstick 16x16 tiled, 1 output/thread`, flop, async () => [await yardstick(gpu, a, b, n)]);
  gpu.release(a, b);
}

/**
 * Register blocks of the lane-row GEMM (one row of 8 lanes) on WRN-40-2 group 1's Winograd
 * products, 36 × [32 × 32] · [32 × 64·batch]: what a load and an accumulator cost on this
 * adapter. A bigger block does more multiply-adds per load until the per-invocation
 * accumulators stop fitting. The shuffle rows load each of A's rows in one lane instead of
 * all eight (gemmShuffle.wgsl), where the adapter can run them.
 */
const LANE_ROW_BLOCKS: readonly (readonly [GemmConfig['variant'], number, number])[] = [
  ['gemmRegisters', 16, 8],
  ['gemmRegisters', 16, 4],
  ['gemmRegisters', 16, 1],
  ['gemmRegisters', 8, 1],
  ['gemmRegisters', 8, 2],
  ['gemmRegisters', 8, 16],
  ['gemmRegisters', 16, 16],
  ['gemmRegistersShuffle', 16, 8],
  ['gemmRegistersShuffle', 16, 6],
  ['gemmRegistersShuffle', 16, 4],
  ['gemmRegistersShuffle', 24, 4],
  ['gemmRegistersShuffle', 8, 16],
];

async function benchGemmBlocks(bench: KernelBench, gpu: Gpu, batch: number): Promise<void> {
  const [P, M, K, N] = [36, 32, 32, 64 * batch];
  const u = pseudoRandom(gpu, [P, M, K]);
  const v = pseudoRandom(gpu, [P, K, N]);
  const current = gemmConfig(gpu);
  try {
    for (const [variant, TM, TN] of LANE_ROW_BLOCKS) {
      const config: GemmConfig = { variant, WG_M: 1, WG_N: 8, TM, TN, TK: 8 };
      if (unfitReason(gpu, config)) continue;
      setGemmConfig(gpu, config);
      const shuffled = variant === 'gemmRegistersShuffle' ? ' shuffled A' : '';
      await bench.time(`gemm block 1x8 lanes, ${TM}x${TN} regs${shuffled}, wrn-40-2 g1 products 36x${M}x${K}x${N}`, flops(2 * P * M * K * N), async () => [await matmul(gpu, u, v)]);
    }
  } finally {
    setGemmConfig(gpu, current);
  }
  gpu.release(u, v);
}

/**
 * The three passes of one layer shape on every path a pass can take (implicit GEMM, either
 * Winograd tile size, the direct kernels), each timed once and named by its path, so a run
 * shows what each gains per layer. Rates count the direct method's FLOPs.
 */
async function benchConv(bench: KernelBench, gpu: Gpu, batch: number, s: ConvShape): Promise<void> {
  const xShape = [batch, s.inC, s.size, s.size];
  const wShape = [s.outC, s.inC, s.kernel, s.kernel];
  const geometry = { stride: s.stride, padding: s.padding };
  const yShape = conv2dOutputShape(xShape, wShape, geometry);
  const flop = flops(2 * yShape.reduce((a, b) => a * b, 1) * s.inC * s.kernel * s.kernel);
  const x = pseudoRandom(gpu, xShape);
  const w = pseudoRandom(gpu, wShape);
  const dy = pseudoRandom(gpu, yShape);
  const passes: { pass: ConvPass; label: string; run: () => Promise<Tensor> }[] = [
    { pass: 'forward', label: 'fwd', run: () => conv2dForward(gpu, x, w, undefined, geometry) },
    { pass: 'backwardData', label: 'bwd-data', run: () => conv2dBackwardData(gpu, dy, w, xShape, geometry) },
    { pass: 'backwardWeight', label: 'bwd-weight', run: () => conv2dBackwardWeight(gpu, x, dy, wShape, geometry) },
  ];
  const current = convAlgorithm(gpu);
  try {
    for (const { pass, label, run } of passes) {
      const timed = new Set<string>();
      for (const algorithm of CONV_ALGORITHMS) {
        setConvAlgorithm(gpu, algorithm);
        const path = convPathName(gpu, xShape, wShape, geometry, pass);
        if (timed.has(path)) continue;
        timed.add(path);
        await bench.time(`conv ${label} ${s.model} ${s.layer} @${s.size}px ${path}`, flop, async () => [await run()]);
        if (pass === 'forward' && path.startsWith('winograd')) await benchWinogradProducts(bench, gpu, yShape, s, path);
      }
    }
  } finally {
    setConvAlgorithm(gpu, current);
  }
  gpu.release(x, w, dy);
}

/**
 * A Winograd forward's batched GEMM alone, [points, Co, Ci] × [points, Ci, tiles], so a run
 * shows how much of the pass the products take and how much the transforms. Rated by the
 * GEMM's own FLOPs. Skipped where the tiles exceed one storage binding (the pass then cuts
 * the batch into runs of images).
 */
async function benchWinogradProducts(bench: KernelBench, gpu: Gpu, yShape: readonly number[], s: ConvShape, path: string): Promise<void> {
  const [batch = 0, , outH = 0, outW = 0] = yShape;
  const tile = tileFor(outH, outW, path === 'winogradF6' ? 6 : 4);
  const { tilesH, tilesW } = tilesOver(tile, outH, outW);
  const tiles = batch * tilesH * tilesW;
  if (tile.points * s.inC * tiles * 4 > gpu.limits.maxStorageBufferBindingSize) return;
  const u = pseudoRandom(gpu, [tile.points, s.outC, s.inC]);
  const v = pseudoRandom(gpu, [tile.points, s.inC, tiles]);
  const name = `${s.model} ${s.layer} @${s.size}px ${path}`;
  await bench.time(`conv fwd ${name} products only`, flops(2 * tile.points * s.outC * s.inC * tiles), async () => [await matmul(gpu, u, v)]);
  gpu.release(u, v);
  await benchWinogradTransforms(bench, gpu, yShape, s, name, tile, tiles);
}

/**
 * The three image-side transforms of the same layer, each alone, rated by the bytes they move:
 * input (x → V, used by forward and backward-weight, and on dy by backward-data), output
 * (M → y) and output-grad (dy → dM, backward-weight's).
 */
async function benchWinogradTransforms(bench: KernelBench, gpu: Gpu, yShape: readonly number[], s: ConvShape, name: string, tile: WinogradTile, tiles: number): Promise<void> {
  const [batch = 0, , outH = 0, outW = 0] = yShape;
  const d = { B: batch, Ci: s.inC, H: s.size, W: s.size, Co: s.outC, KH: 3, KW: 3, OH: outH, OW: outW, SH: 1, SW: 1, PH: s.padding, PW: s.padding };
  const stages = winogradTransformStages(gpu, d, tile.out);
  const points = tile.points * tiles;
  const x = pseudoRandom(gpu, [batch, s.inC, s.size, s.size]);
  const dy = pseudoRandom(gpu, yShape.slice());
  const m = pseudoRandom(gpu, [tile.points, s.outC, tiles]);
  await bench.time(`conv fwd ${name} input transform`, bytesOf(x.size, points * s.inC), async () => [await stages.input(x)]);
  await bench.time(`conv fwd ${name} output transform`, bytesOf(m.size, dy.size), async () => [await stages.output(m)]);
  await bench.time(`conv bwd-weight ${name} output-grad transform`, bytesOf(dy.size, points * s.outC), async () => [await stages.outputGrad(dy)]);
  gpu.release(x, dy, m);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Max pooling 2×2 of the MNIST CNN's two pools: forward (y and argmax) and the backward gather. */
async function benchMaxPool(bench: KernelBench, gpu: Gpu, batch: number, layer: string, channels: number, pixels: number): Promise<void> {
  const xShape = [batch, channels, pixels, pixels];
  const options = { kernel: 2 };
  const x = pseudoRandom(gpu, xShape);
  const { y, argmax } = await maxPool2dForward(gpu, x, options);
  const n = size(xShape);
  const name = `mnist-cnn ${layer} 2×2 ${channels}×${pixels}²`;
  await bench.time(`maxpool fwd ${name}`, bytesOf(n, n / 4, n / 4), async () => {
    const out = await maxPool2dForward(gpu, x, options);
    return [out.y, out.argmax];
  });
  await bench.time(`maxpool bwd ${name}`, bytesOf(n / 4, n / 4, n), async () => [await maxPool2dBackward(gpu, y, argmax, xShape, options)]);
  gpu.release(x, y, argmax);
}

async function benchElementwise(bench: KernelBench, gpu: Gpu, batch: number): Promise<void> {
  const shape = [batch, 32, 24, 24]; // the MNIST CNN's conv2 output
  const n = size(shape);
  const x = pseudoRandom(gpu, shape);
  const dy = pseudoRandom(gpu, shape);
  const name = `mnist-cnn conv2 output 32×24²`;
  await bench.time(`relu fwd ${name}`, bytesOf(n, n), async () => [await relu(gpu, x)]);
  await bench.time(`relu bwd ${name}`, bytesOf(n, n, n), async () => [await reluBackward(gpu, dy, x)]);
  await bench.time(`bias gradient (channel sum) ${name}`, bytesOf(n), async () => [await channelSum(gpu, dy, 1)]);
  gpu.release(x, dy);
}

/** Batch norm in training mode at WRN-40-2's widest activation: statistics + normalisation, and both backward passes. */
async function benchBatchNorm(bench: KernelBench, gpu: Gpu, batch: number): Promise<void> {
  const shape = [batch, 32, 32, 32];
  const n = size(shape);
  const x = pseudoRandom(gpu, shape);
  const dy = pseudoRandom(gpu, shape);
  const perChannel = () => gpu.upload(new Float32Array(32).fill(1), [32]);
  const [gamma, beta, runningMean, runningVar] = [perChannel(), perChannel(), perChannel(), perChannel()];
  const name = `wrn-40-2 g1 32×32²`;
  // Statistics read x once, normalisation reads it again and writes y.
  await bench.time(`batchnorm train fwd ${name}`, bytesOf(n, n, n), async () => {
    const out = await batchNormTrainForward(gpu, x, gamma, beta, runningMean, runningVar);
    return [out.y, out.saveMean, out.saveInvStd];
  });
  const saved = await batchNormTrainForward(gpu, x, gamma, beta, runningMean, runningVar);
  // Statistics read dy and x, the input gradient reads them again and writes dx.
  await bench.time(`batchnorm bwd ${name}`, bytesOf(n, n, n, n, n), async () => {
    const out = await batchNormBackward(gpu, dy, x, gamma, saved.saveMean, saved.saveInvStd);
    return [out.dx, out.dgamma, out.dbeta];
  });
  gpu.release(x, dy, gamma, beta, runningMean, runningVar, saved.y, saved.saveMean, saved.saveInvStd);
}

export const kernelSuite: Suite = {
  name: 'kernels',
  summary: 'GFLOP/s of the GEMM tiles, the yardstick matmul and every conv layer shape (fwd, bwd-data, bwd-weight); GB/s of pooling, ReLU, batch norm and the bias-gradient sum',
  async run(context) {
    const { gpu, options } = context;
    const batch = options.batch ?? 128;
    const bench = new KernelBench(context);
    await benchMatmul(bench, gpu, options.matmul);
    await benchGemmBlocks(bench, gpu, batch);
    for (const shape of CONV_SHAPES) await benchConv(bench, gpu, batch, shape);
    await benchMaxPool(bench, gpu, batch, 'pool1', 32, 24);
    await benchMaxPool(bench, gpu, batch, 'pool2', 64, 8);
    await benchElementwise(bench, gpu, batch);
    await benchBatchNorm(bench, gpu, batch);
    const metrics: Metric[] = bench.results.map((r) => ({ suite: 'kernels', name: r.name, value: r.rate, unit: r.work.unit, better: 'higher', clock: r.clock }));
    const best = bench.results.find((r) => r.name.includes('(default)'));
    const yard = bench.results.find((r) => r.name.includes('yardstick'));
    return {
      metrics,
      details: { batch, matmulDefaultOverYardstick: best && yard ? round(best.rate / yard.rate) : undefined, results: bench.results },
    };
  },
};
