// Browsers: a module Web Worker, spoken to through comlink's default endpoint.
import { expose, wrap, type Remote } from 'comlink';

export function exposeInWorker(api: object): void {
  expose(api);
}

export function spawnWorker<T>(url: URL): { remote: Remote<T>; terminate: () => Promise<void> } {
  const worker = new Worker(url, { type: 'module' });
  return { remote: wrap<T>(worker), terminate: async () => worker.terminate() };
}
