// `espgpu worker`: trains a study's queued runs on this machine until stopped, each in its own
// `espgpu train` process, checkpoints and results in a store folder every worker shares
// (docs/DISTRIBUTED.md). SIGTERM or Ctrl-C: the running trainings stop at their next step with
// a checkpoint, their jobs go back to the queue, the worker exits (143 / 130); a second signal
// kills them at once (their jobs are taken over from the last checkpoint once their locks expire).
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { loadQueueModule } from '../distributed/queueLibrary.ts';
import { WORKER_DEFAULTS as D } from '../distributed/studyJob.ts';
import { integerAtLeast, positiveNumber } from './arguments.ts';
import { withDeviceOptions } from './shared.ts';
import { redisOf, withQueueOptions } from './studyCommand.ts';

interface WorkerArgs {
  redis?: string;
  queue: string;
  store: string;
  concurrency: number;
  checkpointEvery: number;
  dataDir?: string;
  lockDuration: number;
  stalledInterval: number;
  maxStalled: number;
  progressInterval: number;
  jobTimeout?: number;
  timeoutGrace: number;
  adapter?: string;
  tune: boolean;
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

export function addWorkerCommand(program: Command): Command {
  const command = withQueueOptions(program.command('worker').description("train a study's queued runs on this machine (`espgpu study submit`), resumably, until stopped"))
    .requiredOption('--store <dir>', "the store folder every worker shares (NFS…): a job's checkpoint, metrics and result.json in <dir>/<job id>/")
    .option('--concurrency <n>', 'jobs trained at once (each its own process on the device)', integerAtLeast('--concurrency', 1), D.concurrency)
    .option('--checkpoint-every <n>', 'steps between checkpoints, where a run\'s spec does not say: at most these are lost when a worker dies', integerAtLeast('--checkpoint-every', 1), D.checkpointEvery)
    .option('--data-dir <dir>', 'where the datasets are on this machine, for runs whose spec does not say')
    .option('--job-timeout <minutes>', "stop a job's try that trains longer (SIGTERM: it checkpoints), and fail it; with tries left it is retried, resuming (default: no limit; fractions allowed)", positiveNumber('--job-timeout'))
    .addOption(new Option('--timeout-grace <s>', 'after --job-timeout: seconds the training has to checkpoint and exit before SIGKILL').argParser(positiveNumber('--timeout-grace')).default(D.timeoutGraceMs / 1000))
    .option('--lock-duration <ms>', "a job's lock: a dead worker's job goes to another worker after about this long", integerAtLeast('--lock-duration', 1000), D.lockDurationMs)
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died', integerAtLeast('--stalled-interval', 500), D.stalledIntervalMs)
    .option('--max-stalled <n>', 'times a job may be taken back from a dead worker before it fails', integerAtLeast('--max-stalled', 0), D.maxStalled)
    .option('--progress-interval <ms>', "how often a running job's progress is published", integerAtLeast('--progress-interval', 100), D.progressEveryMs);
  return withDeviceOptions(command).action(async (args: WorkerArgs) => {
    const target = redisOf(args);
    const { startStudyWorker } = await loadQueueModule(() => import('../distributed/studyWorker.ts'));
    const log = (line: string) => console.log(`[${new Date().toISOString()}] ${target.redact(line)}`);
    const worker = await startStudyWorker({
      target,
      queue: args.queue,
      store: resolve(args.store),
      cli: resolve(process.argv[1]!),
      concurrency: args.concurrency,
      checkpointEvery: args.checkpointEvery,
      dataDir: args.dataDir === undefined ? undefined : resolve(args.dataDir),
      adapter: args.adapter,
      tune: args.tune,
      lockDurationMs: args.lockDuration,
      stalledIntervalMs: args.stalledInterval,
      maxStalled: args.maxStalled,
      progressEveryMs: args.progressInterval,
      jobTimeoutMs: args.jobTimeout === undefined ? undefined : args.jobTimeout * 60_000,
      timeoutGraceMs: args.timeoutGrace * 1000,
      log,
    });
    let stoppedBy: keyof typeof SIGNAL_EXIT_CODES | undefined;
    const onSignal = (signal: keyof typeof SIGNAL_EXIT_CODES) => {
      if (stoppedBy) {
        log(`${signal} again: killing the running trainings; their jobs go to other workers from their last checkpoints`);
        worker.kill();
        process.exit(SIGNAL_EXIT_CODES[signal]);
      }
      stoppedBy = signal;
      log(`${signal}: stopping`);
      void worker.stop();
    };
    for (const signal of Object.keys(SIGNAL_EXIT_CODES) as (keyof typeof SIGNAL_EXIT_CODES)[]) process.on(signal, onSignal);
    await worker.closed;
    log('closed');
    process.exitCode = stoppedBy ? SIGNAL_EXIT_CODES[stoppedBy] : 0;
  });
}
