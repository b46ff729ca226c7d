// One job's training as its own process: `espgpu train --spec FILE --json`, with the
// checkpoints, resume and signal handling of the command itself. The worker follows the run's
// metrics file for progress, stops it with SIGTERM (it ends at the next step boundary with a
// checkpoint, exit code 143), and reads its JSON result from stdout. A run with flatness
// arguments then has `espgpu flatness --checkpoint FILE … --json` measured the same way.
//
// A worker killed outright (kill -9, OOM) cannot stop its children: each child watches its
// stdin, a pipe from the worker, and stops itself with SIGTERM when the pipe closes, so no
// orphan goes on training a job another worker has taken over.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Preloaded in the child: stop (SIGTERM) when the worker's end of stdin closes; never keeps it alive. */
const STOP_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  "process.stdin.on('end',()=>process.kill(process.pid,'SIGTERM'));process.stdin.on('error',()=>{});process.stdin.resume();process.stdin.unref();",
)}`;

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch?: number;
  loss?: number;
  etaSeconds?: number;
}

export interface TrainProcessOptions {
  /** The espgpu command to run (dist/cli.js). */
  cli: string;
  specPath: string;
  /** The run's metrics file, followed from its current end for progress. */
  metricsPath: string;
  adapter?: string;
  /** false: --no-tune. */
  tune?: boolean;
  onProgress?: (progress: TrainProgress) => void;
  /** How often the metrics file is read (default 1000 ms). */
  progressEveryMs?: number;
}

export interface TrainExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last lines of stderr without Dawn's notices: the error, when it failed. */
  error: string;
}

export interface TrainProcess {
  pid: number | undefined;
  /** SIGTERM: the run stops at the next step boundary, its checkpoint written. */
  stop(): void;
  /** SIGKILL. */
  kill(): void;
  exited: Promise<TrainExit>;
}

export function startTraining(options: TrainProcessOptions): TrainProcess {
  return startEspgpu(options.cli, ['train', '--spec', options.specPath, '--json'], options, {
    path: options.metricsPath,
    report: options.onProgress ?? (() => {}),
    everyMs: options.progressEveryMs ?? 1000,
  });
}

export interface FlatnessProcessOptions {
  cli: string;
  /** The run's final checkpoint. */
  checkpoint: string;
  /** The plan's `espgpu flatness` arguments (no --checkpoint, no --json). */
  args: readonly string[];
  /** --data-dir, when the arguments do not give one. */
  dataDir?: string;
  adapter?: string;
  tune?: boolean;
}

/**
 * `espgpu flatness --checkpoint FILE ARGS --json`: the flatness of a trained run's final
 * checkpoint, in its own process as the training was (stop(): SIGTERM, it ends at once; a
 * measurement stopped is measured again from the start). Its JSON report is on stdout.
 */
export function startFlatness(options: FlatnessProcessOptions): TrainProcess {
  const givesDataDir = options.args.some((arg) => arg === '--data-dir' || arg.startsWith('--data-dir='));
  const dataDir = options.dataDir !== undefined && !givesDataDir ? ['--data-dir', options.dataDir] : [];
  return startEspgpu(options.cli, ['flatness', '--checkpoint', options.checkpoint, ...options.args, ...dataDir, '--json'], options);
}

/** `node --import STOP_WITH_PARENT cli args…` with the device options, its stdout kept, the metrics file followed when given. */
function startEspgpu(
  cli: string,
  command: readonly string[],
  device: { adapter?: string; tune?: boolean },
  follow?: { path: string; report: (progress: TrainProgress) => void; everyMs: number },
): TrainProcess {
  const args = ['--import', STOP_WITH_PARENT, cli, ...command];
  if (device.adapter !== undefined) args.push('--adapter', device.adapter);
  if (device.tune === false) args.push('--no-tune');
  const follower = follow ? followMetrics(follow.path, follow.report, follow.everyMs) : { stop() {} };
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk).slice(-8000)));
  child.stdin.on('error', () => {}); // EPIPE once the child has gone
  const exited = new Promise<TrainExit>((resolve) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, extra = '') => {
      if (settled) return;
      settled = true;
      follower.stop();
      const lines = stderr.trim().split('\n').filter((line) => line && !line.startsWith('Warning:'));
      resolve({ code, signal, stdout, error: [...lines.slice(-3), extra].filter(Boolean).join(' | ') });
    };
    child.on('error', (error) => finish(null, null, `cannot start ${cli}: ${error.message}`));
    child.on('close', (code, signal) => finish(code, signal));
  });
  return {
    pid: child.pid,
    stop: () => void child.kill('SIGTERM'),
    kill: () => void child.kill('SIGKILL'),
    exited,
  };
}

/** Reads the records appended to a metrics file since now, every `everyMs`, and reports the latest step. */
function followMetrics(path: string, report: (progress: TrainProgress) => void, everyMs: number): { stop(): void } {
  let offset = sizeOf(path);
  let partial = '';
  let latest: TrainProgress | undefined;
  const poll = () => {
    const size = sizeOf(path);
    if (size < offset) offset = 0; // replaced: read it again from the start
    if (size === offset) return;
    const bytes = Buffer.alloc(size - offset);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, bytes, 0, bytes.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    const lines = (partial + bytes.toString('utf8')).split('\n');
    partial = lines.pop()!;
    const before = latest;
    for (const line of lines) latest = progressOf(line, latest);
    if (latest && latest !== before) report(latest);
  };
  const timer = setInterval(() => {
    try {
      poll();
    } catch {
      // The file is being replaced or is not there yet: the next poll reads it.
    }
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}

function progressOf(line: string, latest: TrainProgress | undefined): TrainProgress | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return latest;
  }
  const totalSteps = typeof record.totalSteps === 'number' ? record.totalSteps : latest?.totalSteps;
  const step = typeof record.step === 'number' ? record.step : undefined;
  if (totalSteps === undefined || step === undefined) return latest;
  switch (record.event) {
    case 'start':
    case 'checkpoint':
    case 'done':
      return { ...latest, step, totalSteps };
    case 'step':
      // A step record names the step just taken (from 0): one more is done.
      return {
        step: step + 1,
        totalSteps,
        epoch: typeof record.epoch === 'number' ? record.epoch + 1 : undefined,
        loss: typeof record.loss === 'number' ? record.loss : undefined,
        etaSeconds: typeof record.etaSeconds === 'number' ? record.etaSeconds : undefined,
      };
    default:
      return latest;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
