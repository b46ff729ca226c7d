// A training run's log as JSON lines: one object per event ("start", "step", "epoch",
// "checkpoint", "done", "error"), each written with one append, so a reader (or a person
// with `tail -f`) always sees whole lines, and a killed run loses at most the line being
// written. A resumed run appends a new "start" record: later lines repeat the steps after
// the checkpoint it resumed from, and a reader keeps the last record of each step.
// Browser-safe: the appending goes through a FileStore.
import type { FileStore } from './atomicFile.ts';

export type MetricsEvent = 'start' | 'step' | 'epoch' | 'checkpoint' | 'done' | 'error';
export const METRICS_EVENTS: readonly MetricsEvent[] = ['start', 'step', 'epoch', 'checkpoint', 'done', 'error'];

export interface MetricsRecord {
  event: MetricsEvent;
  /** ISO 8601 time of writing. */
  time: string;
  [field: string]: unknown;
}

/**
 * One record as a line. JSON has no NaN or infinities, and a diverged loss must stay
 * visible: non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
 */
export function metricsLine(record: MetricsRecord): string {
  return `${JSON.stringify(record, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value))}\n`;
}

/**
 * The records of a metrics file. A last line without its newline is the one a killed run
 * was writing: it is dropped. Any other line that is not a record is an error naming it.
 */
export function parseMetrics(text: string, source: string): MetricsRecord[] {
  const lines = text.split('\n');
  lines.pop(); // after the final newline: empty, or the unfinished line of a killed run
  return lines.map((line, i) => {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new Error(`${source}: line ${i + 1} is not JSON (${(error as Error).message})`);
    }
    const r = record as Partial<MetricsRecord> | null;
    if (typeof r !== 'object' || r === null || !METRICS_EVENTS.includes(r.event as MetricsEvent) || typeof r.time !== 'string') {
      throw new Error(`${source}: line ${i + 1} is not a metrics record (an object with "event" one of ${METRICS_EVENTS.join(', ')} and "time")`);
    }
    return r as MetricsRecord;
  });
}

/** Appends records to one file, in order, one write per line. */
export class MetricsWriter {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly files: FileStore,
  ) {}

  /** Resolves when the line is written; lines land in call order. */
  write(event: MetricsEvent, fields: Record<string, unknown>): Promise<void> {
    const line = metricsLine({ event, time: new Date().toISOString(), ...fields });
    this.pending = this.pending.then(() => this.files.append(this.path, line));
    return this.pending;
  }
}
