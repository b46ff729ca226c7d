// `espgpu worker`: takes a study's jobs off the queue and trains each in its own `espgpu train`
// process, its checkpoint, metrics and result in the job's folder of the shared store.
//
// - A job whose folder holds a checkpoint resumes from it: a worker that died (kill -9, a
//   machine gone) loses the steps since its last checkpoint, no more. BullMQ notices the dead
//   worker's lock expire (lockDuration) at its next stalled check (stalledInterval) and puts
//   the job back in the queue for the next worker.
// - A job whose folder holds a result.json is finished: a second delivery returns that record
//   and trains nothing; two sessions finishing at once write it once (runStore.writeFileOnce).
// - stop() (SIGTERM, SIGINT): every running training stops at its next step boundary with a
//   checkpoint, its job goes back to waiting (no try used up), and the worker closes.
// - A failed run is retried (the submit's attempts, with backoff), from its checkpoint; a spec
//   that cannot run anywhere fails at once, with no retries.
// - jobTimeoutMs: a try that trains longer is stopped (SIGTERM: it checkpoints at its next step;
//   SIGKILL after timeoutGraceMs) and fails with a JobTimeoutError; a retry resumes from the
//   checkpoint.
// - A run with `flatness` arguments is measured once trained: `espgpu flatness --checkpoint
//   <its checkpoint> ARGS --json` in its own process (stopped and timed out like the training),
//   the report stored as `flatness` in result.json. The training's output goes to trained.json
//   first: a try stopped, killed or failed during the measurement leaves it, and the next try
//   measures again from the final checkpoint without training.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job, type WorkerOptions } from 'bullmq';
import { writeFileAtomicSync } from '../io/atomicFile.ts';
import type { FlatnessReport } from '../train/flatness.ts';
import { resolveRunSpec } from '../train/runSpec.ts';
import type { RedisTarget } from './redisUrl.ts';
import { jobFiles, readResult, type JobFiles, specForStore, workerName, writeFileOnce } from './runStore.ts';
import { JobTimeoutError, type StudyJobData, type StudyJobProgress, type StudyJobResult } from './studyJob.ts';
import { connectionOf } from './studyQueue.ts';
import { startFlatness, startTraining, type TrainExit, type TrainProcess } from './trainProcess.ts';

export interface StudyWorkerOptions {
  target: RedisTarget;
  queue: string;
  /** The shared store folder. */
  store: string;
  /** The espgpu command the jobs run (dist/cli.js). */
  cli: string;
  /** Jobs trained at once (default 1). */
  concurrency: number;
  /** Steps between checkpoints where a spec does not say. */
  checkpointEvery: number;
  /** Where the datasets are on this machine, where a spec does not say. */
  dataDir?: string;
  adapter?: string;
  tune?: boolean;
  /** BullMQ's lock on an active job (ms): a dead worker's job is taken over after about this long. */
  lockDurationMs: number;
  /** How often this worker looks for jobs whose worker died (ms). */
  stalledIntervalMs: number;
  /** Times a job may be taken back from a dead worker before it is failed. */
  maxStalled: number;
  /** How often a running job's progress is read and published (ms). */
  progressEveryMs: number;
  /** A try that trains longer than this (ms) is stopped and fails with a JobTimeoutError; none: no limit. */
  jobTimeoutMs?: number;
  /** After the timeout's SIGTERM, how long the training has to checkpoint and exit before SIGKILL (ms). */
  timeoutGraceMs?: number;
  log: (line: string) => void;
}

/** What result.json holds: the study runner's RunRecord ({ run, wallSeconds, output }) and where it came from. */
export interface StoredRecord {
  run: StudyJobData['run'];
  wallSeconds: number;
  resumed: boolean;
  output: { done: { status: string; step: number; totalSteps?: number; cleanError?: number }; [field: string]: unknown };
  /** `espgpu flatness --json`'s report of the final checkpoint, for a run with flatness arguments (experiments/study/report.ts' FlatnessRecord). */
  flatness?: FlatnessOutput;
  jobId: string;
  worker: string;
  attempt: number;
  finishedAt: string;
}

/** What `espgpu flatness --json` prints. */
export type FlatnessOutput = FlatnessReport & { checkpoint: string; model: string; dataset: string; seconds: number };

/** trained.json: a flatness run's completed training, before its measurement. */
interface TrainedRecord {
  output: StoredRecord['output'];
  wallSeconds: number;
  resumed: boolean;
}

export interface StudyWorker {
  /** Stops the running trainings at a step boundary, returns their jobs to the queue, closes. Idempotent. */
  stop(): Promise<void>;
  /** Kills the running trainings (no checkpoint); their jobs are taken over once their locks expire. */
  kill(): void;
  closed: Promise<void>;
}

/**
 * The BullMQ worker settings of `espgpu worker`: its connection (retrying forever), how many
 * jobs at once, and the stalled-job settings; BullMQ's defaults for the rest (drainDelay,
 * blocking fetch). bench/queueOverhead.ts measures the queue with exactly these.
 */
export function workerSettings(options: Pick<StudyWorkerOptions, 'target' | 'concurrency' | 'lockDurationMs' | 'stalledIntervalMs' | 'maxStalled'>): WorkerOptions {
  return {
    connection: connectionOf(options.target, 'worker'),
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalled,
    autorun: false,
  };
}

export async function startStudyWorker(options: StudyWorkerOptions): Promise<StudyWorker> {
  const { target, log } = options;
  const name = workerName();
  const specs = mkdtempSync(join(tmpdir(), 'espgpu-worker-'));
  const running = new Map<string, TrainProcess>();
  let stopping = false;

  const processJob = async (job: Job<StudyJobData, StudyJobResult>, token?: string): Promise<StudyJobResult> => {
    const jobId = job.id!;
    const { run } = job.data;
    const files = jobFiles(options.store, jobId);
    const summary = (record: StoredRecord, duplicate: boolean): StudyJobResult => ({
      jobId,
      runId: run.id,
      result: relative(options.store, files.result),
      step: record.output.done.step,
      ...(record.output.done.cleanError === undefined ? {} : { cleanError: record.output.done.cleanError }),
      wallSeconds: record.wallSeconds,
      duplicate,
    });
    const finished = readResult<StoredRecord>(files);
    if (finished) {
      log(`${jobId}: already finished by ${finished.worker} (${files.result}): not trained again`);
      return summary(finished, true);
    }
    const started = performance.now();
    // The timeout counts the whole try (training and measurement): SIGTERM, then SIGKILL after the grace period.
    let current: TrainProcess | undefined;
    let doing = 'training';
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timeoutTimer =
      options.jobTimeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            const grace = options.timeoutGraceMs ?? 60_000;
            log(`${jobId}: past its timeout of ${minutes(options.jobTimeoutMs!)} min: stopping its ${doing} (killed if still running in ${grace / 1000} s)`);
            current?.stop();
            killTimer = setTimeout(() => current?.kill(), grace);
          }, options.jobTimeoutMs);
    /** Runs one child of the try to its end, stoppable by the worker's stop() and the timeout. */
    const supervise = async (child: TrainProcess): Promise<TrainExit> => {
      current = child;
      running.set(jobId, child);
      if (stopping || timedOut) child.stop();
      return child.exited.finally(() => {
        running.delete(jobId);
        current = undefined;
      });
    };
    try {
      const trained = run.flatness ? readTrained(files) : undefined;
      const training = trained ?? (await train());
      doing = 'flatness measurement';
      const flatness = run.flatness ? await measure(training.output) : undefined;
      const record: StoredRecord = {
        run,
        // This session's time, and the earlier session's training when this one only measured.
        wallSeconds: (trained?.wallSeconds ?? 0) + (performance.now() - started) / 1000,
        resumed: training.resumed,
        output: training.output,
        ...(flatness ? { flatness } : {}),
        jobId,
        worker: name,
        attempt: job.attemptsMade + 1,
        finishedAt: new Date().toISOString(),
      };
      const wrote = writeFileOnce(files.result, new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n'));
      if (!wrote) {
        const first = readResult<StoredRecord>(files)!;
        log(`${jobId}: finished, but ${first.worker} finished it first: its result.json stays`);
        return summary(first, true);
      }
      log(`${jobId}: finished in ${record.wallSeconds.toFixed(1)} s → ${files.result}`);
      return summary(record, false);
    } finally {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
    }

    async function train(): Promise<TrainedRecord> {
      const resumed = existsSync(files.checkpoint);
      const spec = specForStore(run.spec, files, options, resumed);
      try {
        resolveRunSpec(spec, `job ${jobId}`);
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      const specPath = join(specs, `${jobId}.json`);
      writeFileAtomicSync(specPath, new TextEncoder().encode(JSON.stringify(spec, null, 2) + '\n'));
      log(`${jobId}: ${resumed ? `resuming from ${files.checkpoint}` : 'starting'} (try ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1})`);
      let lastStep: number | undefined;
      const exit = await supervise(
        startTraining({
          cli: options.cli,
          specPath,
          metricsPath: files.metrics,
          adapter: options.adapter,
          tune: options.tune,
          progressEveryMs: options.progressEveryMs,
          onProgress: (p) => {
            lastStep = p.step;
            const progress: StudyJobProgress = { ...p, worker: name, time: new Date().toISOString() };
            job.updateProgress(progress as unknown as object).catch(() => {});
          },
        }),
      );
      const output = parseOutput(exit.stdout);
      if (output?.done.status !== 'completed' || exit.code !== 0) {
        await backToQueueIfStopping(`stopped at step ${output?.done.step ?? '?'}`);
        if (timedOut) {
          // A try used up: BullMQ retries it (with backoff) while tries are left, from the checkpoint.
          const step = output?.done.step ?? lastStep;
          const kept = existsSync(files.checkpoint)
            ? 'its checkpoint is kept, the next attempt resumes'
            : 'no checkpoint was written yet, the next attempt starts over';
          throw new JobTimeoutError(
            `job ${jobId} exceeded its timeout of ${minutes(options.jobTimeoutMs!)} min after step ${step ?? '?'}${exit.signal === 'SIGKILL' ? ' (killed: it did not stop within the grace period)' : ''}; ${kept}`,
          );
        }
        const how = exit.signal ?? `exit code ${exit.code}`;
        throw new Error(target.redact(`espgpu train stopped (${how})${exit.error ? `: ${exit.error}` : ''}`));
      }
      const trained: TrainedRecord = { output, wallSeconds: (performance.now() - started) / 1000, resumed };
      // Before the measurement: a try that ends during it leaves the training done.
      if (run.flatness) writeFileAtomicSync(files.trained, new TextEncoder().encode(JSON.stringify(trained, null, 2) + '\n'));
      return trained;
    }

    async function measure(output: StoredRecord['output']): Promise<FlatnessOutput> {
      log(`${jobId}: measuring the flatness of ${files.checkpoint} (try ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1})`);
      const progress: StudyJobProgress = { step: output.done.step, totalSteps: output.done.totalSteps ?? output.done.step, phase: 'flatness', worker: name, time: new Date().toISOString() };
      job.updateProgress(progress as unknown as object).catch(() => {});
      const exit = await supervise(
        startFlatness({ cli: options.cli, checkpoint: files.checkpoint, args: run.flatness!, dataDir: run.spec.data?.dir ?? options.dataDir, adapter: options.adapter, tune: options.tune }),
      );
      const report = exit.code === 0 ? parseFlatness(exit.stdout) : undefined;
      if (report) return report;
      await backToQueueIfStopping('stopped while measuring its flatness');
      if (timedOut) {
        throw new JobTimeoutError(
          `job ${jobId} exceeded its timeout of ${minutes(options.jobTimeoutMs!)} min while measuring its flatness${exit.signal === 'SIGKILL' ? ' (killed: it did not stop within the grace period)' : ''}; its training is done, the next attempt measures again`,
        );
      }
      const how = exit.signal ?? `exit code ${exit.code}`;
      throw new Error(target.redact(`espgpu flatness stopped (${how})${exit.error ? `: ${exit.error}` : exit.code === 0 ? ': its output is not a flatness report' : ''}`));
    }

    /** Stopped by us (a step boundary, or a measurement to redo): back to the queue, no try used up. */
    async function backToQueueIfStopping(what: string): Promise<void> {
      if (!stopping) return;
      await job.moveToWait(token);
      log(`${jobId}: ${what}; back in the queue`);
      throw new WaitingError();
    }
  };

  const worker = new Worker<StudyJobData, StudyJobResult>(options.queue, processJob, workerSettings(options));
  let lastError = '';
  worker.on('error', (error: Error) => {
    const message = target.redact(error.message);
    if (message !== lastError) log(`error: ${message}`);
    lastError = message;
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const tries = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= tries || error.name === 'UnrecoverableError';
    log(`${job.id}: failed (try ${job.attemptsMade} of ${tries}${final ? ', the last' : ', will be retried'}): ${target.redact(error.message)}`);
  });
  worker.on('stalled', (jobId) => log(`${jobId}: its worker stopped renewing its lock: back in the queue`));
  await worker.waitUntilReady();
  log(`worker ${name} on queue ${options.queue} at ${target.shown}: ${options.concurrency} at a time, store ${options.store}`);
  const closed = worker
    .run()
    .catch((error: Error) => {
      throw new Error(target.redact(error.message));
    })
    .finally(() => rmSync(specs, { recursive: true, force: true }));

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      if (stopped) return stopped;
      stopping = true;
      log(`stopping: ${running.size} running job(s) stop at their next step and go back to the queue`);
      for (const training of running.values()) training.stop();
      stopped = worker.close().then(() => closed);
      return stopped;
    },
    kill() {
      for (const training of running.values()) training.kill();
    },
    closed,
  };
}

/** ms as minutes, as given: 0.05, 90. */
const minutes = (ms: number) => String(Math.round((ms / 60_000) * 1e4) / 1e4);

/** trained.json, if a try of this flatness run completed its training. */
function readTrained(files: JobFiles): TrainedRecord | undefined {
  if (!existsSync(files.trained)) return undefined;
  const trained = JSON.parse(readFileSync(files.trained, 'utf8')) as TrainedRecord;
  return trained.output?.done?.status === 'completed' ? trained : undefined;
}

function parseFlatness(stdout: string): FlatnessOutput | undefined {
  try {
    const report = JSON.parse(stdout) as FlatnessOutput;
    return Array.isArray(report?.radii) && typeof report.baseLoss === 'number' ? report : undefined;
  } catch {
    return undefined;
  }
}

function parseOutput(stdout: string): StoredRecord['output'] | undefined {
  try {
    const output = JSON.parse(stdout) as StoredRecord['output'];
    return typeof output?.done?.status === 'string' ? output : undefined;
  } catch {
    return undefined;
  }
}
