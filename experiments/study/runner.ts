// Runs a study's plan with the `espgpu` command line, resumably: a run whose result.json
// exists is skipped, a run with a checkpoint continues from it (`--resume`), so a study
// killed at any point loses at most the steps since the last checkpoint. Both only when they
// come from the very RunSpec planned: a result or checkpoint of another recipe under the same
// run id is an error, never a silent skip or resume. The corruption suites (one per dataset
// and evaluation split) are generated once and reused by every run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../../src/io/atomicFile.ts';
import { canonicalJson } from '../../src/distributed/jobId.ts';
import type { RunSpec } from '../../src/train/runSpec.ts';
import { suiteOf, type Run, type SuiteSource } from './plan.ts';

export interface StudyPaths {
  /** The espgpu command (dist/cli.js). */
  cli: string;
  /** Committed: one folder per run with result.json and metrics.jsonl. */
  results: string;
  /** Not committed: checkpoints and the generated suites. */
  work: string;
  /** Passed to every command: where Fashion-MNIST is (default: Debian's package). */
  dataDir?: string;
}

export interface SuiteSettings {
  validation: number;
  /** Corrupt only the first n evaluation images (all when undefined). */
  testLimit?: number;
  validationLimit?: number;
}

export const resultFile = (paths: StudyPaths, run: Run) => join(paths.results, run.study, run.id, 'result.json');
const metricsFile = (paths: StudyPaths, run: Run) => join(paths.results, run.study, run.id, 'metrics.jsonl');
const checkpointFile = (paths: StudyPaths, run: Run) => join(paths.work, 'checkpoints', run.study, `${run.id}.safetensors`);
const specFile = (paths: StudyPaths, run: Run) => join(paths.work, 'specs', run.study, `${run.id}.json`);
/**
 * A generated suite's folder: Fashion-MNIST-C's keep their first names, suites/test and
 * suites/validation (finished runs and running studies read them); any other dataset's is
 * suites/<dataset>-<split>[-<held-out images>], e.g. suites/mnist-digits-test or
 * suites/mnist-digits-validation-2000. A bare split means Fashion-MNIST.
 */
export function suiteDir(paths: StudyPaths, suite: SuiteSource | Run['evaluatedOn']): string {
  const { dataset, split, validation } = typeof suite === 'string' ? { dataset: 'fashion-mnist', split: suite, validation: undefined } : suite;
  if (dataset === 'fashion-mnist') return join(paths.work, 'suites', split);
  return join(paths.work, 'suites', `${dataset}-${split}${validation === undefined ? '' : `-${validation}`}`);
}

/** The test and validation Fashion-MNIST-C suites: what prepareSuites makes when not told. */
export const FASHION_SUITES: readonly SuiteSource[] = [{ dataset: 'fashion-mnist', split: 'test' }, { dataset: 'fashion-mnist', split: 'validation' }];

/** The distinct suites these runs are scored on, in first-use order. */
export function suitesOf(runs: readonly Run[]): SuiteSource[] {
  const byDir = new Map<string, SuiteSource>();
  for (const run of runs) {
    const suite = suiteOf(run);
    const key = `${suite.dataset}/${suite.split}/${suite.validation ?? ''}`;
    byDir.set(key, byDir.get(key) ?? suite);
  }
  return [...byDir.values()];
}

/** A command (or the study) stopped by a signal: its checkpoint stands, and rerunning resumes it. */
export class StudyInterrupted extends Error {
  /** The signal the study itself received, when it did. */
  constructor(message: string, readonly signal?: NodeJS.Signals) {
    super(message);
  }
}

/** espgpu's exit codes when a signal stopped it cleanly (128 + SIGHUP, SIGINT, SIGTERM), with a checkpoint. */
const STOPPED_BY_SIGNAL = new Set([129, 130, 143]);

/** The espgpu commands running now: a signal to the study goes on to them. */
const running = new Set<ChildProcess>();

/** Runs `node cli args…`; resolves with stdout, rejects with the command's last stderr lines. */
export function espgpu(paths: Pick<StudyPaths, 'cli' | 'dataDir'>, args: string[], log: (line: string) => void): Promise<string> {
  const full = paths.dataDir ? [...args, '--data-dir', paths.dataDir] : args;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [paths.cli, ...full], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      if (code === 0) return resolve(stdout);
      if (signal !== null || STOPPED_BY_SIGNAL.has(code!)) {
        log(`  stopped: espgpu ${full.join(' ')} (${signal ?? `exit ${code}`})`);
        return reject(new StudyInterrupted(`espgpu ${args[0]} was stopped (${signal ?? `exit ${code}`}); rerun the study to resume it from its checkpoint`));
      }
      const last = stderr.trim().split('\n').filter((l) => !l.startsWith('Warning:')).slice(-3).join(' | ');
      log(`  failed: espgpu ${full.join(' ')}`);
      reject(new Error(`espgpu ${args[0]} exited with ${signal ?? code}: ${last}`));
    });
  });
}

/**
 * Writes each MNIST-C suite once (a marker file says done): by default the test and validation
 * Fashion-MNIST-C suites; a study passes the suites its runs name (suitesOf).
 */
export async function prepareSuites(paths: StudyPaths, settings: SuiteSettings, log: (line: string) => void, suites: readonly SuiteSource[] = FASHION_SUITES): Promise<void> {
  for (const suite of suites) {
    const dir = suiteDir(paths, suite);
    const marker = join(dir, 'suite.json');
    if (existsSync(marker)) continue;
    const on = suite.split;
    const limit = on === 'test' ? settings.testLimit : settings.validationLimit;
    const which = on === 'test' ? ['--split', 'test'] : ['--validation', String(suite.validation ?? settings.validation)];
    log(`generating the ${suite.dataset} ${on} suite in ${dir}`);
    const args = ['corrupt', '--dataset', suite.dataset, '--suite', 'mnist-c', '--out', dir, ...which, '--json'];
    if (limit !== undefined) args.push('--limit', String(limit));
    const summary = await espgpu(paths, args, log);
    writeFileAtomicSync(marker, new TextEncoder().encode(summary));
  }
}

/** The spec as canonical JSON without the machine's paths (outputs, data.dir): what a run trains. */
function trainedSpec(spec: RunSpec): string {
  const { outputs: _outputs, ...rest } = spec;
  const { dir: _dir, ...data } = spec.data ?? {};
  return canonicalJson({ ...rest, data });
}

/**
 * The run's result.json, read once, when it exists and was trained from the planned spec.
 * Throws, naming the file, when a result of another spec sits under the run's id. Results
 * written before runs were RunSpecs (2026-12-05) record command-line args instead: only
 * `acceptUnrecorded` (reading old results for a report) takes them on trust.
 */
function finishedRecord(paths: StudyPaths, run: Run, acceptUnrecorded: boolean): { run?: { spec?: RunSpec } } | undefined {
  const result = resultFile(paths, run);
  if (!existsSync(result)) return undefined;
  const record = JSON.parse(readFileSync(result, 'utf8')) as { run?: { spec?: RunSpec } };
  const recorded = record.run?.spec;
  if (!recorded && acceptUnrecorded) return record;
  if (!recorded || trainedSpec(recorded) !== trainedSpec(run.spec)) {
    throw new Error(`${result} holds ${run.study}/${run.id} trained from another RunSpec than the one planned (${recorded ? trainedSpec(recorded) : 'none recorded'}); give another --results folder for a new recipe, or remove it`);
  }
  return record;
}

/** Whether the run has finished, from the planned spec (see finishedRecord). */
export function isFinished(paths: StudyPaths, run: Run, { acceptUnrecorded = false } = {}): boolean {
  return finishedRecord(paths, run, acceptUnrecorded) !== undefined;
}

/** Whether nothing is left of the run: finished, and its flatness measured when the plan asks for it. */
function isDone(paths: StudyPaths, run: Run): boolean {
  const record = finishedRecord(paths, run, false) as { flatness?: unknown } | undefined;
  return record !== undefined && (!run.flatness || record.flatness !== undefined);
}

/** Throws, naming the files, when the run's checkpoint was written for another spec (or for one not recorded). */
function checkResumable(paths: StudyPaths, run: Run, checkpoint: string): void {
  const specPath = specFile(paths, run);
  const recorded = existsSync(specPath) ? (JSON.parse(readFileSync(specPath, 'utf8')) as RunSpec) : undefined;
  if (!recorded || trainedSpec(recorded) !== trainedSpec(run.spec)) {
    throw new Error(`${checkpoint} was written for ${recorded ? `another RunSpec (${specPath})` : `a RunSpec not recorded in ${specPath}`} than ${run.study}/${run.id} plans; give another --work folder for a new recipe, or remove the checkpoint`);
  }
}

/** One run to completion (or resumed to completion); writes its result.json. */
export async function runOne(paths: StudyPaths, run: Run, log: (line: string) => void): Promise<void> {
  const result = resultFile(paths, run);
  const finished = finishedRecord(paths, run, false) as { wallSeconds: number; flatness?: unknown } | undefined;
  if (finished) {
    if (run.flatness && finished.flatness === undefined) await addFlatness(paths, run, finished, log);
    return;
  }
  const checkpoint = checkpointFile(paths, run);
  mkdirSync(dirname(checkpoint), { recursive: true });
  mkdirSync(dirname(result), { recursive: true });
  const resuming = existsSync(checkpoint);
  if (resuming) checkResumable(paths, run, checkpoint);
  log(`${resuming ? 'resuming' : 'starting'} ${run.study}/${run.id}`);
  const started = performance.now();
  const spec: RunSpec = {
    ...run.spec,
    data: { ...run.spec.data, ...(paths.dataDir ? { dir: paths.dataDir } : {}) },
    outputs: {
      ...(resuming ? { resume: checkpoint } : { checkpoint }),
      checkpointEvery: 100,
      metrics: metricsFile(paths, run),
      suite: 'mnist-c',
      suiteDir: suiteDir(paths, suiteOf(run)),
    },
  };
  const specPath = specFile(paths, run);
  mkdirSync(dirname(specPath), { recursive: true });
  writeFileAtomicSync(specPath, new TextEncoder().encode(JSON.stringify(spec, null, 2) + '\n'));
  const stdout = await espgpu(paths, ['train', '--spec', specPath, '--json'], log);
  const output = JSON.parse(stdout) as { done: { status: string } };
  if (output.done.status !== 'completed') throw new Error(`${run.study}/${run.id} stopped (${output.done.status}) before the end`);
  // Before result.json: a run killed here resumes from its final checkpoint and measures again.
  const flatness = run.flatness ? await measureFlatness(paths, run, checkpoint, log) : undefined;
  const record = { run, wallSeconds: (performance.now() - started) / 1000, resumed: resuming, output, ...(flatness ? { flatness } : {}) };
  writeFileAtomicSync(result, new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n'));
  log(`finished ${run.study}/${run.id} in ${record.wallSeconds.toFixed(0)} s`);
}

/**
 * A finished run whose plan has since asked for its flatness (every seed's, not only the
 * first's): measured on the final checkpoint the run left, and added to its result.json. Its
 * time joins the run's, as it would have had the run measured it at once.
 */
async function addFlatness(paths: StudyPaths, run: Run, record: { wallSeconds: number }, log: (line: string) => void): Promise<void> {
  const checkpoint = checkpointFile(paths, run);
  const result = resultFile(paths, run);
  if (!existsSync(checkpoint)) throw new Error(`${result} has no flatness and its final checkpoint ${checkpoint} is gone: retrain the run (remove ${result}) or plan it without flatness`);
  const started = performance.now();
  const flatness = await measureFlatness(paths, run, checkpoint, log);
  const wallSeconds = record.wallSeconds + (performance.now() - started) / 1000;
  writeFileAtomicSync(result, new TextEncoder().encode(JSON.stringify({ ...record, run, wallSeconds, flatness }, null, 2) + '\n'));
  log(`added the flatness of ${run.study}/${run.id}`);
}

/** `espgpu flatness` of a finished run's checkpoint (the weights at the end of training). */
async function measureFlatness(paths: StudyPaths, run: Run, checkpoint: string, log: (line: string) => void): Promise<unknown> {
  log(`measuring the flatness of ${run.study}/${run.id}`);
  return JSON.parse(await espgpu(paths, ['flatness', '--checkpoint', checkpoint, ...run.flatness!, '--json'], log));
}

/**
 * Runs the plan with up to `jobs` runs at once (one on a software adapter: it uses every core).
 * SIGTERM, SIGINT or SIGHUP to the study go on to the running commands, which checkpoint and
 * stop; no further run starts, and it rejects with StudyInterrupted. So does a command stopped
 * by a signal sent to it alone: a run killed on purpose does not let the next one start.
 */
export async function runAll(paths: StudyPaths, runs: readonly Run[], jobs: number, log: (line: string) => void): Promise<void> {
  const queue = runs.filter((run) => !isDone(paths, run));
  log(`${runs.length - queue.length} of ${runs.length} runs already done; ${queue.length} to go, ${jobs} at a time`);
  const failures: Error[] = [];
  let stopped: string | undefined;
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stopped ??= signal;
    received ??= signal;
    log(`${signal}: stopping the running commands at their checkpoints; no further run starts`);
    for (const child of running) child.kill(signal);
  };
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  const worker = async () => {
    for (let run = stopped ? undefined : queue.shift(); run; run = stopped ? undefined : queue.shift()) {
      await runOne(paths, run, log).catch((e: Error) => {
        if (e instanceof StudyInterrupted) stopped ??= 'a command was stopped';
        else failures.push(e);
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
  if (stopped) throw new StudyInterrupted(`the study stopped (${stopped}) with ${queue.length} run(s) not started${failures.length ? ` and ${failures.length} failed` : ''}; rerun it to resume`, received);
  if (failures.length) throw new Error(`${failures.length} run(s) failed; first: ${failures[0]!.message}`);
}

/** The finished runs' records (those with a result.json), in plan order. */
export function readResults<T>(paths: StudyPaths, runs: readonly Run[]): { run: Run; record: T }[] {
  return runs.flatMap((run) => {
    const record = finishedRecord(paths, run, true);
    return record ? [{ run, record: record as T }] : [];
  });
}
