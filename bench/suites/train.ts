// Training suite: ms per Classifier.trainStep (forward, loss, backward, SGD: one command
// buffer, waited for) of the MNIST CNN, WRN-40-2 and ResNet-18 on a fixed random batch,
// images/s, and the effective GFLOP/s of the step's convolutions and linear layers
// (src/nn/flops.ts) as a share of the default GEMM's rate at n³ measured in the same run,
// just before and just after each model (the machine's load drifts). Also the forward-only
// (inference) rate, and with the profile option each top-level layer's forward and backward
// timed apart (for the MNIST CNN every layer; for the residual networks every block).
// Warm-up (pipeline compilation included) is reported apart from the median of the repeats.
// Repeats default to 5 for the MNIST CNN and 1 for the others, whose steps take tens of
// seconds on a software adapter.
import { AugmentationPipeline } from '../../src/augment/pipeline.ts';
import type { Gpu } from '../../src/gpu/gpu.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import { softmaxCrossEntropy } from '../../src/kernels/softmax_xent.ts';
import { trainingStepFlops, type StepFlops } from '../../src/nn/flops.ts';
import type { Layer, StepContext } from '../../src/nn/layer.ts';
import { createModel, modelDefinition } from '../../src/nn/models/index.ts';
import { Classifier } from '../../src/train/classifier.ts';
import type { SuiteOptions } from '../options.ts';
import type { Metric } from '../record.ts';
import { median, round, timed, type Timing } from '../timing.ts';
import { randomInts } from './randomInts.ts';
import type { Suite } from './suite.ts';

interface ModelRun {
  name: string;
  batch: number;
  repeats: number;
  /** Forward-only batch. */
  inferenceBatch: number;
}

function modelRuns(options: SuiteOptions): ModelRun[] {
  const { batch, repeats, inferenceBatch } = options;
  const resnetBatch = options.resnetBatch ?? batch ?? 32;
  const runs: ModelRun[] = [
    { name: 'mnist-cnn', batch: batch ?? 128, repeats: repeats ?? 5, inferenceBatch: inferenceBatch ?? 512 },
    { name: 'wrn-40-2', batch: batch ?? 128, repeats: repeats ?? 1, inferenceBatch: inferenceBatch ?? batch ?? 128 },
    { name: 'resnet18', batch: resnetBatch, repeats: repeats ?? 1, inferenceBatch: inferenceBatch ?? resnetBatch },
  ];
  const wanted = options.models; // names checked by parseSuiteOptions
  if (!wanted) return runs;
  return runs.filter((r) => wanted.includes(r.name));
}

async function timedWithCompilation(gpu: Gpu, repeats: number, run: () => Promise<void>) {
  const [compileMs, pipelines] = [gpu.pipelines.compileMs, gpu.pipelines.size];
  const timing = await timed(repeats, run, gpu);
  return { ...timing, compileMs: round(gpu.pipelines.compileMs - compileMs), pipelinesCompiled: gpu.pipelines.size - pipelines };
}

/**
 * What the CPU spends recording a step (trainStep's own time: encoding and submitting, not the
 * GPU's work), and what the step creates and submits: from the third step on, a step should
 * create no bind group and submit one command buffer (the first two fill the caches, as the
 * buffer pool hands a step's buffers back in the other order the next step). With two steps or
 * fewer the last one is reported.
 */
function recordingCosts(gpu: Gpu) {
  const steps: { ms: number; bindGroups: number; submits: number; dispatches: number }[] = [];
  const counters = () => gpu.stats() as { bindGroupsCreated?: number; submits?: number; dispatches: number };
  return {
    async measure<T>(record: () => Promise<T>): Promise<T> {
      const before = counters();
      const started = performance.now();
      const result = await record();
      const ms = performance.now() - started;
      const after = counters();
      steps.push({ ms, bindGroups: (after.bindGroupsCreated ?? NaN) - (before.bindGroupsCreated ?? NaN), submits: (after.submits ?? NaN) - (before.submits ?? NaN), dispatches: after.dispatches - before.dispatches });
      return result;
    },
    summary() {
      // Toy runs (tests) may have two steps or fewer: then the last stands for the steady state.
      const steady = steps.length > 2 ? steps.slice(2) : steps.slice(-1);
      const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? NaN;
      return {
        /** Median ms of trainStep's own time from the third step on. */
        encodeMs: round(median(steady.map((x) => x.ms))),
        dispatchesPerStep: steady[0]?.dispatches ?? NaN,
        bindGroupsFirstTwoSteps: steps.slice(0, 2).reduce((n, x) => n + x.bindGroups, 0),
        bindGroupsAfter: steady.reduce((n, x) => n + x.bindGroups, 0),
        submitsPerStep: steady[0]?.submits ?? NaN,
        steadySteps: steady.length,
      };
    },
  };
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
  }, gpu);
  gpu.release(a, b);
  return timing;
}

/**
 * GFLOP/s of the matmul runs before and after a model's runs together (their median), so
 * load drift on a shared machine hits both sides of the ratio; on both clocks when the GPU
 * one was measured.
 */
function matmulRate(n: number, before: Timing, after: Timing) {
  const gflops = (ms: number) => round((2 * n ** 3) / 1e6 / ms);
  const gpuTimes = before.gpuTimesMs && after.gpuTimesMs ? [...before.gpuTimesMs, ...after.gpuTimesMs] : undefined;
  return {
    size: n,
    before: { ...before, gflops: gflops(before.medianMs) },
    after: { ...after, gflops: gflops(after.medianMs) },
    gflops: gflops(median([...before.timesMs, ...after.timesMs])),
    gpuGflops: gpuTimes ? gflops(median(gpuTimes)) : undefined,
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

/**
 * One training step with every dispatch in a timed pass of its own: each kernel's GPU time
 * (file and entry point, summed over its dispatches), largest first, with its share of the sum.
 */
async function kernelProfile(gpu: Gpu, classifier: Classifier, x: Tensor, targets: Tensor, step: number) {
  gpu.startTiming({ perKernel: true });
  const result = await classifier.trainStep(step, x, targets);
  const time = await gpu.stopTiming();
  result.release();
  const kernels = Object.entries(time.byLabel)
    .map(([kernel, k]) => ({ kernel, ms: round(k.ms), dispatches: k.passes, percent: round((100 * k.ms) / time.ms) }))
    .sort((a, b) => b.ms - a.ms);
  return { timing: 'one step, one timed pass a dispatch', sumMs: round(time.ms), dispatches: time.passes, untimed: time.untimed, kernels };
}

async function benchModel(gpu: Gpu, run: ModelRun, options: SuiteOptions) {
  const spec = modelDefinition(run.name);
  const model = createModel(run.name, { seed: 0 });
  const flops: StepFlops = trainingStepFlops(model, [run.batch, ...spec.inputShape]);
  const gemmBefore = await matmulTiming(gpu, options.matmul);
  const classifier = new Classifier(gpu, model, 0, { momentum: 0.9, nesterov: false, weightDecay: 5e-4, schedule: () => 0.01 });
  const batch = await randomBatch(gpu, spec.inputShape, spec.classes, run.batch);
  let step = 0;
  const recording = recordingCosts(gpu);
  const train = await timedWithCompilation(gpu, run.repeats, async () => {
    const result = await recording.measure(() => classifier.trainStep(step++, batch.x, batch.targets));
    await gpu.sync();
    result.release();
  });
  const layerProfile = options.profile ? await profile(gpu, classifier, batch.x, batch.targets, run.repeats, step) : undefined;
  const kernels = options.kernelProfile && gpu.canTime ? await kernelProfile(gpu, classifier, batch.x, batch.targets, step++) : undefined;
  batch.dispose();
  const inference = options.inference ? await inferenceRate(gpu, classifier, run) : undefined;
  classifier.dispose();
  const gemm = matmulRate(options.matmul, gemmBefore, await matmulTiming(gpu, options.matmul));
  const stepGflops = flops.total / 1e6 / train.medianMs;
  const gpuStepGflops = train.gpuMedianMs ? flops.total / 1e6 / train.gpuMedianMs : undefined;
  return {
    model: run.name,
    batch: run.batch,
    image: spec.inputShape,
    classes: spec.classes,
    repeats: run.repeats,
    flops: { ...flops, gflopPerStep: round(flops.total / 1e9) },
    step: train,
    recording: recording.summary(),
    imagesPerSecond: round((run.batch / train.medianMs) * 1000),
    gflops: round(stepGflops),
    matmul: gemm,
    /** step GFLOP/s ÷ the default GEMM's GFLOP/s, wall clock on both sides (the target is ≥ 0.5) */
    efficiency: round(stepGflops / gemm.gflops),
    /** The same on the GPU clock: the kernels' own efficiency, without the CPU's recording and waits. */
    gpuEfficiency: gpuStepGflops && gemm.gpuGflops ? round(gpuStepGflops / gemm.gpuGflops) : undefined,
    inference,
    profile: layerProfile,
    kernelProfile: kernels,
  };
}

/** Classifier.predict: the forward pass in evaluation mode (running BN statistics, no dropout). */
async function inferenceRate(gpu: Gpu, classifier: Classifier, run: ModelRun) {
  const spec = modelDefinition(run.name);
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
function logResult(r: Result, log: (line: string) => void): void {
  const pad = ' '.repeat(11);
  log(
    `${r.model.padEnd(10)} batch ${r.batch}: ${r.step.medianMs} ms/step (median of ${r.repeats}; warm-up ${r.step.warmupMs} ms, ` +
      `${r.step.pipelinesCompiled} pipelines compiled in ${r.step.compileMs} ms), ${r.imagesPerSecond} img/s, ` +
      `${r.flops.gflopPerStep} GFLOP/step → ${r.gflops} GFLOP/s`,
  );
  const c = r.recording;
  log(`${pad}recording: ${c.encodeMs} ms of CPU a step for ${c.dispatchesPerStep} dispatches, ${c.submitsPerStep} submit(s) a step; ` +
    `bind groups created: ${c.bindGroupsFirstTwoSteps} in the first two steps, ${c.bindGroupsAfter} in the ${c.steadySteps} after`);
  if (r.step.gpuMedianMs !== undefined) log(`${pad}GPU time of the step's passes: ${r.step.gpuMedianMs} ms → efficiency on the GPU clock ${percent(r.gpuEfficiency)}`);
  log(`${pad}default GEMM ${r.matmul.size}³: ${r.matmul.gflops} GFLOP/s (${r.matmul.before.gflops} before, ${r.matmul.after.gflops} after) → efficiency ${percent(r.efficiency)}`);
  if (r.inference) log(`${pad}inference batch ${r.inference.batch}: ${r.inference.medianMs} ms, ${r.inference.imagesPerSecond} img/s, ${r.inference.gflops} GFLOP/s`);
  if (r.kernelProfile) {
    const k = r.kernelProfile;
    log(`${pad}kernels (${k.timing}; ${k.dispatches} dispatches${k.untimed ? `, ${k.untimed} untimed` : ''}, ${k.sumMs} ms):`);
    for (const e of k.kernels) log(`${pad}  ${e.kernel.padEnd(58)} ${String(e.ms).padStart(9)} ms  ${String(e.dispatches).padStart(5)}×  ${String(e.percent).padStart(6)}%`);
  }
  if (!r.profile) return;
  log(`${pad}profile (${r.profile.timing}; sum ${r.profile.sumMs} ms against the step's ${r.step.medianMs} ms):`);
  const row = (name: string, forwardMs: number, backwardMs: number, share: number) =>
    log(`${pad}  ${name.padEnd(22)} fwd ${String(forwardMs).padStart(9)} ms  bwd ${String(backwardMs).padStart(9)} ms  ${String(share).padStart(6)}%`);
  for (const l of r.profile.layers) row(l.layer, l.forwardMs, l.backwardMs, l.percent);
  log(`${pad}by type:`);
  for (const t of r.profile.byType) row(t.type, t.forwardMs, t.backwardMs, t.percent);
}

function percent(ratio: number | undefined): string {
  return ratio === undefined ? '–' : `${Math.round(ratio * 100)}%`;
}

function metricsOf(r: Result): Metric[] {
  const name = `${r.model} batch ${r.batch}`;
  const metric = (what: string, value: number, unit: string, better: Metric['better'], clock: Metric['clock']): Metric => ({ suite: 'train', name: `${name} ${what}`, value, unit, better, clock });
  const metrics = [
    metric('training', r.imagesPerSecond, 'img/s', 'higher', 'wall'),
    metric('step', r.step.medianMs, 'ms', 'lower', 'wall'),
    metric('efficiency vs GEMM', round(100 * r.efficiency), '%', 'higher', 'wall'),
    metric('CPU recording', r.recording.encodeMs, 'ms', 'lower', 'wall'),
  ];
  if (r.step.gpuMedianMs !== undefined) metrics.push(metric('step GPU time', r.step.gpuMedianMs, 'ms', 'lower', 'gpu'));
  if (r.gpuEfficiency !== undefined) metrics.push(metric('efficiency vs GEMM, GPU clock', round(100 * r.gpuEfficiency), '%', 'higher', 'gpu'));
  if (r.inference) metrics.push({ suite: 'train', name: `${r.model} batch ${r.inference.batch} inference`, value: r.inference.imagesPerSecond, unit: 'img/s', better: 'higher', clock: 'wall' });
  return metrics;
}

export const trainSuite: Suite = {
  name: 'train',
  summary: 'training step and inference of the three models, with efficiency against the GEMM rate measured in the same run',
  async run({ gpu, options, log }) {
    const results: Result[] = [];
    for (const run of modelRuns(options)) {
      const result = await benchModel(gpu, run, options);
      logResult(result, log);
      results.push(result);
    }
    return {
      metrics: results.flatMap(metricsOf),
      details: {
        timing: 'per step, each waited for; median of repeats after one warm-up step (pipeline compilation included); wall clock, and GPU time of the passes where timestamps exist',
        flops: 'convolutions and linear layers, 2 per multiply-add, forward + backward-data (none for the first layer) + backward-weight (src/nn/flops.ts)',
        results,
      },
    };
  },
};
