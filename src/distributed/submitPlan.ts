// Puts a checked plan's runs on the queue, one job each, idempotently: a job id the queue
// already has (waiting, active, finished or failed) is left as it is. A failing job is retried
// `attempts` times in all, with exponential backoff; after the last it stays in the failed set
// (the dead letters) with its error, as do finished jobs in the completed set: nothing is
// removed, so `study status` and `study report` see every run.
import type { Queue } from 'bullmq';
import type { PlannedJob } from './studyPlan.ts';
import type { StudyJobData, StudyJobResult } from './studyJob.ts';

export interface SubmitOptions {
  /** Tries in all before a job is failed for good (default 3). */
  attempts: number;
  /** The first retry's delay in ms; each next one doubles it (default 10 s). */
  backoffMs: number;
}

export interface Submitted {
  added: string[];
  /** Jobs the queue had already, with their state. */
  existing: { jobId: string; state: string }[];
}

export async function submitPlan(queue: Queue<StudyJobData, StudyJobResult>, jobs: readonly PlannedJob[], options: SubmitOptions): Promise<Submitted> {
  const states = await Promise.all(jobs.map((job) => queue.getJobState(job.jobId)));
  const fresh = jobs.filter((_, i) => states[i] === 'unknown');
  const existing = jobs.flatMap((job, i) => (states[i] === 'unknown' ? [] : [{ jobId: job.jobId, state: states[i]! }]));
  if (fresh.length) {
    // Added whole or not at all (one MULTI); an id added meanwhile by another submit is ignored by BullMQ.
    await queue.addBulk(
      fresh.map(({ jobId, run }) => ({
        name: run.id,
        data: { run },
        opts: { jobId, attempts: options.attempts, backoff: { type: 'exponential', delay: options.backoffMs }, removeOnComplete: false, removeOnFail: false },
      })),
    );
  }
  return { added: fresh.map((job) => job.jobId), existing };
}
