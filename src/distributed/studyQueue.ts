// The queue a study's runs wait in: a BullMQ queue on Redis (jobs: studyJob.ts), and how
// the commands and the workers connect to it.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { RedisTarget } from './redisUrl.ts';
import type { StudyJobData, StudyJobResult } from './studyJob.ts';

/**
 * ioredis options for a URL. Commands (submit, status, report) fail fast when Redis cannot
 * be reached; workers keep retrying (a Redis restart must not end them).
 */
export function connectionOf(target: RedisTarget, role: 'command' | 'worker'): ConnectionOptions {
  const common = { url: target.url, connectionName: `espgpu-${role}` };
  if (role === 'worker') return { ...common, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(250 * times, 5000) };
  return { ...common, maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: (times: number) => (times > 2 ? null : 200) };
}

export function openQueue(target: RedisTarget, name: string): Queue<StudyJobData, StudyJobResult> {
  return new Queue<StudyJobData, StudyJobResult>(name, { connection: connectionOf(target, 'command') });
}

/** Runs `use` with an open queue, closes it whatever happens, and redacts the password from any error. */
export async function withQueue<T>(target: RedisTarget, name: string, use: (queue: Queue<StudyJobData, StudyJobResult>) => Promise<T>): Promise<T> {
  const queue = openQueue(target, name);
  // Connection errors also arrive as events: without a listener they would be printed raw.
  let connectionError: Error | undefined;
  queue.on('error', (error: Error) => (connectionError ??= error));
  try {
    return await use(queue);
  } catch (error) {
    const message = (connectionError ?? (error as Error)).message;
    throw new Error(`queue ${name} on ${target.shown}: ${target.redact(message)}`);
  } finally {
    await queue.close().catch(() => {});
  }
}
