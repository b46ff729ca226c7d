// Training-step benchmark: ms per Classifier.trainStep (forward, loss, backward, SGD: one
// command buffer, waited for) of the MNIST CNN, WRN-40-2 and ResNet-18 on a fixed random
// batch, images/s, and the effective GFLOP/s of the step's convolutions and linear layers
// (src/nn/flops.ts) as a share of the default GEMM's rate at 1024³ measured in the same run,
// just before and just after each model (the machine's load drifts). Also the forward-only
// (inference) rate, and with --profile each top-level layer's forward and backward timed
// apart (for the MNIST CNN every layer; for the residual networks every block).
// Warm-up (pipeline compilation included) is reported apart from the median of the repeats.
// Prints a table on stderr and JSON on stdout.
//
//   node dist/bench/train.js [--models=mnist-cnn,wrn-40-2,resnet18] [--batch=N] [--resnet-batch=32]
//     [--repeats=N] [--inference-batch=N] [--no-inference] [--profile] [--matmul=1024] [--adapter=NAME]
// --batch sets every model's batch (ResNet-18's too, unless --resnet-batch is given); --repeats
// defaults to 5 for the MNIST CNN and 1 for the others, whose steps take tens of seconds on a
// software adapter; --inference-batch defaults to 512 for the MNIST CNN, the step's batch otherwise.
import { version } from '../package.json';
import { AugmentationPipeline } from '../src/augment/pipeline.ts';
import { acquireDevice, type AdapterDescription } from '../src/device/device.ts';
import { Gpu } from '../src/gpu/gpu.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { matmul } from '../src/kernels/matmul.ts';
import { softmaxCrossEntropy } from '../src/kernels/softmax_xent.ts';
import { trainingStepFlops, type StepFlops } from '../src/nn/flops.ts';
import type { Layer, StepContext } from '../src/nn/layer.ts';
import { createModel, modelSpec } from '../src/nn/models/index.ts';
import { Classifier } from '../src/train/classifier.ts';
import { median, round, timed, type Timing } from './timing.ts';

const FLAGS = ['models', 'batch', 'resnet-batch', 'repeats', 'inference-batch', 'no-inference', 'profile', 'matmul', 'adapter'];
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string | undefined]));
for (const flag of args.keys()) if (!FLAGS.includes(flag)) throw new Error(`unknown option --${flag}; expected one of ${FLAGS.map((f) => `--${f}`).join(', ')}`);

function positiveInt(name: string, fallback: number): number {
  const text = args.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return value;
}

interface ModelRun {
  name: string;
  batch: number;
  repeats: number;
  /** Forward-only batch. */
  inferenceBatch: number;
}

/** Steps of the residual networks take tens of seconds on a software adapter: one timed repeat. */
function modelRuns(): ModelRun[] {
  const batch = args.has('batch') ? positiveInt('batch', 128) : undefined;
  const resnetBatch = args.has('resnet-batch') ? positiveInt('resnet-batch', 32) : (batch ?? 32);
  const runs: ModelRun[] = [
    { name: 'mnist-cnn', batch: batch ?? 128, repeats: positiveInt('repeats', 5), inferenceBatch: positiveInt('inference-batch', 512) },
    { name: 'wrn-40-2', batch: batch ?? 128, repeats: positiveInt('repeats', 1), inferenceBatch: positiveInt('inference-batch', batch ?? 128) },
    { name: 'resnet18', batch: resnetBatch, repeats: positiveInt('repeats', 1), inferenceBatch: positiveInt('inference-batch', resnetBatch) },
  ];
  const wanted = args.get('models')?.split(',');
  if (!wanted) return runs;
  const unknown = wanted.filter((w) => !runs.some((r) => r.name === w));
  if (unknown.length > 0) throw new Error(`--models: unknown ${unknown.join(', ')}; expected names from ${runs.map((r) => r.name).join(', ')}`);
  return runs.filter((r) => wanted.includes(r.name));
}

async function timedWithCompilation(gpu: Gpu, repeats: number, run: () => Promise<void>) {
  const [compileMs, pipelines] = [gpu.pipelines.compileMs, gpu.pipelines.size];
  const timing = await timed(repeats, run);
  return { ...timing, compileMs: round(gpu.pipelines.compileMs - compileMs), pipelinesCompiled: gpu.pipelines.size - pipelines };
}

/** Deterministic pseudo-random values (xorshift32), so every run sees the same batch. */
function randomInts(count: number, below: number, seed: number): Uint32Array {
  let s = seed >>> 0 || 1;
  return Uint32Array.from({ length: count }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % below;
  });
}

/** A fixed random batch, normalised and one-hot on the GPU by the pipeline without augmentation. */
async function randomBatch(gpu: Gpu, image: readonly [number, number, number], classes: number, batch: number) {
  const pipeline = await AugmentationPipeline.create(gpu, { image, classes, batch, seed: 0 });
  const bytes = Uint8Array.from(randomInts(batch * image[0] * image[1] * image[2], 256, 12345));
  const { x, targets } = await pipeline.augment(0, bytes, randomInts(batch, classes, 678));
  return { x, targets, dispose: () => pipeline.dispose() };
}

/** The default GEMM at n³: 3 runs after a warm-up. */
async function matmulTiming(gpu: Gpu, n: number): Promise<Timing> {
  const values = Float32Array.from(randomInts(n * n, 1000, 42), (v) => v / 1000 - 0.5);
  const a = gpu.upload(values, [n, n]);
  const b = gpu.upload(values, [n, n]);
  const timing = await timed(3, async () => {
    const c = await matmul(gpu, a, b);
    await gpu.sync();
    gpu.release(c);
  });
  gpu.release(a, b);
  return timing;
}

/** GFLOP/s of the matmul runs before and after a model's runs together (their median), so load drift on a shared machine hits both sides of the ratio. */
function matmulRate(n: number, before: Timing, after: Timing) {
  const gflops = (ms: number) => round((2 * n ** 3) / 1e6 / ms);
  return {
    size: n,
    before: { ...before, gflops: gflops(before.medianMs) },
    after: { ...after, gflops: gflops(after.medianMs) },
    gflops: gflops(median([...before.timesMs, ...after.timesMs])),
  };
}

interface ProfileEntry {
  layer: string;
  type: string;
  forwardMs: number;
  backwardMs: number;
}

/** The op family of a layer, from its name (conv1 → conv, fc2 → fc, block1.layer.0 → block1.layer). */
function opType(name: string): string {
  return name.replace(/\.?\d+$/, '');
}

/**
 * Each top-level layer's forward and backward timed apart, the GPU waited for after each,
 * then the loss and the SGD update: one pass, the same calls Classifier.trainStep makes.
 */
async function profileOnce(gpu: Gpu, classifier: Classifier, x: Tensor, targets: Tensor, step: number): Promise<ProfileEntry[]> {
  const layers: readonly Layer[] = classifier.model.layers;
  const ctx: StepContext = { gpu, training: true, step, seed: classifier.seed };
  const owned = new Set<GPUBuffer>();
  const clock = async (record: () => Promise<Tensor | undefined>) => {
    const started = performance.now();
    const t = await record();
    await gpu.sync();
    if (t && t.buffer !== x.buffer) owned.add(t.buffer);
    return { t, ms: performance.now() - started };
  };
  const entries: ProfileEntry[] = layers.map((l) => ({ layer: l.name, type: opType(l.name), forwardMs: 0, backwardMs: 0 }));
  let current = x;
  for (const [i, layer] of layers.entries()) {
    const { t, ms } = await clock(() => layer.forward(ctx, current));
    entries[i]!.forwardMs = ms;
    current = t!;
  }
  let lossParts: { loss: Tensor; correct: Tensor } | undefined;
  const loss = await clock(async () => {
    const { loss, dlogits, correct } = await softmaxCrossEntropy(gpu, current, targets);
    lossParts = { loss, correct };
    return dlogits;
  });
  // As Sequential.backward: nothing before the first layer with parameters, and no input gradient for it.
  const first = Math.max(0, layers.findIndex((l) => l.parameters.length > 0));
  let grad = loss.t;
  for (let i = layers.length - 1; i >= first && grad; i--) {
    const { t, ms } = await clock(() => layers[i]!.backward(ctx, grad!, i > first));
    entries[i]!.backwardMs = ms;
    grad = t;
  }
  const sgd = await clock(async () => {
    await classifier.optimizer.step(step);
    return undefined;
  });
  for (const buffer of owned) gpu.pool.release(buffer);
  gpu.release(lossParts?.loss, lossParts?.correct);
  return [...entries, { layer: 'loss', type: 'loss', forwardMs: loss.ms, backwardMs: 0 }, { layer: 'sgd', type: 'sgd', forwardMs: sgd.ms, backwardMs: 0 }];
}

/** Median per entry over `repeats` profiled passes after one warm-up pass, with shares of their sum. */
async function profile(gpu: Gpu, classifier: Classifier, x: Tensor, targets: Tensor, repeats: number, firstStep: number) {
  await profileOnce(gpu, classifier, x, targets, firstStep);
  const passes: ProfileEntry[][] = [];
  for (let r = 0; r < repeats; r++) passes.push(await profileOnce(gpu, classifier, x, targets, firstStep + 1 + r));
  const layers = passes[0]!.map((entry, i) => ({
    ...entry,
    forwardMs: round(median(passes.map((p) => p[i]!.forwardMs))),
    backwardMs: round(median(passes.map((p) => p[i]!.backwardMs))),
  }));
  const sumMs = layers.reduce((s, l) => s + l.forwardMs + l.backwardMs, 0);
  const share = (ms: number) => round((100 * ms) / sumMs);
  const byType = new Map<string, { forwardMs: number; backwardMs: number }>();
  for (const l of layers) {
    const t = byType.get(l.type) ?? { forwardMs: 0, backwardMs: 0 };
    byType.set(l.type, { forwardMs: t.forwardMs + l.forwardMs, backwardMs: t.backwardMs + l.backwardMs });
  }
  return {
    timing: 'each layer waited for on its own; shares are of the sum of all entries',
    sumMs: round(sumMs),
    layers: layers.map((l) => ({ ...l, percent: share(l.forwardMs + l.backwardMs) })),
    byType: [...byType].map(([type, t]) => ({ type, forwardMs: round(t.forwardMs), backwardMs: round(t.backwardMs), percent: share(t.forwardMs + t.backwardMs) })),
  };
}

interface Context {
  adapter: AdapterDescription;
  runtime: string;
  version: string;
  date: string;
}

async function benchModel(gpu: Gpu, run: ModelRun, context: Context, matmulSize: number) {
  const spec = modelSpec(run.name);
  const model = createModel(run.name, { seed: 0 });
  const flops: StepFlops = trainingStepFlops(model, [run.batch, ...spec.inputShape]);
  const gemmBefore = await matmulTiming(gpu, matmulSize);
  const classifier = new Classifier(gpu, model, 0, { momentum: 0.9, nesterov: false, weightDecay: 5e-4, schedule: () => 0.01 });
  const batch = await randomBatch(gpu, spec.inputShape, spec.classes, run.batch);
  let step = 0;
  const train = await timedWithCompilation(gpu, run.repeats, async () => {
    const { loss, correct } = await classifier.trainStep(step++, batch.x, batch.targets);
    await gpu.sync();
    gpu.release(loss, correct);
  });
  const layerProfile = args.has('profile') ? await profile(gpu, classifier, batch.x, batch.targets, run.repeats, step) : undefined;
  batch.dispose();
  const inference = args.has('no-inference') ? undefined : await inferenceRate(gpu, classifier, run);
  classifier.dispose();
  const gemm = matmulRate(matmulSize, gemmBefore, await matmulTiming(gpu, matmulSize));
  const stepGflops = flops.total / 1e6 / train.medianMs;
  return {
    model: run.name,
    ...context,
    batch: run.batch,
    image: spec.inputShape,
    classes: spec.classes,
    repeats: run.repeats,
    flops: { ...flops, gflopPerStep: round(flops.total / 1e9) },
    step: train,
    imagesPerSecond: round((run.batch / train.medianMs) * 1000),
    gflops: round(stepGflops),
    matmul: gemm,
    /** step GFLOP/s ÷ the default GEMM's GFLOP/s (the target is ≥ 0.5) */
    efficiency: round(stepGflops / gemm.gflops),
    inference,
    profile: layerProfile,
  };
}

/** Classifier.predict: the forward pass in evaluation mode (running BN statistics, no dropout). */
async function inferenceRate(gpu: Gpu, classifier: Classifier, run: ModelRun) {
  const spec = modelSpec(run.name);
  const batch = await randomBatch(gpu, spec.inputShape, spec.classes, run.inferenceBatch);
  const timing = await timedWithCompilation(gpu, run.repeats, async () => {
    const logits = await classifier.predict(batch.x);
    await gpu.sync();
    gpu.release(logits);
  });
  batch.dispose();
  const forward = trainingStepFlops(classifier.model, [run.inferenceBatch, ...spec.inputShape]).forward;
  return { batch: run.inferenceBatch, ...timing, imagesPerSecond: round((run.inferenceBatch / timing.medianMs) * 1000), gflops: round(forward / 1e6 / timing.medianMs) };
}

type Result = Awaited<ReturnType<typeof benchModel>>;

/** A model's numbers as they come, with the profile when asked for. */
function printResult(r: Result): void {
  const pad = ' '.repeat(11);
  console.error(
    `${r.model.padEnd(10)} batch ${r.batch}: ${r.step.medianMs} ms/step (median of ${r.repeats}; warm-up ${r.step.warmupMs} ms, ` +
      `${r.step.pipelinesCompiled} pipelines compiled in ${r.step.compileMs} ms), ${r.imagesPerSecond} img/s, ` +
      `${r.flops.gflopPerStep} GFLOP/step → ${r.gflops} GFLOP/s`,
  );
  console.error(`${pad}default GEMM ${r.matmul.size}³: ${r.matmul.gflops} GFLOP/s (${r.matmul.before.gflops} before, ${r.matmul.after.gflops} after) → efficiency ${percent(r.efficiency)}`);
  if (r.inference) console.error(`${pad}inference batch ${r.inference.batch}: ${r.inference.medianMs} ms, ${r.inference.imagesPerSecond} img/s, ${r.inference.gflops} GFLOP/s`);
  if (!r.profile) return;
  console.error(`${pad}profile (${r.profile.timing}; sum ${r.profile.sumMs} ms against the step's ${r.step.medianMs} ms):`);
  const row = (name: string, forwardMs: number, backwardMs: number, share: number) =>
    console.error(`${pad}  ${name.padEnd(22)} fwd ${String(forwardMs).padStart(9)} ms  bwd ${String(backwardMs).padStart(9)} ms  ${String(share).padStart(6)}%`);
  for (const l of r.profile.layers) row(l.layer, l.forwardMs, l.backwardMs, l.percent);
  console.error(`${pad}by type:`);
  for (const t of r.profile.byType) row(t.type, t.forwardMs, t.backwardMs, t.percent);
}

/** One row per model: the summary table. */
function printTable(results: readonly Result[]): void {
  const columns = ['model', 'batch', 'ms/step', 'warm-up ms', 'img/s', 'GFLOP/step', 'GFLOP/s', 'GEMM GFLOP/s', 'efficiency', 'inference img/s'];
  const rows = results.map((r) => [
    r.model, r.batch, r.step.medianMs, r.step.warmupMs, r.imagesPerSecond, r.flops.gflopPerStep, r.gflops, r.matmul.gflops, percent(r.efficiency),
    r.inference ? `${r.inference.imagesPerSecond} (b${r.inference.batch})` : '',
  ].map(String));
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.error(['', line(columns), ...rows.map(line)].join('\n'));
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

async function main(): Promise<void> {
  const runs = modelRuns();
  const matmulSize = positiveInt('matmul', 1024);
  const esp = await acquireDevice({ adapter: args.get('adapter') });
  const gpu = new Gpu(esp);
  const context: Context = { adapter: esp.adapter, runtime: `${esp.adapter.runtime} ${process.version}`, version, date: new Date().toISOString() };
  console.error(`espgpu ${version}, ${context.runtime}, ${esp.adapter.vendor} ${esp.adapter.description}${esp.adapter.isSoftware ? ' (software)' : ''}`);
  const results: Result[] = [];
  for (const run of runs) {
    const result = await benchModel(gpu, run, context, matmulSize);
    printResult(result);
    results.push(result);
  }
  printTable(results);
  console.log(
    JSON.stringify(
      {
        suite: 'train',
        ...context,
        timing: 'wall clock per step, each waited for; median of repeats after one warm-up step (pipeline compilation included)',
        flops: 'convolutions and linear layers, 2 per multiply-add, forward + backward-data (none for the first layer) + backward-weight (src/nn/flops.ts)',
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
