// `espgpu study submit | status | report`: a study's runs as jobs on a BullMQ queue in Redis,
// trained by `espgpu worker` on any machine (docs/DISTRIBUTED.md). The Redis URL comes from
// --redis or $ESPGPU_REDIS_URL and is never printed with its password.
import { Command, Option } from 'commander';
import { loadQueueModule } from '../distributed/queueLibrary.ts';
import { parseRedisUrl, REDIS_URL_VARIABLE } from '../distributed/redisUrl.ts';
import { DEFAULT_QUEUE } from '../distributed/studyJob.ts';
import { readPlanFile } from '../distributed/studyPlan.ts';
import { RUN_SUITES, type RunSuite } from '../train/runSpec.ts';
import { integerAtLeast } from './arguments.ts';

interface QueueArgs {
  redis?: string;
  queue: string;
  json?: boolean;
}

/** --redis and --queue, shared with `espgpu worker`. */
export function withQueueOptions(command: Command): Command {
  return command
    .option('--redis <url>', `the queue's Redis: redis://[user:password@]host[:port][/db], rediss:// for TLS (default $${REDIS_URL_VARIABLE})`)
    .option('--queue <name>', 'the queue: one per study, or one for several', DEFAULT_QUEUE);
}

export const redisOf = (args: { redis?: string }) => parseRedisUrl(args.redis ?? process.env[REDIS_URL_VARIABLE]);

const queueModules = () => loadQueueModule(async () => ({ ...(await import('../distributed/studyQueue.ts')), ...(await import('../distributed/submitPlan.ts')), ...(await import('../distributed/queueStatus.ts')), ...(await import('../distributed/exportResults.ts')) }));

export function addStudyCommand(program: Command): Command {
  const study = program.command('study').description('a study\'s runs as jobs on a queue (BullMQ on Redis), trained by `espgpu worker` on any machine');

  withQueueOptions(
    study
      .command('submit')
      .description('put every run of a plan ({ "runs": [ { "id", "spec" } ] }) on the queue, one job each; submitting again adds nothing')
      .argument('<plan.json>', "the plan: a study's experiments/results/<study>/plan.json, or any { runs: [{ id, spec, study? }] }"),
  )
    .option('--attempts <n>', 'tries in all before a job is failed for good', integerAtLeast('--attempts', 1), 3)
    .option('--backoff <ms>', "the first retry's delay (doubling each time)", integerAtLeast('--backoff', 0), 10_000)
    .addOption(new Option('--suite <name>', 'evaluate every run whose spec names no suite on this corruption suite').choices([...RUN_SUITES]))
    .option('--json', 'print what was added as JSON')
    .action(async (plan: string, args: QueueArgs & { attempts: number; backoff: number; suite?: RunSuite }) => {
      const target = redisOf(args);
      // The whole plan is checked before Redis is touched.
      const jobs = readPlanFile(plan, { suite: args.suite });
      const { withQueue, submitPlan } = await queueModules();
      const submitted = await withQueue(target, args.queue, (queue) => submitPlan(queue, jobs, { attempts: args.attempts, backoffMs: args.backoff }));
      if (args.json) return console.log(JSON.stringify({ queue: args.queue, runs: jobs.length, ...submitted }, null, 2));
      const states = [...new Set(submitted.existing.map((e) => e.state))].map((s) => `${submitted.existing.filter((e) => e.state === s).length} ${s}`);
      console.log(`${plan}: ${jobs.length} runs, ${submitted.added.length} added to queue ${args.queue} at ${target.shown}` +
        (submitted.existing.length ? `; ${submitted.existing.length} were there already (${states.join(', ')})` : ''));
    });

  withQueueOptions(study.command('status').description('jobs waiting, active (with their progress), completed, failed (with their errors) and delayed for a retry'))
    .option('--json', 'print JSON')
    .action(async (args: QueueArgs) => {
      const target = redisOf(args);
      const { withQueue, queueStatus, formatStatus } = await queueModules();
      const status = await withQueue(target, args.queue, queueStatus);
      console.log(args.json ? JSON.stringify(status, null, 2) : formatStatus(status, target.shown));
    });

  withQueueOptions(study.command('report').description("copy the finished jobs' result.json and metrics.jsonl from the store into OUT/<study>/<run id>/, where the study's report reads them"))
    .requiredOption('--store <dir>', 'the workers\' shared store folder')
    .requiredOption('--out <dir>', 'the results folder (the study\'s: experiments/results)')
    .option('--study <name>', 'the folder of runs whose plan names no study (default: the queue\'s name)')
    .option('--json', 'print what was exported as JSON')
    .action(async (args: QueueArgs & { store: string; out: string; study?: string }) => {
      const target = redisOf(args);
      const { withQueue, exportResults } = await queueModules();
      const exported = await withQueue(target, args.queue, (queue) => exportResults(queue, args.store, args.out, args.study ?? args.queue));
      if (args.json) console.log(JSON.stringify(exported, null, 2));
      else {
        console.log(`${exported.written.length} result(s) written to ${args.out}, ${exported.kept.length} already there`);
        for (const m of exported.missing) console.error(`espgpu study report: ${m.jobId} finished, but ${m.path} is not in this store`);
        for (const c of exported.conflicts) console.error(`espgpu study report: ${c.folder}: finished by jobs of other settings (${c.jobIds.join(', ')}): exported neither`);
      }
      if (exported.missing.length || exported.conflicts.length) process.exitCode = 2;
    });
  return study;
}
