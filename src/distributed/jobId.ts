// A run's job id: its id and a hash of its settings, so that submitting a plan again adds
// nothing (BullMQ ignores a job whose id it has, whatever its state), and a run whose settings
// changed becomes a new job. The id is also the run's folder in the shared store. A run's
// `flatness` arguments are part of its settings (the measurement is part of its result); a run
// without them hashes as before.
import { createHash } from 'node:crypto';
import type { PlannedRun } from './studyJob.ts';

/** JSON with every object's keys sorted: equal values, equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** "<study>.<id>.<12 hex digits>" (no study: "<id>.<hex>"): the SHA-256 of the canonical JSON of study, id, spec and flatness (when given). */
export function jobIdOf(run: Pick<PlannedRun, 'id' | 'spec' | 'study' | 'flatness'>): string {
  const hash = createHash('sha256').update(canonicalJson({ study: run.study, id: run.id, spec: run.spec, flatness: run.flatness })).digest('hex').slice(0, 12);
  return run.study === undefined ? `${run.id}.${hash}` : `${run.study}.${run.id}.${hash}`;
}
