// The pre-flight of a run: everything that can be known wrong before the data is read and
// the device set up, so that a bad path or a missing file costs seconds, not a day of training.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { loadCorruptionSuite } from '../data/datasets.ts';
import { checkWritable } from '../io/atomicFile.ts';
import type { ResolvedRun } from '../train/runSpec.ts';

/** What the pre-flight read: the --init-weights file. */
export interface Preflight {
  initialWeights?: { bytes: Uint8Array; source: string };
}

/**
 * Everything that can be known wrong before the data is read and the device set up: every
 * output path writable (a probe file in its folder), a fresh run not about to overwrite a
 * checkpoint, the checkpoint to resume from and the suite folder present, the initial
 * weights readable.
 */
export function preflight(run: ResolvedRun): Preflight {
  const { outputs } = run;
  for (const [what, path] of [['checkpoint', outputs.checkpoint], ['metrics', outputs.metrics], ['curve', outputs.curve]] as const) {
    if (path !== undefined) checkWritable(path, `--${what}`);
  }
  if (outputs.resume !== undefined && !existsSync(outputs.resume)) throw new Error(`--resume ${outputs.resume}: no such checkpoint`);
  if (outputs.resume === undefined && outputs.checkpoint !== undefined && existsSync(outputs.checkpoint)) {
    throw new Error(`--checkpoint ${outputs.checkpoint} already exists: resume from it (--resume ${outputs.checkpoint}) or choose another file`);
  }
  if (outputs.suiteDir !== undefined && !statSync(outputs.suiteDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`--suite-dir ${outputs.suiteDir}: no such folder`);
  }
  // Every file of the suite present (read lazily, after training; a damaged one is reported then).
  if (outputs.suite !== undefined && outputs.suiteDir !== undefined) loadCorruptionSuite(outputs.suite, outputs.suiteDir);
  return run.initWeights === undefined ? {} : { initialWeights: { bytes: readInitWeights(run.initWeights), source: run.initWeights } };
}

function readInitWeights(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new Error(`--init-weights ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
