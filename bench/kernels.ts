// Kernel benchmark: GFLOP/s of the GEMM core (both variants) and the yardstick tiled
// matmul at 1024³, and of conv2d forward / backward-data / backward-weight for every
// conv layer shape of the MNIST CNN and WRN-40-2 at batch 128. Prints JSON.
// Times are wall-clock medians of repeated submissions, each waited for (the warm-up
// run, which includes pipeline compilation, is reported apart).
import yardstickWgsl from '../shaders/matmul_yardstick.wgsl';
import { acquireDevice } from '../src/device/device.ts';
import { Gpu, packParams } from '../src/gpu/gpu.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward, conv2dOutputShape } from '../src/kernels/conv2d.ts';
import { defaultGemmConfig, setGemmConfig, type GemmConfig } from '../src/kernels/gemmConfig.ts';
import { matmul } from '../src/kernels/matmul.ts';

interface Result {
  name: string;
  gflop: number;
  warmupMs: number;
  medianMs: number;
  gflops: number;
}

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const batch = Number(args.get('batch') ?? 128);
const repeats = Number(args.get('repeats') ?? 3);
const only = args.get('only'); // substring filter on benchmark names

async function time(gpu: Gpu, name: string, flop: number, run: () => Promise<Tensor[]>): Promise<Result | undefined> {
  if (only && !name.includes(only)) return undefined;
  const once = async () => {
    const started = performance.now();
    const outputs = await run();
    await gpu.sync();
    gpu.release(...outputs);
    return performance.now() - started;
  };
  const warmupMs = await once();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)]!;
  const result = { name, gflop: flop / 1e9, warmupMs: round(warmupMs), medianMs: round(medianMs), gflops: round(flop / 1e6 / medianMs) };
  console.error(`${name.padEnd(48)} ${result.gflops.toString().padStart(8)} GFLOP/s  (${result.medianMs} ms, warm-up ${result.warmupMs} ms)`);
  return result;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function random(gpu: Gpu, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  return gpu.upload(data, shape);
}

async function yardstick(gpu: Gpu, a: Tensor, b: Tensor, M: number, N: number, K: number): Promise<Tensor> {
  const c = gpu.empty([M, N]);
  await gpu.dispatch({ files: [{ file: 'matmul_yardstick.wgsl', code: yardstickWgsl }], entryPoint: 'main' }, [a, b, c], [Math.ceil(N / 16), Math.ceil(M / 16)], packParams(M, N, K));
  return c;
}

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

const convShapes: ConvShape[] = [
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

async function benchConv(gpu: Gpu, s: ConvShape, results: Result[]): Promise<void> {
  const xShape = [batch, s.inC, s.size, s.size];
  const wShape = [s.outC, s.inC, s.kernel, s.kernel];
  const geometry = { stride: s.stride, padding: s.padding };
  const yShape = conv2dOutputShape(xShape, wShape, geometry);
  const flop = 2 * yShape.reduce((a, b) => a * b, 1) * s.inC * s.kernel * s.kernel;
  const x = random(gpu, xShape);
  const w = random(gpu, wShape);
  const dy = random(gpu, yShape);
  const name = `${s.model} ${s.layer} @${s.size}px`;
  const push = (r: Result | undefined) => r && results.push(r);
  push(await time(gpu, `conv fwd ${name}`, flop, async () => [await conv2dForward(gpu, x, w, undefined, geometry)]));
  push(await time(gpu, `conv bwd-data ${name}`, flop, async () => [await conv2dBackwardData(gpu, dy, w, xShape, geometry)]));
  push(await time(gpu, `conv bwd-weight ${name}`, flop, async () => [await conv2dBackwardWeight(gpu, x, dy, wShape, geometry)]));
  gpu.release(x, w, dy);
}

async function main(): Promise<void> {
  const esp = await acquireDevice();
  const gpu = new Gpu(esp);
  const results: Result[] = [];
  const push = (r: Result | undefined) => r && results.push(r);
  const n = Number(args.get('matmul') ?? 1024);
  const a = random(gpu, [n, n]);
  const b = random(gpu, [n, n]);
  const flop = 2 * n * n * n;
  const defaults = defaultGemmConfig(gpu);
  const variants: GemmConfig[] = [
    defaults,
    { variant: 'gemmRegisters', WG_M: 8, WG_N: 8, TM: 4, TN: 4, TK: 8 },
    { variant: 'gemmTiled', WG_M: 8, WG_N: 8, TM: 4, TN: 4, TK: 8 },
    { variant: 'gemmTiled', WG_M: 16, WG_N: 16, TM: 4, TN: 4, TK: 8 },
  ];
  for (const config of variants) {
    setGemmConfig(gpu, config);
    const label = `${config.variant} ${config.WG_M}x${config.WG_N} wg, ${config.TM}x${config.TN} regs, TK ${config.TK}`;
    push(await time(gpu, `matmul ${n}³ ${label}${config === defaults ? ' (default)' : ''}`, flop, async () => [await matmul(gpu, a, b)]));
  }
  setGemmConfig(gpu, defaults);
  push(await time(gpu, `matmul ${n}³ yardstick 16x16 tiled, 1 output/thread`, flop, async () => [await yardstick(gpu, a, b, n, n, n)]));
  gpu.release(a, b);
  for (const s of convShapes) await benchConv(gpu, s, results);

  const best = results.filter((r) => r.name.startsWith('matmul') && r.name.includes('(default)'))[0];
  const yard = results.find((r) => r.name.includes('yardstick'));
  console.log(
    JSON.stringify(
      {
        suite: 'kernels',
        date: new Date().toISOString(),
        adapter: esp.adapter,
        batch,
        repeats,
        timing: 'wall clock, median, each run waited for',
        matmulDefaultOverYardstick: best && yard ? round(best.gflops / yard.gflops) : undefined,
        results,
      },
      null,
      2,
    ),
  );
  gpu.dispose();
  esp.dispose();
}

await main();
