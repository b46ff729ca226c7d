// The study queue's own overhead per job: from a job's submission to the moment a worker's
// processor starts it, training excluded (issue 22's target: under 50 ms). A private
// redis-server (127.0.0.1, a free port, a temporary folder, stopped by its PID at the end);
// jobs submitted the way `espgpu study submit` submits them (checkPlan's job ids, submitPlan
// with its default tries and backoff); N worker processes (1, 2, 4) on this machine with the
// BullMQ settings `espgpu worker` uses (workerSettings, WORKER_DEFAULTS), whose processor only
// records when it was called. Two phases per N, each on M jobs:
//   paced: N jobs submitted at a time, the next N once those started: every job finds an idle
//          worker, so start − submit is the queue's latency alone;
//   burst: all M submitted at once (one plan): the jobs queue behind each other, so the
//          figure is the throughput (jobs/s), and start − submit grows with the queue's depth.
// Latency is the processor's Date.now() minus the job's timestamp (set by the submitting client
// when it builds the job, in whole ms). Prints a Markdown table on stderr and JSON on stdout.
//   node dist/bench/queueOverhead.js [--jobs=200] [--workers=1,2,4]
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { parseRedisUrl } from '../src/distributed/redisUrl.ts';
import { WORKER_DEFAULTS, type StudyJobData } from '../src/distributed/studyJob.ts';
import { checkPlan, type PlannedJob } from '../src/distributed/studyPlan.ts';
import { openQueue } from '../src/distributed/studyQueue.ts';
import { workerSettings } from '../src/distributed/studyWorker.ts';
import { submitPlan } from '../src/distributed/submitPlan.ts';
import type { RunSpec } from '../src/train/runSpec.ts';
import { freePort, redisServer, startRedis } from '../test/distributed/redisServer.ts';
import { median, round } from './timing.ts';

const TARGET_MS = 50;
/** `espgpu study submit`'s defaults (--attempts, --backoff). */
const SUBMIT = { attempts: 3, backoffMs: 10_000 };

interface Started {
  jobId: string;
  /** The processor's Date.now() when called. */
  startMs: number;
  /** The job's timestamp: when the submitting client built it. */
  timestamp: number;
}

// ---- a worker process: `--worker URL QUEUE` -------------------------------------------------

async function workerMain(url: string, queue: string): Promise<void> {
  const target = parseRedisUrl(url);
  const worker = new Worker<StudyJobData>(
    queue,
    async (job) => {
      const started: Started = { jobId: job.id!, startMs: Date.now(), timestamp: job.timestamp };
      process.send!(started);
      return {};
    },
    workerSettings({ target, ...WORKER_DEFAULTS }),
  );
  worker.on('error', (error) => console.error(`worker: ${error.message}`));
  await worker.waitUntilReady();
  void worker.run();
  process.on('message', (message) => {
    if (message === 'close') void worker.close().then(() => process.exit(0));
  });
  process.send!('ready');
}

// ---- the bench ------------------------------------------------------------------------------

/** A private redis-server (the queue tests' helper) and its URL. */
async function startPrivateRedis(dir: string): Promise<{ server: ChildProcess; url: string }> {
  if (!redisServer) throw new Error('cannot start redis-server: it is not installed (Debian: apt-get install redis-server)');
  const port = await freePort();
  return { server: await startRedis(port, dir, 'no'), url: `redis://127.0.0.1:${port}` };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** M runs of a plan, checked and given their job ids as `study submit` does. */
function planJobs(study: string, prefix: string, count: number): PlannedJob[] {
  const spec: RunSpec = { preset: 'mnist', epochs: 1, batchSize: 32, data: { dataset: 'embedded', trainLimit: 64, evalLimit: 32 } };
  return checkPlan({ runs: Array.from({ length: count }, (_, i) => ({ study, id: `${prefix}${i}`, spec: { ...spec, seed: i } })) }, `plan ${study}`);
}

interface PhaseFigures {
  jobs: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** From the submitPlan call (its state look-ups included) to the start. */
  fromCallMedianMs: number;
  jobsPerSecond: number;
}

async function measure(url: string, workers: number, jobs: number): Promise<{ paced: PhaseFigures; burst: PhaseFigures }> {
  const name = `bench-n${workers}`;
  const target = parseRedisUrl(url);
  const queue = openQueue(target, name);
  const children = await Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = fork(fileURLToPath(import.meta.url), ['--worker', url, name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(`worker: ${String(m)}`))));
        child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
      }),
    ),
  );
  // Each worker blocks on Redis for its next job before anything is submitted.
  await new Promise((r) => setTimeout(r, 500));
  let started: Started[] = [];
  let waiting: { count: number; resolve: () => void } | undefined;
  for (const child of children) {
    child.on('message', (m) => {
      if (typeof m !== 'object') return;
      started.push(m as Started);
      if (waiting && started.length >= waiting.count) waiting.resolve();
    });
  }
  const allStarted = (count: number) => new Promise<void>((resolve) => (started.length >= count ? resolve() : (waiting = { count, resolve })));
  const figures = async (plan: PlannedJob[], submit: () => Promise<number[]>): Promise<PhaseFigures> => {
    started = [];
    const first = Date.now();
    const calls = await submit();
    await allStarted(plan.length);
    const last = Math.max(...started.map((s) => s.startMs));
    const callOf = new Map(plan.map((job, i) => [job.jobId, calls[i]!]));
    const latency = started.map((s) => s.startMs - s.timestamp);
    return {
      jobs: started.length,
      medianMs: round(median(latency)),
      p95Ms: round(percentile(latency, 95)),
      maxMs: round(Math.max(...latency)),
      fromCallMedianMs: round(median(started.map((s) => s.startMs - callOf.get(s.jobId)!))),
      jobsPerSecond: round((started.length / (last - first)) * 1000),
    };
  };

  const pacedPlan = planJobs(name, 'paced', jobs);
  const paced = await figures(pacedPlan, async () => {
    const calls: number[] = [];
    for (let i = 0; i < pacedPlan.length; i += workers) {
      const batch = pacedPlan.slice(i, i + workers);
      const call = Date.now();
      const submitted = await submitPlan(queue, batch, SUBMIT);
      if (submitted.added.length !== batch.length) throw new Error(`submitted ${submitted.added.length} of ${batch.length}`);
      calls.push(...batch.map(() => call));
      await allStarted(i + batch.length);
    }
    return calls;
  });
  const burstPlan = planJobs(name, 'burst', jobs);
  const burst = await figures(burstPlan, async () => {
    const call = Date.now();
    const submitted = await submitPlan(queue, burstPlan, SUBMIT);
    if (submitted.added.length !== burstPlan.length) throw new Error(`submitted ${submitted.added.length} of ${burstPlan.length}`);
    return burstPlan.map(() => call);
  });
  await Promise.all(children.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.send('close')))));
  await queue.close();
  return { paced, burst };
}

async function main(): Promise<void> {
  const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const jobs = Number(args.get('jobs') ?? 200);
  const counts = (args.get('workers') ?? '1,2,4').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'espgpu-queue-bench-'));
  const { server, url } = await startPrivateRedis(dir);
  const results: { workers: number; paced: PhaseFigures; burst: PhaseFigures }[] = [];
  try {
    for (const workers of counts) {
      results.push({ workers, ...(await measure(url, workers, jobs)) });
      const r = results.at(-1)!;
      console.error(`[queueOverhead] N=${workers}: paced median ${r.paced.medianMs} ms, p95 ${r.paced.p95Ms} ms; burst ${r.burst.jobsPerSecond} jobs/s`);
    }
  } finally {
    process.kill(server.pid!, 'SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
  const lines = [
    `Queue overhead per job (submit → processor start, training excluded), ${jobs} jobs per phase, target ${TARGET_MS} ms`,
    '',
    '| workers | paced median ms | paced p95 ms | median / target | paced jobs/s | burst median ms | burst p95 ms | burst jobs/s | burst ms/job/worker |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      ({ workers, paced, burst }) =>
        `| ${workers} | ${paced.medianMs} | ${paced.p95Ms} | ${round(paced.medianMs / TARGET_MS)} | ${paced.jobsPerSecond} | ${burst.medianMs} | ${burst.p95Ms} | ${burst.jobsPerSecond} | ${round((workers * 1000) / burst.jobsPerSecond)} |`,
    ),
  ];
  console.error(lines.join('\n'));
  console.log(JSON.stringify({ suite: 'queueOverhead', date: new Date().toISOString(), jobs, targetMs: TARGET_MS, settings: WORKER_DEFAULTS, results }, null, 2));
}

if (process.argv[2] === '--worker') await workerMain(process.argv[3]!, process.argv[4]!);
else await main();
