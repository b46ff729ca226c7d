// `espgpu study status`: how many jobs wait, run, finished, failed or wait for a retry; each
// running job's latest progress; each failed job's error (the dead letters).
import type { Queue } from 'bullmq';
import type { StudyJobData, StudyJobProgress, StudyJobResult } from './studyJob.ts';

export const JOB_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed'] as const;

export interface QueueStatus {
  queue: string;
  counts: Record<(typeof JOB_STATES)[number], number>;
  active: { jobId: string; runId: string; attempt: number; startedAt?: string; progress?: StudyJobProgress }[];
  failed: { jobId: string; runId: string; attempts: number; error: string; failedAt?: string }[];
}

export async function queueStatus(queue: Queue<StudyJobData, StudyJobResult>): Promise<QueueStatus> {
  const counts = (await queue.getJobCounts(...JOB_STATES)) as QueueStatus['counts'];
  const [active, failed] = await Promise.all([queue.getJobs(['active']), queue.getJobs(['failed'])]);
  const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);
  return {
    queue: queue.name,
    counts: Object.fromEntries(JOB_STATES.map((state) => [state, counts[state] ?? 0])) as QueueStatus['counts'],
    active: active.map((job) => ({
      jobId: job.id!,
      runId: job.name,
      attempt: job.attemptsMade + 1,
      startedAt: iso(job.processedOn),
      progress: typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as StudyJobProgress) : undefined,
    })),
    failed: failed.map((job) => ({ jobId: job.id!, runId: job.name, attempts: job.attemptsMade, error: job.failedReason ?? '', failedAt: iso(job.finishedOn) })),
  };
}

export function formatStatus(status: QueueStatus, shownUrl: string): string {
  const lines = [`queue ${status.queue} at ${shownUrl}: ${JOB_STATES.map((state) => `${status.counts[state]} ${state}`).join(', ')}`];
  for (const job of status.active) {
    const p = job.progress;
    const detail = p?.phase === 'flatness'
      ? `measuring flatness (trained: step ${p.step}/${p.totalSteps})  on ${p.worker}`
      : p
      ? `step ${p.step}/${p.totalSteps}${p.loss === undefined ? '' : `  loss ${p.loss.toFixed(4)}`}${p.etaSeconds === undefined ? '' : `  ETA ${Math.round(p.etaSeconds)} s`}  on ${p.worker}`
      : 'starting';
    lines.push(`  active  ${job.jobId}  (try ${job.attempt})  ${detail}`);
  }
  for (const job of status.failed) lines.push(`  failed  ${job.jobId}  after ${job.attempts} tr${job.attempts === 1 ? 'y' : 'ies'}: ${job.error}`);
  return lines.join('\n');
}
