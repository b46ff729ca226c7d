// A plan file as `espgpu study submit` reads it: { "runs": [ { "id", "spec", … } ] } — the
// shape of a study's experiments/results/<study>/plan.json. Every run is checked before
// anything is submitted (its spec resolved as a worker will run it): a plan with one bad run
// is refused whole, with every bad run and field named.
import { readFileSync } from 'node:fs';
import { resolveRunSpec, RUN_SUITES, type RunSpec, type RunSuite } from '../train/runSpec.ts';
import { ValidationError } from '../validate.ts';
import { jobIdOf } from './jobId.ts';
import { jobFiles, specForStore, STORE_OUTPUTS } from './runStore.ts';
import type { PlannedRun } from './studyJob.ts';

export interface PlannedJob {
  jobId: string;
  run: PlannedRun;
}

export interface PlanOptions {
  /** Evaluate every run whose spec names no suite on this corruption suite (outputs.suite). */
  suite?: RunSuite;
}

/** Run ids and study names become folder names: letters, digits, '.', '_', '-'. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

export function readPlanFile(path: string, options: PlanOptions = {}): PlannedJob[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`plan ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw new Error(`plan ${path}: not JSON (${(error as Error).message})`);
  }
  return checkPlan(plan, `plan ${path}`, options);
}

/** The plan's runs as jobs, in plan order; throws one error naming every bad run. */
export function checkPlan(plan: unknown, where: string, options: PlanOptions = {}): PlannedJob[] {
  const runs = (plan as { runs?: unknown } | null)?.runs;
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan) || !Array.isArray(runs)) {
    throw new ValidationError(`${where}: must be an object with "runs", a list of { "id", "spec" }`);
  }
  if (runs.length === 0) throw new ValidationError(`${where}: "runs" is empty`);
  if (options.suite !== undefined && !RUN_SUITES.includes(options.suite)) throw new ValidationError(`${where}: no suite ${options.suite}`);
  const problems: string[] = [];
  const jobs: PlannedJob[] = [];
  const seen = new Map<string, number>();
  runs.forEach((entry, index) => {
    const label = typeof (entry as PlannedRun | null)?.id === 'string' ? `run ${(entry as PlannedRun).id}` : `runs[${index}]`;
    try {
      const run = checkRun(entry, label, options);
      const key = `${run.study ?? ''}/${run.id}`;
      if (seen.has(key)) throw new ValidationError(`${label}: id ${run.id} is also runs[${seen.get(key)}]'s${run.study ? ` in study ${run.study}` : ''}`);
      seen.set(key, index);
      jobs.push({ jobId: jobIdOf(run), run });
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  if (problems.length) throw new ValidationError(`${where}: ${problems.length} of ${runs.length} runs are wrong, nothing submitted:\n  ${problems.join('\n  ')}`);
  return jobs;
}

function checkRun(entry: unknown, label: string, options: PlanOptions): PlannedRun {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ValidationError(`${label}: must be an object with "id" and "spec"`);
  const run = entry as PlannedRun;
  if (typeof run.id !== 'string' || !NAME.test(run.id)) throw new ValidationError(`${label}: id must be a name of letters, digits, '.', '_', '+' and '-' (it names folders), got ${JSON.stringify(run.id)}`);
  if (run.study !== undefined && (typeof run.study !== 'string' || !NAME.test(run.study))) {
    throw new ValidationError(`${label}: study must be a name of letters, digits, '.', '_', '+' and '-', got ${JSON.stringify(run.study)}`);
  }
  if (typeof run.spec !== 'object' || run.spec === null || Array.isArray(run.spec)) throw new ValidationError(`${label}: spec must be a RunSpec object`);
  const outputs = run.spec.outputs;
  if (outputs !== undefined && (typeof outputs !== 'object' || outputs === null)) throw new ValidationError(`${label}: spec.outputs must be an object`);
  for (const field of STORE_OUTPUTS) {
    if (outputs?.[field] !== undefined) throw new ValidationError(`${label}: spec.outputs.${field} is the worker's to set (in the store: DIR/<jobId>/); leave it out`);
  }
  checkFlatness(run.flatness, label);
  const spec: RunSpec = options.suite !== undefined && outputs?.suite === undefined ? { ...run.spec, outputs: { ...outputs, suite: options.suite } } : run.spec;
  // Checked as a worker will run it: in a store folder, with a checkpoint.
  resolveRunSpec(specForStore(spec, jobFiles('/store', 'job'), { checkpointEvery: 50 }, false), label);
  return { ...run, spec };
}

/** The arguments the worker sets itself: a plan's flatness must leave them out. */
const WORKER_FLATNESS_ARGS = ['--checkpoint', '--json'] as const;

function checkFlatness(flatness: unknown, label: string): void {
  if (flatness === undefined) return;
  if (!Array.isArray(flatness) || flatness.some((arg) => typeof arg !== 'string')) {
    throw new ValidationError(`${label}: flatness must be a list of strings, the arguments of \`espgpu flatness\`, got ${JSON.stringify(flatness)}`);
  }
  for (const arg of flatness as string[]) {
    const given = WORKER_FLATNESS_ARGS.find((name) => arg === name || arg.startsWith(`${name}=`));
    if (given) throw new ValidationError(`${label}: flatness must not give ${given}: the worker measures the job's checkpoint (--checkpoint) and reads --json`);
  }
}
