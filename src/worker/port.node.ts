// Node: workers are worker_threads, spoken to through comlink's Node adapter.
import { expose, wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Worker, parentPort } from 'node:worker_threads';

export function exposeInWorker(api: object): void {
  if (!parentPort) throw new Error('exposeInWorker: not running in a worker thread');
  expose(api, nodeEndpoint(parentPort));
}

export function spawnWorker<T>(url: URL): { remote: Remote<T>; terminate: () => Promise<void> } {
  const worker = new Worker(url);
  return { remote: wrap<T>(nodeEndpoint(worker)), terminate: async () => void (await worker.terminate()) };
}
