// A study's job as the queue holds it: one per run of a plan, its id derived from the run's
// settings (jobId.ts), its data the run as the plan gives it; what it returns when finished
// and what it reports while it trains. No BullMQ here: the commands read these without it.
import type { RunSpec } from '../train/runSpec.ts';

export const DEFAULT_QUEUE = 'espgpu-study';

/** A run of a plan: an id unique in it, its RunSpec, and whatever else the plan says of it (study, method, seed…). */
export interface PlannedRun {
  id: string;
  spec: RunSpec;
  study?: string;
  /**
   * `espgpu flatness` arguments (without --checkpoint and --json): measured on the run's final
   * checkpoint once trained, stored as `flatness` in its result.json.
   */
  flatness?: string[];
  [field: string]: unknown;
}

/** A job's data: the run, and the spec checked at submission. */
export interface StudyJobData {
  run: PlannedRun;
}

/** What a job returns (kept in Redis): small; the whole record is the store's result.json. */
export interface StudyJobResult {
  jobId: string;
  runId: string;
  /** The result.json in the store, relative to the store folder. */
  result: string;
  step: number;
  cleanError?: number;
  wallSeconds: number;
  /** The result was already in the store (a duplicate delivery): nothing was trained. */
  duplicate: boolean;
}

/** What a job publishes while it trains (job.updateProgress). */
export interface StudyJobProgress {
  step: number;
  totalSteps: number;
  epoch?: number;
  loss?: number;
  etaSeconds?: number;
  /** host:pid of the worker training it. */
  worker: string;
  /** ISO time of the update. */
  time: string;
  /** What the job is doing: training (the default) or measuring its final checkpoint's flatness. */
  phase?: 'training' | 'flatness';
}

/** `espgpu worker`'s defaults (its options' help, docs/DISTRIBUTED.md), shared with bench/queueOverhead.ts. */
export const WORKER_DEFAULTS = {
  concurrency: 1,
  checkpointEvery: 50,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalled: 3,
  progressEveryMs: 2000,
  /** After a job's timeout: how long its training has, after SIGTERM, to checkpoint and exit before SIGKILL. */
  timeoutGraceMs: 60_000,
} as const;

/** A job's try that ran past the worker's --job-timeout (the try fails; with tries left it is retried, from its checkpoint). */
export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
}
