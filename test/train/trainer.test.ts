import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { nodeFileStore } from '../../src/io/atomicFile.ts';
import { decodeSafetensors } from '../../src/io/checkpoint.ts';
import { parseMetrics } from '../../src/io/metrics.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { scheduleFor } from '../../src/train/presets.ts';
import { Trainer, type CheckpointEvent, type DoneEvent, type EpochEvent, type StepEvent, type TrainerOptions } from '../../src/train/trainer.ts';
import { barsDataset, tinyNet, tinyRunOptions } from '../fixtures/tinyRun.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();
let folder = '';
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'espgpu-trainer-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function recorded(trainer: Trainer) {
  const events = { step: [] as StepEvent[], epoch: [] as EpochEvent[], checkpoint: [] as CheckpointEvent[], done: [] as DoneEvent[] };
  trainer.on('step', (e) => events.step.push(e));
  trainer.on('epoch', (e) => events.epoch.push(e));
  trainer.on('checkpoint', (e) => events.checkpoint.push(e));
  trainer.on('done', (e) => events.done.push(e));
  return events;
}

async function weights(g: Gpu, trainer: Trainer) {
  const { store } = trainer.classifier;
  const bits = async (t: Parameters<Gpu['read']>[0]) => new Uint32Array((await g.read(t)).buffer);
  return { values: await bits(store.values), momentum: await bits(store.momentum), state: await Promise.all(store.state.map((s) => bits(s.value))) };
}

describe('Trainer', () => {
  it('trains, evaluates, checkpoints and logs, telling its listeners as it goes', async () => {
    const checkpoint = join(folder, 'events', 'ckpt.safetensors');
    const metricsPath = join(folder, 'events', 'metrics.jsonl');
    const options: TrainerOptions = {
      ...tinyRunOptions(),
      epochs: 3,
      testSet: barsDataset(32, 9),
      evalEvery: 2,
      reportEvery: 3,
      checkpoint: { path: checkpoint, everySteps: 10 },
      metricsPath,
      files: nodeFileStore,
    };
    const trainer = new Trainer(gpu(), options);
    expect([trainer.stepsPerEpoch, trainer.totalSteps]).toEqual([8, 24]);
    const events = recorded(trainer);
    const done = await trainer.run();

    // Step events: every 3rd step and the last of each epoch, with the schedule's rate.
    expect(events.step.map((e) => e.step)).toEqual([2, 5, 7, 8, 11, 14, 15, 17, 20, 23]);
    const lr = scheduleFor(options.schedule!, options.sgd!.lr, 3, 8);
    for (const e of events.step) {
      expect(e).toMatchObject({ epoch: Math.floor(e.step / 8), stepsPerEpoch: 8, totalSteps: 24, lr: lr(e.step) });
      expect(Number.isFinite(e.loss) && e.loss > 0).toBe(true);
      expect(e.batchAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.batchAccuracy).toBeLessThanOrEqual(1);
      expect(e.imagesPerSecond).toBeGreaterThan(0);
    }
    expect(events.step.at(-1)!.etaSeconds).toBe(0);
    expect(events.step[0]!.etaSeconds).toBeGreaterThan(0);

    // Epoch events: the test set is evaluated on epochs 1 (every 2nd) and 2 (the last).
    expect(events.epoch.map((e) => [e.epoch, e.step, e.cleanError === undefined])).toEqual([[0, 8, true], [1, 16, false], [2, 24, false]]);
    const finalError = events.epoch[2]!.cleanError!;
    expect(finalError).toBeGreaterThanOrEqual(0);
    expect(finalError).toBeLessThan(25); // chance is 50%: the net has learnt the bars
    expect(events.checkpoint).toEqual([{ path: checkpoint, step: 10 }, { path: checkpoint, step: 20 }, { path: checkpoint, step: 24 }]);
    expect(events.done).toEqual([done]);
    expect(done).toMatchObject({ status: 'completed', step: 24, totalSteps: 24, cleanError: finalError });

    // The checkpoint on disk is the final state.
    const { tensors, metadata } = decodeSafetensors(await nodeFileStore.read(checkpoint), checkpoint);
    expect(metadata).toMatchObject({ model: 'tiny-net', step: '24', epoch: '3', seed: '3' });
    const conv = tensors.find((t) => t.name === 'conv.weight')!;
    const param = trainer.classifier.store.parameters.find((p) => p.name === 'conv.weight')!;
    expect(conv.data).toEqual((await gpu().read(trainer.classifier.store.values)).slice(param.offset, param.offset + param.size));

    // The metrics file holds one line per event, in order.
    const records = parseMetrics(await readFile(metricsPath, 'utf8'), metricsPath);
    const order = records.map((r) => r.event);
    expect(order[0]).toBe('start');
    expect(order.at(-1)).toBe('done');
    expect(order.filter((e) => e === 'step')).toHaveLength(events.step.length);
    expect(records.filter((r) => r.event === 'step').map((r) => r.loss)).toEqual(events.step.map((e) => e.loss));
    expect(records.filter((r) => r.event === 'epoch').map((r) => r.cleanError)).toEqual(events.epoch.map((e) => e.cleanError));
    expect(records.filter((r) => r.event === 'checkpoint').map((r) => r.step)).toEqual([10, 20, 24]);
    expect(records[0]).toMatchObject({ step: 0, totalSteps: 24, model: 'tiny-net', settings: { epochs: 3, batchSize: 8, seed: 3 } });
    trainer.dispose();
  });

  it('stops at a step boundary when aborted, checkpoints, and resumes to the uninterrupted run’s weights exactly', async () => {
    const uninterrupted = new Trainer(gpu(), tinyRunOptions());
    await uninterrupted.run();
    const expected = await weights(gpu(), uninterrupted);
    uninterrupted.dispose();

    const path = join(folder, 'abort', 'ckpt.safetensors');
    const controller = new AbortController();
    const first = new Trainer(gpu(), { ...tinyRunOptions(), checkpoint: { path }, files: nodeFileStore, signal: controller.signal });
    const events = recorded(first);
    first.on('step', (e) => e.step === 10 && controller.abort());
    const aborted = await first.run();
    first.dispose();
    expect(aborted).toMatchObject({ status: 'aborted', step: 11, totalSteps: 32 });
    expect(events.step.at(-1)!.step).toBe(10);
    expect(events.checkpoint).toEqual([{ path, step: 11 }]);

    const second = new Trainer(gpu(), { ...tinyRunOptions(), checkpoint: { path }, resume: path, files: nodeFileStore });
    const resumedSteps = recorded(second).step;
    expect(await second.run()).toMatchObject({ status: 'completed', step: 32 });
    expect(resumedSteps[0]!.step).toBe(11);
    expect(await weights(gpu(), second)).toEqual(expected);
    second.dispose();
  });

  it('refuses to resume from a checkpoint of another run, saying what differs', async () => {
    const path = join(folder, 'other', 'ckpt.safetensors');
    const controller = new AbortController();
    controller.abort();
    const t = new Trainer(gpu(), { ...tinyRunOptions(), checkpoint: { path }, files: nodeFileStore, signal: controller.signal });
    expect(await t.run()).toMatchObject({ status: 'aborted', step: 0 });
    t.dispose();
    const resume = async (changes: Partial<TrainerOptions>) => {
      const trainer = new Trainer(gpu(), { ...tinyRunOptions(), resume: path, files: nodeFileStore, ...changes });
      try {
        await trainer.run();
      } finally {
        trainer.dispose();
      }
    };
    await expect(resume({ sgd: { ...tinyRunOptions().sgd!, lr: 0.1 } })).rejects.toThrow(
      new RegExp(`checkpoint ${path} is from a run with other settings, so resuming would not continue it: settings\\.sgd\\.lr: 0\\.1 here, 0\\.05 in the checkpoint`),
    );
    await expect(resume({ seed: 4 })).rejects.toThrow(/settings\.seed: 4 here, 3 in the checkpoint/);
    await expect(resume({ epochs: 5 })).rejects.toThrow(/settings\.epochs: 5 here, 4 in the checkpoint/);
    await expect(resume({ augmentation: { method: 'l2', l2: { epsilon: 1 } } })).rejects.toThrow(/settings\.augmentation\.method: "l2" here, "esp" in the checkpoint; settings\.augmentation\.l2: \{"epsilon":1\} here, absent in the checkpoint/);
    const data = barsDataset(64, 1);
    data.images[100]! ^= 1;
    await expect(resume({ dataset: data })).rejects.toThrow(/settings\.dataset\.crc32: "[0-9a-f]{8}" here, "[0-9a-f]{8}" in the checkpoint/);
    await expect(resume({ model: (seed) => tinyNet(seed, 5) })).rejects.toThrow(/does not fit model "tiny-net": "conv\.weight" is \[4, 1, 3, 3\] in the file but \[5, 1, 3, 3\] in the model/);
    await expect(resume({ modelName: 'wrn-40-2' })).rejects.toThrow(/it holds model "tiny-net", but this run trains "wrn-40-2"/);
    await expect(resume({ resume: join(folder, 'missing.safetensors') })).rejects.toThrow(/cannot read checkpoint .*missing\.safetensors to resume from \(ENOENT/);
    const damaged = await readFile(path);
    damaged[damaged.length - 3]! ^= 0x10;
    const damagedPath = join(folder, 'other', 'damaged.safetensors');
    await writeFile(damagedPath, damaged);
    await expect(resume({ resume: damagedPath })).rejects.toThrow(new RegExp(`checkpoint ${damagedPath}: checksum mismatch`));
  });

  it('refuses to start a fresh run over an existing checkpoint unless told to overwrite', async () => {
    const path = join(folder, 'exists.safetensors');
    await writeFile(path, 'precious');
    const fresh = (overwrite?: boolean) => new Trainer(gpu(), { ...tinyRunOptions(), epochs: 1, checkpoint: { path, overwrite }, files: nodeFileStore });
    const metricsPath = join(folder, 'exists.jsonl');
    const refused = new Trainer(gpu(), { ...tinyRunOptions(), checkpoint: { path }, metricsPath, files: nodeFileStore });
    await expect(refused.run()).rejects.toThrow(/checkpoint .*exists\.safetensors already exists: resume from it \(resume: its path\) or set checkpoint\.overwrite/);
    refused.dispose();
    expect(await readFile(path, 'utf8')).toBe('precious');
    // The log says why the run never started.
    expect(parseMetrics(await readFile(metricsPath, 'utf8'), metricsPath)).toEqual([
      expect.objectContaining({ event: 'error', message: expect.stringMatching(/already exists/) }),
    ]);
    const allowed = fresh(true);
    expect((await allowed.run()).status).toBe('completed');
    allowed.dispose();
    expect(decodeSafetensors(await nodeFileStore.read(path), path).metadata.step).toBe('8');
  });

  it('checks its options before touching the GPU, naming the field', () => {
    const base = tinyRunOptions();
    const make = (changes: Partial<TrainerOptions>) => () => new Trainer(gpu(), { ...base, ...changes });
    expect(make({ epochs: 0 })).toThrow(/^Trainer: epochs must be an integer ≥ 1, got 0/);
    expect(make({ batchSize: 65 })).toThrow(/batchSize 65 is larger than the dataset \(64 images\)/);
    expect(make({ sgd: undefined })).toThrow(/sgd \{ lr, momentum, nesterov, weightDecay \} is required with a model factory/);
    expect(make({ schedule: undefined })).toThrow(/schedule \{ kind, … \} is required/);
    expect(make({ sgd: { ...base.sgd!, momentum: 2 } })).toThrow(/Trainer: sgd\.momentum must be a number in \[0, 1\), got 2/);
    expect(make({ schedule: { kind: 'cosine', lrMin: 1 } })).toThrow(/schedule\.lrMin must be a number in \[0, sgd\.lr = 0\.05\], got 1/);
    expect(make({ reportEvery: 0 })).toThrow(/reportEvery must be an integer ≥ 1, got 0/);
    expect(make({ checkpoint: { path: 'x', everySteps: 0 }, files: nodeFileStore })).toThrow(/checkpoint\.everySteps must be an integer ≥ 1, got 0/);
    expect(make({ checkpoint: { path: 'x' } })).toThrow(/checkpoint, metricsPath and resume need options\.files \(in Node: nodeFileStore/);
    expect(make({ metricsPath: 'm.jsonl' })).toThrow(/need options\.files/);
    const rgb = { shape: [4, 3, 8, 8] as [number, number, number, number], images: new Uint8Array(768), labels: new Uint8Array(4), classes: 2 };
    expect(make({ testSet: rgb })).toThrow(/testSet has images \[3, 8, 8\] and 2 classes, the dataset \[1, 8, 8\] and 2/);
    const classifier = new Classifier(gpu(), tinyNet(1), 1, { momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0.1 });
    expect(make({ model: classifier })).toThrow(/sgd and schedule come from the Classifier given as model: leave them out/);
    expect(make({ model: classifier, sgd: undefined, schedule: undefined, seed: 2 })).toThrow(/seed 2 differs from the Classifier's seed 1/);
    classifier.dispose();
  });

  it('stops a diverged run with a NonFiniteError and keeps the last good checkpoint', async () => {
    const path = join(folder, 'diverged.safetensors');
    // Good for 16 steps (a checkpoint every 8), then an absurd rate from step 16 on.
    const schedule = { kind: 'constant' as const };
    const exploding: TrainerOptions = { ...tinyRunOptions(), sgd: { ...tinyRunOptions().sgd!, lr: 0.05 }, schedule, checkpoint: { path, everySteps: 8 }, files: nodeFileStore };
    const trainer = new Trainer(gpu(), exploding);
    const steps: number[] = [];
    trainer.on('step', (e) => steps.push(e.step));
    // The optimizer's schedule is the Trainer's: raise the rate from outside, as a bad recipe would.
    const settings = trainer.classifier.optimizer.settings as { schedule: (step: number) => number };
    const base = settings.schedule;
    settings.schedule = (step) => (step < 16 ? base(step) : 1e30);
    const error = await trainer.run().then(() => undefined, (e: Error) => e);
    expect(error?.name).toBe('NonFiniteError');
    expect(error?.message).toMatch(/^Trainer: (the loss is (NaN|-?Infinity) at step \d+|parameters .* = (NaN|-?Infinity) at step \d+): training diverged/);
    expect(error?.message).toMatch(/keeps step 16/);
    const kept = decodeSafetensors(new Uint8Array(await readFile(path)), path);
    expect(kept.metadata.step).toBe('16');
    expect(kept.tensors.every((t) => t.data.every(Number.isFinite))).toBe(true);
    expect(Math.max(...steps)).toBeLessThan(32);
    trainer.dispose();
  });

  it('runs once', async () => {
    const trainer = new Trainer(gpu(), { ...tinyRunOptions(), epochs: 1 });
    await trainer.run();
    await expect(trainer.run()).rejects.toThrow(/a Trainer runs once; make a new one with resume/);
    trainer.dispose();
  });

  it('keeps GPU memory flat over hundreds of steps with evaluation and checkpoints', async () => {
    const trainer = new Trainer(gpu(), {
      ...tinyRunOptions(),
      epochs: 40, // 320 steps
      testSet: barsDataset(16, 5),
      evalEvery: 5,
      reportEvery: 8,
      checkpoint: { path: join(folder, 'flat', 'ckpt.safetensors'), everySteps: 40 },
      metricsPath: join(folder, 'flat', 'metrics.jsonl'),
      files: nodeFileStore,
    });
    const stats: ReturnType<Gpu['stats']>[] = [];
    trainer.on('epoch', () => stats.push(gpu().stats()));
    await trainer.run();
    trainer.dispose();
    expect(stats).toHaveLength(40);
    // By epoch 5 every kind of work (steps, an evaluation, a checkpoint) has happened once.
    const settled = stats[4]!;
    for (const s of stats.slice(5)) {
      expect({ buffers: s.buffers, bytes: s.bytes, inUse: s.inUse, uniforms: s.uniforms, pipelines: s.pipelines }).toEqual({
        buffers: settled.buffers, bytes: settled.bytes, inUse: settled.inUse, uniforms: settled.uniforms, pipelines: settled.pipelines,
      });
    }
    expect(stats.at(-1)!.dispatches).toBeGreaterThan(settled.dispatches);
  });
});
