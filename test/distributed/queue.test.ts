// The study queue end to end, as a cluster runs it: a real redis-server (with a password) on a
// free port, `espgpu study submit | status | report` and `espgpu worker` processes over one
// store folder, tiny runs on the embedded data. Each case has its own queue:
// (a) a plan submitted twice is 3 jobs, drained by two workers into results bit for bit those of
//     `espgpu train --spec` run locally, exported where the study's report reads them;
// (b) a worker killed with SIGKILL after a checkpoint: another finishes its job from it, ending
//     bit for bit where an uninterrupted run ends, and the killed worker's training stops too;
// (c) a job that always fails is failed after its tries, with its error (the dead letters);
// (d) SIGTERM: the worker stops its training at a step boundary and exits at once, the job goes
//     back to waiting with no try used up, and another worker finishes it, bit for bit;
// (e) Redis crashes mid-job and restarts from its append-only file;
// (f) --job-timeout: a try that trains too long is stopped with a checkpoint and fails with the
//     timeout's error; the retry resumes from the checkpoint; after its tries the job is failed.
// (g) a run with flatness arguments: trained, then its final checkpoint measured by `espgpu
//     flatness`, the report exported in its result.json where the study's flatness table reads
//     it; a measurement left unfinished (trained.json, no result.json) is redone without
//     training; flatness arguments giving --checkpoint are refused at submit.
// The Redis password appears in no command's output. Needs redis-server (npm test's set-up
// installs it on Debian as root); without it the file is skipped, saying so.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/distributed/studyWorker.ts';
import { decodeSafetensors } from '../../src/io/checkpoint.ts';
import { parseMetrics } from '../../src/io/metrics.ts';
import type { RunSpec } from '../../src/train/runSpec.ts';
import { flatnessTable, scoreOf, type RunRecord } from '../../experiments/study/report.ts';
import { freePort, redisServer, startRedis as startRedisServer, waitForOutput } from './redisServer.ts';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
if (!redisServer) console.warn('test/distributed/queue.test.ts: SKIPPED: redis-server is not installed (Debian: apt-get install redis-server; `npm test` installs it when run as root)');

const PASSWORD = 'pw:s3cret/42';
const root = mkdtempSync(join(tmpdir(), 'espgpu-queue-'));
const store = join(root, 'store');
let redis: ChildProcess | undefined;
/** (e)'s: an append-only Redis, crashed and restarted. */
let durable: ChildProcess | undefined;
let url = '';
const children = new Set<ChildProcess>();
/** Everything every command printed: the password must be in none of it. */
const printed: string[] = [];

const tiny = (seed: number, trainLimit = 64): RunSpec => ({
  preset: 'mnist', epochs: 2, batchSize: 32, lr: 0.05, seed, data: { dataset: 'embedded', trainLimit, evalLimit: 32 },
});
/** 32 steps, a checkpoint every 2 (the workers' --checkpoint-every): long enough to be stopped mid-run. */
const longer = tiny(7, 512);

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `espgpu …` to completion. */
function espgpu(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('close', (code) => {
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

interface WorkerProcess {
  child: ChildProcess;
  log: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startWorker(queue: string, redisUrl = url, lockMs = 2000, extra: string[] = []): Promise<WorkerProcess> {
  const args = [cli, 'worker', '--redis', redisUrl, '--queue', queue, '--store', store, '--checkpoint-every', '2', '--lock-duration', String(lockMs), '--stalled-interval', '1000', '--progress-interval', '200', ...extra];
  // TMPDIR: its spec files go under root, removed at the end even when the worker was killed.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: root } });
  children.add(child);
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c));
  child.stderr!.on('data', (c: Buffer) => (log += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      printed.push(log);
      resolve({ code, signal });
    }),
  );
  await waitForOutput(child, /worker .* on queue/, `worker on ${queue}`);
  return { child, log: () => log, exited };
}

/** `espgpu train --spec` of `spec` here, its final checkpoint at `checkpoint`. */
async function trainLocally(spec: RunSpec, name: string): Promise<{ checkpoint: string; output: StoredRecord['output'] }> {
  const dir = join(root, 'local');
  mkdirSync(dir, { recursive: true });
  const checkpoint = join(dir, `${name}.safetensors`);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...spec, outputs: { ...spec.outputs, checkpoint } }));
  const run = await espgpu('train', '--spec', join(dir, `${name}.json`), '--json');
  expect(run.code, run.stderr).toBe(0);
  return { checkpoint, output: JSON.parse(run.stdout) as StoredRecord['output'] };
}

/** The checkpoint's tensors as raw bits, by name. */
function tensorBits(path: string): Record<string, number[]> {
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  return Object.fromEntries(tensors.map((t) => [t.name, Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length))]));
}

/** The pids of the processes whose command line holds `text` (Linux: /proc). */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

function writePlan(name: string, runs: unknown[]): string {
  const path = join(root, `${name}.json`);
  writeFileSync(path, JSON.stringify({ runs }));
  return path;
}

function openQueue(name: string, redisUrl = url): Queue {
  const queue = new Queue(name, { connection: { url: redisUrl } });
  queue.on('error', () => {});
  return queue;
}

/** redis-server on `port` with its files in `dir`, the test's password, append-only or not; resolves once it accepts connections. */
const startRedis = (port: number, dir: string, appendOnly: 'yes' | 'no') => startRedisServer(port, dir, appendOnly, PASSWORD);

const storeFolder = (jobId: string) => join(store, jobId);

describe.skipIf(!redisServer)('the study queue on Redis', () => {
  const queues: Queue[] = [];
  const queueOf = (name: string, redisUrl = url) => {
    const queue = openQueue(name, redisUrl);
    queues.push(queue);
    return queue;
  };

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm test does)`);
    const port = await freePort();
    redis = await startRedis(port, join(root, 'redis'), 'no');
    url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close().catch(() => {})));
    for (const child of children) child.kill('SIGKILL');
    redis?.kill('SIGTERM');
    durable?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('(a) a plan submitted twice is 3 jobs; two workers train them as `espgpu train --spec` does, bit for bit; the report exports them', async () => {
    const runs = [
      { study: 'tiny', id: 'seed1', method: 'none', seed: 1, spec: tiny(1) },
      { study: 'tiny', id: 'seed2', method: 'none', seed: 2, spec: tiny(2) },
      { study: 'tiny', id: 'suite', method: 'none', seed: 3, spec: { ...tiny(3), outputs: { suite: 'mnist-c', suiteLimit: 8 } } as RunSpec },
    ];
    const plan = writePlan('plan-a', runs);
    const first = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'a', '--json');
    expect(first.code, first.stderr).toBe(0);
    const again = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'a', '--json');
    expect(again.code, again.stderr).toBe(0);
    const submitted = JSON.parse(first.stdout) as { added: string[] };
    expect(submitted.added).toHaveLength(3);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: [], existing: submitted.added.map((jobId) => ({ jobId, state: 'waiting' })) });
    const queue = queueOf('a');
    expect(await queue.getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 3, active: 0, completed: 0 });

    const [locals, workers] = await Promise.all([
      Promise.all(runs.map((run) => trainLocally(run.spec, `a-${run.id}`))),
      Promise.all([startWorker('a'), startWorker('a')]),
    ]);
    await until('3 completed jobs', async () => (await queue.getCompletedCount()) === 3);
    // Each job trained once, whichever worker took it.
    expect(workers.flatMap((w) => w.log().match(/: finished in/g) ?? [])).toHaveLength(3);
    for (const [i, run] of runs.entries()) {
      const jobId = submitted.added[i]!;
      const record = JSON.parse(readFileSync(join(storeFolder(jobId), 'result.json'), 'utf8')) as StoredRecord;
      expect(record).toMatchObject({ run, jobId, resumed: false, output: { done: { status: 'completed', step: 4, totalSteps: 4 } } });
      expect(record.output.done.cleanError).toBe(locals[i]!.output.done.cleanError);
      expect(record.output.corruption).toEqual(locals[i]!.output.corruption);
      expect(tensorBits(join(storeFolder(jobId), 'checkpoint.safetensors'))).toEqual(tensorBits(locals[i]!.checkpoint));
      expect((await queue.getJob(jobId))!.returnvalue).toMatchObject({ jobId, runId: run.id, step: 4, duplicate: false });
    }

    // A job delivered again (here: removed from Redis and submitted anew) finds its result.json and trains nothing.
    const again0 = submitted.added[0]!;
    const record0 = readFileSync(join(storeFolder(again0), 'result.json'));
    await queue.remove(again0);
    const resubmitted = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'a', '--json');
    expect(JSON.parse(resubmitted.stdout)).toMatchObject({ added: [again0] });
    await until('the duplicate delivery done', async () => (await queue.getJob(again0))?.returnvalue?.duplicate === true);
    expect(readFileSync(join(storeFolder(again0), 'result.json'))).toEqual(record0);
    expect(workers.map((w) => w.log()).join('')).toMatch(new RegExp(`${again0.replaceAll('.', '\\.')}: already finished by .*: not trained again`));

    const out = join(root, 'results');
    const report = await espgpu('study', 'report', '--redis', url, '--queue', 'a', '--store', store, '--out', out, '--json');
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ written: ['tiny/seed1', 'tiny/seed2', 'tiny/suite'], kept: [], missing: [], conflicts: [] });
    const exported = JSON.parse(readFileSync(join(out, 'tiny', 'suite', 'result.json'), 'utf8')) as RunRecord;
    expect(scoreOf(exported)).toMatchObject({ run: { id: 'suite', method: 'none' }, clean: locals[2]!.output.done.cleanError });
    expect(existsSync(join(out, 'tiny', 'seed1', 'metrics.jsonl'))).toBe(true);
    const status = await espgpu('study', 'status', '--redis', url, '--queue', 'a');
    expect(status.stdout).toMatch(/^queue a at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: 0 waiting, 0 active, 3 completed, 0 failed, 0 delayed/);

    await Promise.all(workers.map((w) => (w.child.kill('SIGTERM'), w.exited)));
  });

  it('(b) a worker killed with SIGKILL after a checkpoint: another takes the job over and ends bit for bit where an uninterrupted run ends', async () => {
    const plan = writePlan('plan-b', [{ id: 'killed', spec: longer }]);
    const uninterrupted = trainLocally(longer, 'longer');
    const a = await startWorker('b');
    const submit = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'b', '--json');
    expect(submit.code, submit.stderr).toBe(0);
    const jobId = (JSON.parse(submit.stdout) as { added: string[] }).added[0]!;
    const queue = queueOf('b');
    // Its progress is published while it trains; killed once a checkpoint is in the store.
    const progress = await until('progress past step 2', async () => {
      const p = (await queue.getJob(jobId))?.progress as { step?: number; totalSteps?: number; worker?: string } | undefined;
      return p && (p.step ?? 0) >= 2 && existsSync(join(storeFolder(jobId), 'checkpoint.safetensors')) ? p : undefined;
    });
    expect(progress).toMatchObject({ totalSteps: 32, worker: expect.stringMatching(new RegExp(`:${a.child.pid}$`)) });
    a.child.kill('SIGKILL');
    await a.exited;
    // Its training noticed and stopped (no orphan trains on), then the job waits for a worker.
    await until("the killed worker's training to stop", () => processesNaming(jobId).length === 0, 30_000);
    expect(await queue.getJobState(jobId)).toBe('active'); // no worker has yet found its lock expired
    const b = await startWorker('b');
    await until('the job completed', async () => (await queue.getJobState(jobId)) === 'completed');
    const record = JSON.parse(readFileSync(join(storeFolder(jobId), 'result.json'), 'utf8')) as StoredRecord;
    expect(record).toMatchObject({ resumed: true, output: { done: { status: 'completed', step: 32 } } });
    expect(record.worker).toMatch(new RegExp(`:${b.child.pid}$`));
    const starts = parseMetrics(readFileSync(join(storeFolder(jobId), 'metrics.jsonl'), 'utf8'), 'metrics').filter((r) => r.event === 'start');
    expect(starts).toHaveLength(2);
    expect(starts[1]!.step as number).toBeGreaterThanOrEqual(2);
    expect(starts[1]!.step as number).toBeLessThan(32);
    expect(starts[1]!.resumedFrom).toBe(join(storeFolder(jobId), 'checkpoint.safetensors'));
    const local = await uninterrupted;
    expect(record.output.done.cleanError).toBe(local.output.done.cleanError);
    expect(tensorBits(join(storeFolder(jobId), 'checkpoint.safetensors'))).toEqual(tensorBits(local.checkpoint));
    b.child.kill('SIGTERM');
    await b.exited;
  });

  it('(c) a job that always fails is failed after its tries, with its error; a bad plan is refused whole', async () => {
    const missing = join(root, 'no-such-data');
    const plan = writePlan('plan-c', [{ id: 'no-data', spec: { ...tiny(1), data: { dataset: 'fashion-mnist', dir: missing } } }]);
    const submit = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'c', '--attempts', '2', '--backoff', '100');
    expect(submit.code, submit.stderr).toBe(0);
    const worker = await startWorker('c');
    const queue = queueOf('c');
    await until('the job failed', async () => (await queue.getFailedCount()) === 1);
    const status = await espgpu('study', 'status', '--redis', url, '--queue', 'c', '--json');
    const parsed = JSON.parse(status.stdout) as { counts: Record<string, number>; failed: { runId: string; attempts: number; error: string }[] };
    expect(parsed.counts).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 1, delayed: 0 });
    expect(parsed.failed).toEqual([expect.objectContaining({ runId: 'no-data', attempts: 2, error: expect.stringContaining(missing) })]);
    expect(worker.log()).toMatch(/failed \(try 1 of 2, will be retried\)/);
    expect(worker.log()).toMatch(/failed \(try 2 of 2, the last\)/);

    const bad = writePlan('plan-bad', [{ id: 'fine', spec: tiny(1) }, { id: 'broken', spec: { ...tiny(1), batchSize: -1 } }]);
    const refused = await espgpu('study', 'submit', bad, '--redis', url, '--queue', 'bad');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 of 2 runs are wrong, nothing submitted:\n\s+run broken: batchSize must be/);
    expect(await queueOf('bad').getJobCounts('waiting')).toEqual({ waiting: 0 });
    const wrong = await espgpu('study', 'status', '--redis', url.replace(encodeURIComponent(PASSWORD), 'not-the-password'), '--queue', 'c');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/);
    expect(wrong.stderr).not.toContain('not-the-password');
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  it('(d) SIGTERM: the worker stops its training at a step boundary and exits, the job waits again with no try used, another worker finishes it bit for bit', async () => {
    const plan = writePlan('plan-d', [{ id: 'stopped', spec: longer }]);
    const uninterrupted = trainLocally(longer, 'longer-d');
    const c = await startWorker('d');
    const submit = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'd', '--json');
    const jobId = (JSON.parse(submit.stdout) as { added: string[] }).added[0]!;
    const queue = queueOf('d');
    await until('a checkpoint', () => existsSync(join(storeFolder(jobId), 'checkpoint.safetensors')));
    const signalled = Date.now();
    c.child.kill('SIGTERM');
    const exit = await c.exited;
    const seconds = (Date.now() - signalled) / 1000;
    expect(exit.code, c.log()).toBe(143);
    expect(seconds).toBeLessThan(15);
    expect(c.log()).toMatch(/stopped at step \d+; back in the queue/);
    expect(await queue.getJobState(jobId)).toBe('waiting');
    expect((await queue.getJob(jobId))!.attemptsMade).toBe(0);
    const stoppedAt = parseMetrics(readFileSync(join(storeFolder(jobId), 'metrics.jsonl'), 'utf8'), 'metrics').filter((r) => r.event === 'done');
    expect(stoppedAt).toEqual([expect.objectContaining({ status: 'aborted' })]);

    const d = await startWorker('d');
    await until('the job completed', async () => (await queue.getJobState(jobId)) === 'completed');
    const record = JSON.parse(readFileSync(join(storeFolder(jobId), 'result.json'), 'utf8')) as StoredRecord;
    expect(record).toMatchObject({ resumed: true, attempt: 1, output: { done: { status: 'completed', step: 32 } } });
    const local = await uninterrupted;
    expect(tensorBits(join(storeFolder(jobId), 'checkpoint.safetensors'))).toEqual(tensorBits(local.checkpoint));
    d.child.kill('SIGTERM');
    await d.exited;
    console.log(`[queue] SIGTERM to exit: ${seconds.toFixed(1)} s`);
  });

  it('(e) Redis crashes (SIGKILL) mid-job and restarts from its append-only file: the worker reconnects, every job finishes once', async () => {
    const port = await freePort();
    const dir = join(root, 'redis-aof');
    durable = await startRedis(port, dir, 'yes');
    const durableUrl = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
    const plan = writePlan('plan-e', [{ id: 'first', spec: tiny(11, 256) }, { id: 'second', spec: tiny(12, 256) }]);
    const submit = await espgpu('study', 'submit', plan, '--redis', durableUrl, '--queue', 'e', '--json');
    expect(submit.code, submit.stderr).toBe(0);
    const jobIds = (JSON.parse(submit.stdout) as { added: string[] }).added;
    // A lock longer than the outage: the job stays this worker's throughout.
    const worker = await startWorker('e', durableUrl, 10_000);
    await until('a checkpoint of the first job', () => existsSync(join(storeFolder(jobIds[0]!), 'checkpoint.safetensors')));
    durable.kill('SIGKILL');
    await new Promise((r) => durable!.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000));
    durable = await startRedis(port, dir, 'yes');
    const queue = queueOf('e', durableUrl);
    await until('both jobs completed', async () => (await queue.getCompletedCount()) === 2);
    // It saw Redis go, during the first job, and trained each job once.
    const log = worker.log();
    expect(log.search(/error: .*(ECONNREFUSED|ECONNRESET|Connection is closed)/)).toBeGreaterThan(log.indexOf('first.'));
    expect(log.search(/error: .*(ECONNREFUSED|ECONNRESET|Connection is closed)/)).toBeLessThan(log.search(/first\.\w+: finished in/));
    expect(log.match(/: finished in/g)).toHaveLength(2);
    for (const jobId of jobIds) {
      expect(JSON.parse(readFileSync(join(storeFolder(jobId), 'result.json'), 'utf8'))).toMatchObject({ jobId, output: { done: { status: 'completed', step: 16 } } });
    }
    expect(await queue.getJobCounts('waiting', 'active', 'failed')).toEqual({ waiting: 0, active: 0, failed: 0 });
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  it('(f) --job-timeout: each try is stopped with a checkpoint and fails with the timeout error; the retry resumes from it', async () => {
    // 128 steps (about 18 s here): each 4.5 s try is stopped after a few checkpoints.
    const plan = writePlan('plan-f', [{ id: 'slow', spec: tiny(9, 2048) }]);
    const submit = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'f', '--attempts', '2', '--backoff', '100', '--json');
    expect(submit.code, submit.stderr).toBe(0);
    const jobId = (JSON.parse(submit.stdout) as { added: string[] }).added[0]!;
    const started = Date.now();
    const worker = await startWorker('f', url, 2000, ['--job-timeout', '0.075', '--timeout-grace', '10']);
    const queue = queueOf('f');
    await until('the job failed', async () => (await queue.getFailedCount()) === 1, 60_000);
    const seconds = (Date.now() - started) / 1000;
    const timeoutError = new RegExp(`^job ${jobId.replaceAll('.', '\\.')} exceeded its timeout of 0\\.075 min after step (\\d+); its checkpoint is kept, the next attempt resumes$`);
    const status = await espgpu('study', 'status', '--redis', url, '--queue', 'f', '--json');
    const failed = (JSON.parse(status.stdout) as { failed: { jobId: string; attempts: number; error: string }[] }).failed;
    expect(failed).toEqual([expect.objectContaining({ jobId, attempts: 2, error: expect.stringMatching(timeoutError) })]);
    expect((await queue.getJob(jobId))!.attemptsMade).toBe(2);
    expect(existsSync(join(storeFolder(jobId), 'checkpoint.safetensors'))).toBe(true);
    expect(existsSync(join(storeFolder(jobId), 'result.json'))).toBe(false);
    const log = worker.log();
    expect(log).toMatch(/failed \(try 1 of 2, will be retried\): job \S+ exceeded its timeout of 0\.075 min after step \d+; its checkpoint is kept/);
    expect(log).toMatch(/failed \(try 2 of 2, the last\): job \S+ exceeded its timeout/);
    expect(log).toMatch(/resuming from .*checkpoint\.safetensors \(try 2 of 2\)/);
    // Two sessions, each stopped at a step boundary (aborted, not killed); the second resumed where the first stopped.
    const records = parseMetrics(readFileSync(join(storeFolder(jobId), 'metrics.jsonl'), 'utf8'), 'metrics');
    const starts = records.filter((r) => r.event === 'start');
    const dones = records.filter((r) => r.event === 'done');
    expect(starts).toHaveLength(2);
    expect(dones).toEqual([expect.objectContaining({ status: 'aborted' }), expect.objectContaining({ status: 'aborted' })]);
    expect(starts[1]!.resumedFrom).toBe(join(storeFolder(jobId), 'checkpoint.safetensors'));
    expect(starts[1]!.step as number).toBeGreaterThan(0);
    expect(starts[1]!.step as number).toBeLessThanOrEqual(dones[0]!.step as number);
    expect(Number(timeoutError.exec(failed[0]!.error)![1])).toBe(dones[1]!.step);
    expect(dones[1]!.step as number).toBeLessThan(128);
    worker.child.kill('SIGTERM');
    await worker.exited;
    console.log(`[queue] job timeout, two tries: ${seconds.toFixed(1)} s`);
  });

  it('(g) a run with flatness arguments: trained, its final checkpoint measured, the report exported; an unfinished measurement is redone without training', async () => {
    const flatness = ['--dataset', 'embedded', '--radii', '1,4', '--directions', '2', '--samples', '64'];
    const bad = writePlan('plan-g-bad', [{ id: 'fine', spec: tiny(1) }, { id: 'flat-bad', spec: tiny(1), flatness: ['--checkpoint', 'x'] }]);
    const refused = await espgpu('study', 'submit', bad, '--redis', url, '--queue', 'g');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 of 2 runs are wrong, nothing submitted:\n\s+run flat-bad: flatness must not give --checkpoint/);

    const run = { study: 'flat', id: 'none-seed0', method: 'none', seed: 0, spec: tiny(5), flatness };
    const plan = writePlan('plan-g', [run]);
    const submit = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'g', '--json');
    expect(submit.code, submit.stderr).toBe(0);
    const jobId = (JSON.parse(submit.stdout) as { added: string[] }).added[0]!;
    // The arguments are part of the job's settings: without them, another job.
    const plain = writePlan('plan-g-plain', [{ ...run, flatness: undefined }]);
    const plainCheck = await espgpu('study', 'submit', plain, '--redis', url, '--queue', 'g-plain', '--json');
    expect((JSON.parse(plainCheck.stdout) as { added: string[] }).added[0]).not.toBe(jobId);

    const worker = await startWorker('g');
    const queue = queueOf('g');
    await until('the job completed', async () => (await queue.getJobState(jobId)) === 'completed');
    const resultPath = join(storeFolder(jobId), 'result.json');
    const record = JSON.parse(readFileSync(resultPath, 'utf8')) as StoredRecord;
    expect(record).toMatchObject({ run, resumed: false, output: { done: { status: 'completed', step: 4 } } });
    expect(record.flatness).toMatchObject({ checkpoint: join(storeFolder(jobId), 'checkpoint.safetensors'), dataset: 'embedded', directions: 2, samples: 64 });
    expect(worker.log()).toMatch(new RegExp(`${jobId.replaceAll('.', '\\.')}: measuring the flatness of`));

    const out = join(root, 'results-g');
    const report = await espgpu('study', 'report', '--redis', url, '--queue', 'g', '--store', store, '--out', out, '--json');
    expect(report.code, report.stderr).toBe(0);
    const exported = JSON.parse(readFileSync(join(out, 'flat', 'none-seed0', 'result.json'), 'utf8')) as RunRecord & { output: { corruption?: unknown } };
    expect(exported.flatness!.directions).toBe(2);
    expect(exported.flatness!.radii.map((r) => r.radius)).toEqual([1, 4]);
    for (const r of exported.flatness!.radii) {
      expect(Number.isFinite(r.mean)).toBe(true);
      expect(Number.isFinite(r.standardError)).toBe(true);
    }
    // The study's flatness table reads it (scoreOf needs a corruption report: the tiny run has none).
    const table = flatnessTable([{ run: exported.run, clean: 0, meanCorruptionError: 0, perCorruption: {}, wallSeconds: 0, flatness: exported.flatness }]);
    expect(table).toMatch(/\| method \| seed \| L\(θ\) \| r = 1 \| r = 4 \|/);
    expect(table).toContain(`| Naive | 0 | ${exported.flatness!.baseLoss.toFixed(4)} | ${exported.flatness!.radii[0]!.mean.toFixed(4)} ± `);

    // As if its worker died during the measurement: trained.json, no result.json. Delivered again, it is measured again, not trained.
    expect(existsSync(join(storeFolder(jobId), 'trained.json'))).toBe(true);
    rmSync(resultPath);
    await queue.remove(jobId);
    const resubmitted = await espgpu('study', 'submit', plan, '--redis', url, '--queue', 'g', '--json');
    expect(JSON.parse(resubmitted.stdout)).toMatchObject({ added: [jobId] });
    await until('the job measured again', async () => (await queue.getJobState(jobId)) === 'completed');
    const again = JSON.parse(readFileSync(resultPath, 'utf8')) as StoredRecord;
    expect(again.output).toEqual(record.output);
    expect(again.flatness!.radii.map((r) => r.radius)).toEqual([1, 4]);
    const starts = parseMetrics(readFileSync(join(storeFolder(jobId), 'metrics.jsonl'), 'utf8'), 'metrics').filter((r) => r.event === 'start');
    expect(starts).toHaveLength(1);
    expect(worker.log().match(new RegExp(`${jobId.replaceAll('.', '\\.')}: (starting|resuming)`, 'g'))).toHaveLength(1);
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  it('printed the Redis password nowhere', () => {
    expect(printed.length).toBeGreaterThan(10);
    for (const text of printed) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
  });
});
