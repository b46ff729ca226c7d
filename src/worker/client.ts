// Starts a worker running worker.ts and returns its API with async methods; the same
// call in Node (worker_threads) and in browsers (module Web Worker).
import type { Remote } from 'comlink';
import { spawnWorker } from '#worker-port';
import type { OpsApi } from './opsApi.ts';

export interface OpsWorker {
  api: Remote<OpsApi>;
  /** Disposes the worker's device, then stops the worker. */
  close(): Promise<void>;
}

/** `url` defaults to worker.js beside the bundle this code was built into. */
export function startOpsWorker(url: URL = new URL('./worker.js', import.meta.url)): OpsWorker {
  const { remote, terminate } = spawnWorker<OpsApi>(url);
  return {
    api: remote,
    async close() {
      await remote.dispose();
      await terminate();
    },
  };
}
