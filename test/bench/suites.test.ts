// The benchmark suites run end to end at toy sizes, in process and through the bundled Node
// runner, so they cannot rot: every figure is finite and positive, kernels are timed on the
// GPU clock where the adapter has timestamps, and the run record passes the report's check.
// No speed is asserted here (speed lives in bench/).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSuiteOptions } from '../../bench/options.ts';
import { checkRun, type BenchRun } from '../../bench/record.ts';
import { runSuites } from '../../bench/runSuites.ts';
import { selectSuites } from '../../bench/suites/index.ts';
import { acquireDevice, type AcquiredDevice } from '../../src/device/device.ts';

const runner = new URL('../../dist/bench/run.js', import.meta.url).pathname;
const TOY = { batch: '4', repeats: '1', only: 'conv1', matmul: '64', models: 'mnist-cnn', 'inference-batch': '4', images: '16', 'kernel-profile': '1' };

describe('benchmark suites at toy sizes', () => {
  let esp: AcquiredDevice | undefined;
  let run: BenchRun;
  const lines: string[] = [];

  beforeAll(async () => {
    esp = await acquireDevice();
    const options = parseSuiteOptions((name) => TOY[name as keyof typeof TOY]);
    run = await runSuites(esp, selectSuites([]), options, `node ${process.version}`, (line) => lines.push(line));
  }, 240_000);
  afterAll(() => esp?.dispose());

  it('every suite reports finite, positive figures and the run record passes checkRun', () => {
    expect(checkRun(JSON.parse(JSON.stringify(run)), 'run.json')).toBeTruthy();
    expect(new Set(run.metrics.map((m) => m.suite))).toEqual(new Set(['kernels', 'augment', 'train', 'epoch']));
    for (const m of run.metrics) expect(m.value, `${m.suite} ${m.name}`).toBeGreaterThan(0);
    expect(Object.keys(run.details).sort()).toEqual(['augment', 'epoch', 'kernels', 'train']);
    expect(run.options).toMatchObject({ batch: 4, repeats: 1, only: 'conv1', models: ['mnist-cnn'] });
  });

  it('kernels: only the --only matches, on the GPU clock where timestamps exist', () => {
    const kernels = run.metrics.filter((m) => m.suite === 'kernels');
    // conv1's short window: forward and backward-weight on the direct kernels and the implicit GEMM, backward-data on the GEMM only.
    const names = ['fwd direct', 'fwd implicitGemm', 'bwd-data implicitGemm', 'bwd-weight direct', 'bwd-weight implicitGemm'];
    expect(kernels.map((m) => m.name)).toEqual(names.map((n) => `conv ${n.split(' ')[0]} mnist-cnn conv1 @28px ${n.split(' ')[1]}`));
    const clock = run.environment.clock === 'gpu-timestamps' ? 'gpu' : 'wall';
    for (const m of kernels) expect(m.clock).toBe(clock);
  });

  it('train: images/s agrees with the step time it came from, and ESP is timed in the augment suite', () => {
    const metric = (name: string) => run.metrics.find((m) => m.name === name)!;
    const imagesPerSecond = metric('mnist-cnn batch 4 training').value;
    const stepMs = metric('mnist-cnn batch 4 step').value;
    expect(imagesPerSecond).toBeCloseTo((4 / stepMs) * 1000, 0);
    expect(metric('mnist-cnn batch 4 inference').unit).toBe('img/s');
    expect(metric('esp 28x28x1').unit).toBe('img/s');
    expect(metric('esp 28x28x1 ÷ MNIST-CNN step').unit).toBe('%');
    expect(lines.some((l) => l.includes('## train:'))).toBe(true);
  });

  it('train --kernel-profile: every kernel of one step, largest first, summing to the step\'s GPU time', () => {
    const details = run.details.train as { results: { kernelProfile?: { sumMs: number; dispatches: number; kernels: { kernel: string; ms: number; dispatches: number }[] } }[] };
    const profile = details.results[0]!.kernelProfile!;
    if (run.environment.clock !== 'gpu-timestamps') return expect(profile).toBeUndefined();
    const names = profile.kernels.map((k) => k.kernel);
    expect(names.some((n) => n.includes('sgd.wgsl:sgdStep'))).toBe(true);
    expect(names.some((n) => n.includes('softmax_xent.wgsl'))).toBe(true);
    expect(profile.kernels.reduce((s, k) => s + k.dispatches, 0)).toBe(profile.dispatches);
    expect(profile.kernels.reduce((s, k) => s + k.ms, 0)).toBeCloseTo(profile.sumMs, 0);
    const ms = profile.kernels.map((k) => k.ms);
    expect(ms).toEqual([...ms].sort((a, b) => b - a));
    expect(lines.some((l) => l.includes('kernels (one step, one timed pass a dispatch'))).toBe(true);
  });

  it('epoch: images/s is the images over the epoch\'s seconds', () => {
    const name = 'mnist-cnn ESP epoch of 16, batch 4';
    const rate = run.metrics.find((m) => m.name === name && m.unit === 'img/s')!.value;
    const seconds = run.metrics.find((m) => m.name === name && m.unit === 's')!.value;
    expect(rate * seconds).toBeCloseTo(16, 0);
  });
});

describe('benchmark options', () => {
  it('names the option and what was expected', () => {
    expect(() => parseSuiteOptions((n) => (n === 'batch' ? '0' : undefined))).toThrow('option batch must be a positive integer, got "0"');
    expect(() => parseSuiteOptions((n) => (n === 'profile' ? 'maybe' : undefined))).toThrow(/option profile is a switch/);
    expect(() => parseSuiteOptions((n) => (n === 'conv' ? 'fft' : undefined))).toThrow('option conv: expected auto or winogradF4 or winogradF6 or implicitGemm, got "fft"');
    expect(parseSuiteOptions((n) => (n === 'conv' ? 'implicitGemm' : undefined)).conv).toBe('implicitGemm');
    expect(parseSuiteOptions((n) => (n === 'gemm' ? 'gemmRegistersShuffle:1x8:16x6' : undefined)).gemm).toEqual({ variant: 'gemmRegistersShuffle', WG_M: 1, WG_N: 8, TM: 16, TN: 6, TK: 8 });
    for (const bad of ['gemmMagic:1x8:16x8', 'gemmRegisters:1x8', 'gemmRegisters:0x8:16x8'])
      expect(() => parseSuiteOptions((n) => (n === 'gemm' ? bad : undefined)), bad).toThrow(`option gemm: expected VARIANT:WG_MxWG_N:TMxTN with VARIANT one of gemmTiled, gemmRegisters, gemmRegistersShuffle and sizes 1…1024, got "${bad}"`);
    expect(() => selectSuites(['kernels', 'gemm'])).toThrow(/unknown suite gemm; expected kernels, augment, train, epoch/);
  });

  it('the Node runner maps its flags onto the same options and writes the record atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'espgpu-bench-'));
    const out = join(dir, 'run.json');
    execFileSync(process.execPath, [runner, 'kernels', '--only', 'conv4 @10px', '--batch', '2', '--repeats', '1', '--matmul', '32', '--out', out], { stdio: 'pipe' });
    const saved = checkRun(JSON.parse(readFileSync(out, 'utf8')), out);
    expect(saved.options).toMatchObject({ suites: ['kernels'], batch: 2, only: 'conv4 @10px', inference: true, profile: false });
    expect(saved.options.gemmTile).toMatch(/^gemm\w+ \d+x\d+ lanes, \d+x\d+ registers, TK \d+$/);
    // A Winograd layer: each pass on F4, F6 and the implicit GEMM, and each forward tile size's products and transforms alone.
    const names = saved.metrics.map((m) => m.name.replace('conv ', '').replace(' mnist-cnn conv4 @10px', ''));
    expect(names.sort()).toEqual(['bwd-data', 'bwd-weight', 'fwd'].flatMap((p) => ['implicitGemm', 'winogradF4', 'winogradF6'].map((a) => `${p} ${a}`)).concat(['F4', 'F6'].flatMap((t) => [`fwd winograd${t} products only`, `fwd winograd${t} input transform`, `fwd winograd${t} output transform`, `bwd-weight winograd${t} output-grad transform`])).sort());
    const bad = spawnSync(process.execPath, [runner, 'train', '--models', 'vgg'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/bench: option models: unknown vgg; expected names from mnist-cnn, wrn-40-2, resnet18/);
  }, 120_000);
});
