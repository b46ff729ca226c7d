// A run killed with SIGKILL in the middle of training, in a real child process, and resumed
// from its last checkpoint here, ends with exactly the weights of an uninterrupted run.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { nodeFileStore } from '../../src/io/atomicFile.ts';
import { parseMetrics } from '../../src/io/metrics.ts';
import { Trainer, type TrainerOptions } from '../../src/train/trainer.ts';
import { tinyRunOptions } from '../fixtures/tinyRun.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();
const root = fileURLToPath(new URL('../..', import.meta.url));
let folder = '';
let bundleFolder = '';

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'espgpu-resume-'));
  // The bundle lives inside the repository so its `webgpu` import resolves from node_modules.
  await mkdir(join(root, 'node_modules', '.cache'), { recursive: true });
  bundleFolder = await mkdtemp(join(root, 'node_modules', '.cache', 'espgpu-resume-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await rm(bundleFolder, { recursive: true, force: true });
});

async function bundleChild(): Promise<string> {
  const outfile = join(bundleFolder, 'resumeChild.mjs');
  await build({
    entryPoints: [join(root, 'test', 'fixtures', 'resumeChild.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    loader: { '.wgsl': 'text', '.wasm': 'binary' },
    absWorkingDir: root,
    logLevel: 'warning',
  });
  return outfile;
}

interface Killed {
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/** Runs the child and kills it with SIGKILL once it reports a checkpoint at step ≥ `after`. */
function runAndKill(script: string, args: string[], after: number): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const match = /^checkpoint (\d+)$/.exec(line);
        if (match && Number(match[1]) >= after) child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ signal, lines, stderr }));
  });
}

async function finalState(g: Gpu, trainer: Trainer) {
  const { store } = trainer.classifier;
  const bits = async (t: Parameters<Gpu['read']>[0]) => new Uint32Array((await g.read(t)).buffer);
  return {
    values: await bits(store.values),
    momentum: await bits(store.momentum),
    state: await Promise.all(store.state.map((s) => bits(s.value))),
  };
}

async function train(g: Gpu, options: TrainerOptions) {
  const trainer = new Trainer(g, options);
  const done = await trainer.run();
  const state = await finalState(g, trainer);
  trainer.dispose();
  return { done, state };
}

describe('kill and resume', () => {
  it('a run killed with SIGKILL after a checkpoint, resumed, ends bit for bit where the uninterrupted run ends', async () => {
    const checkpoint = join(folder, 'run', 'tiny.safetensors');
    const metricsPath = join(folder, 'run', 'metrics.jsonl');
    // Killed as soon as it reports its first checkpoint (step 4 of 32, mid-epoch): it may be
    // writing the next one by then, which the atomic replacement makes harmless.
    const killed = await runAndKill(await bundleChild(), [checkpoint, metricsPath], 4);
    expect(killed.signal, `child stderr: ${killed.stderr}`).toBe('SIGKILL');
    expect(killed.lines).toContain('checkpoint 4');
    expect(killed.lines).not.toContain('done');

    const files = nodeFileStore;
    const resumed = await train(gpu(), { ...tinyRunOptions(), checkpoint: { path: checkpoint, everySteps: 4 }, resume: checkpoint, metricsPath, files });
    expect(resumed.done).toMatchObject({ status: 'completed', step: 32, totalSteps: 32 });

    const uninterrupted = await train(gpu(), tinyRunOptions());
    expect(resumed.state.values).toEqual(uninterrupted.state.values);
    expect(resumed.state.momentum).toEqual(uninterrupted.state.momentum);
    expect(resumed.state.state).toEqual(uninterrupted.state.state);
    expect(resumed.state.state).toHaveLength(2); // batch-norm running mean and variance

    // The log holds both sessions: the resumed one starts at a checkpoint of the killed one.
    const records = parseMetrics(await readFile(metricsPath, 'utf8'), metricsPath);
    const starts = records.filter((r) => r.event === 'start');
    expect(starts).toHaveLength(2);
    expect(starts[0]!.step).toBe(0);
    const resumedAt = starts[1]!.step as number;
    expect(resumedAt % 4).toBe(0);
    expect(resumedAt).toBeGreaterThanOrEqual(4);
    expect(resumedAt).toBeLessThan(32);
    expect(starts[1]!.resumedFrom).toBe(checkpoint);
    expect(records.at(-1)).toMatchObject({ event: 'done', status: 'completed', step: 32 });
    const firstStepAfterResume = records.slice(records.indexOf(starts[1]!)).find((r) => r.event === 'step');
    expect(firstStepAfterResume!.step).toBe(resumedAt);
  }, 300_000);
});
