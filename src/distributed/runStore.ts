// The shared store: one folder per job, on storage every worker mounts (NFS, a shared disk),
// holding what a job's runs leave: DIR/<jobId>/checkpoint.safetensors (replaced atomically
// every N steps: where a worker that takes over a job resumes), metrics.jsonl (appended by
// every session) and result.json (written once: the first finished session's record stays).
// A run with flatness arguments also leaves trained.json: its training's output, written once
// the training completes, from which a measurement interrupted is redone without retraining.
import { existsSync, linkSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeTemporarySync } from '../io/atomicFile.ts';
import type { RunSpec } from '../train/runSpec.ts';
import { ValidationError } from '../validate.ts';

export interface JobFiles {
  folder: string;
  checkpoint: string;
  metrics: string;
  result: string;
  /** A run with flatness arguments: its training's output, kept until result.json is written (a measurement interrupted is redone from it, not retrained). */
  trained: string;
}

/** Store folders are job ids: letters, digits, '.', '_', '+' (a study's method names, e.g. augmix+esp) and '-', no leading dot. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function jobFiles(store: string, jobId: string): JobFiles {
  if (!SAFE_NAME.test(jobId)) throw new ValidationError(`job id ${JSON.stringify(jobId)} cannot name a store folder (letters, digits, '.', '_', '+', '-')`);
  const folder = join(store, jobId);
  return { folder, checkpoint: join(folder, 'checkpoint.safetensors'), metrics: join(folder, 'metrics.jsonl'), result: join(folder, 'result.json'), trained: join(folder, 'trained.json') };
}

/** The outputs a worker sets: a plan's spec must leave them to it. */
export const STORE_OUTPUTS = ['checkpoint', 'resume', 'metrics', 'curve'] as const;

export interface StoreSpecOptions {
  /** Steps between checkpoints when the spec does not say (outputs.checkpointEvery). */
  checkpointEvery: number;
  /** Where the dataset is on this machine, when the spec does not say (data.dir). */
  dataDir?: string;
}

/**
 * The RunSpec `espgpu train --spec` runs for a job: the plan's, with its checkpoint and
 * metrics in the job's folder, resuming from the checkpoint when one is there.
 */
export function specForStore(spec: RunSpec, files: JobFiles, options: StoreSpecOptions, resume: boolean): RunSpec {
  const dir = spec.data?.dir ?? options.dataDir;
  return {
    ...spec,
    data: { ...spec.data, ...(dir === undefined ? {} : { dir }) },
    outputs: {
      ...spec.outputs,
      ...(resume ? { resume: files.checkpoint } : { checkpoint: files.checkpoint }),
      checkpointEvery: spec.outputs?.checkpointEvery ?? options.checkpointEvery,
      metrics: files.metrics,
    },
  };
}

/** The job's result.json, if a session finished it. */
export function readResult<T>(files: JobFiles): T | undefined {
  if (!existsSync(files.result)) return undefined;
  return JSON.parse(readFileSync(files.result, 'utf8')) as T;
}

/**
 * Writes `bytes` to `path` only if no file is there, atomically: the bytes go to a temporary
 * file beside it, synced, then hard-linked to `path` — link() fails when `path` exists, on a
 * local disk and on NFS alike, so of two workers finishing the same job at once one wins and
 * the other's record is dropped. Returns whether this call wrote it.
 */
export function writeFileOnce(path: string, bytes: Uint8Array): boolean {
  if (existsSync(path)) return false;
  const temporary = writeTemporarySync(path, bytes);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** host:pid, naming a worker in progress reports and records. */
export const workerName = () => `${hostname()}:${process.pid}`;
