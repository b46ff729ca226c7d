// `espgpu study report`: the finished jobs' records, from the shared store into the study
// runner's layout — OUT/<study>/<run id>/result.json and metrics.jsonl — where the study's
// report (experiments/study/report.ts) reads them as it reads a local run's. A result.json
// already there is kept (the runner's rule: a run with a result is done).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { writeFileAtomicSync } from '../io/atomicFile.ts';
import { jobFiles } from './runStore.ts';
import type { StudyJobData, StudyJobResult } from './studyJob.ts';

export interface Exported {
  /** OUT-relative folders written. */
  written: string[];
  /** Folders that had a result.json already. */
  kept: string[];
  /** Finished jobs whose result.json is not in this store. */
  missing: { jobId: string; path: string }[];
  /** Runs two finished jobs claim (same study and id, other settings): neither exported. */
  conflicts: { folder: string; jobIds: string[] }[];
}

export async function exportResults(queue: Queue<StudyJobData, StudyJobResult>, store: string, out: string, defaultStudy: string): Promise<Exported> {
  const jobs = await queue.getJobs(['completed']);
  const byFolder = new Map<string, string[]>();
  for (const job of jobs) {
    const { run } = job.data;
    const folder = join(run.study ?? defaultStudy, run.id);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), job.id!]);
  }
  const result: Exported = { written: [], kept: [], missing: [], conflicts: [] };
  for (const [folder, jobIds] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) {
    if (jobIds.length > 1) {
      result.conflicts.push({ folder, jobIds });
      continue;
    }
    const files = jobFiles(store, jobIds[0]!);
    if (!existsSync(files.result)) {
      result.missing.push({ jobId: jobIds[0]!, path: files.result });
      continue;
    }
    const target = join(out, folder, 'result.json');
    if (existsSync(target)) {
      result.kept.push(folder);
      continue;
    }
    // The metrics first: a folder with a result.json is complete.
    if (existsSync(files.metrics)) writeFileAtomicSync(join(out, folder, 'metrics.jsonl'), readFileSync(files.metrics));
    writeFileAtomicSync(target, readFileSync(files.result));
    result.written.push(folder);
  }
  return result;
}
