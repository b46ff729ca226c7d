// The GEMM tuning cache in the browser's IndexedDB, one record per tuning key. It uses only the
// global `indexedDB`, so it runs in pages and workers and imports nothing from Node. Like the
// file store it never stops a run: a database that cannot be opened or read is a miss, and
// records that are not valid configs are ignored. Writes that fail reject (tuneGemm reports
// them as storeError and keeps the tuned config for this session).
import type { GemmConfig } from '../kernels/gemmConfig.ts';
import { parseGemmConfig, type TuningStore } from './tuningStore.ts';

export interface IndexedDbTuningStoreOptions {
  /** Database name; 'espgpu-gemm-tuning' by default (a database of its own, so its schema version is ours). */
  database?: string;
  /** Object store inside it; 'configs' by default. */
  objectStore?: string;
}

export function indexedDbTuningStore(options: IndexedDbTuningStoreOptions = {}): TuningStore {
  const { database = 'espgpu-gemm-tuning', objectStore = 'configs' } = options;
  let opened: Promise<IDBDatabase> | undefined;
  const db = () => {
    if (!opened) {
      opened = openDatabase(database, objectStore);
      opened.catch(() => (opened = undefined)); // a later call tries again
    }
    return opened;
  };
  return {
    async get(key) {
      try {
        const value = await request((await db()).transaction(objectStore, 'readonly').objectStore(objectStore).get(key));
        return parseGemmConfig(value);
      } catch {
        return undefined;
      }
    },
    async set(key, config) {
      const transaction = (await db()).transaction(objectStore, 'readwrite');
      transaction.objectStore(objectStore).put({ ...config } satisfies GemmConfig, key);
      await new Promise<void>((resolve, reject) => {
        transaction.oncomplete = () => resolve();
        transaction.onerror = transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
      });
    },
  };
}

function openDatabase(name: string, objectStore: string): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) return Promise.reject(new Error('indexedDbTuningStore: this environment has no indexedDB; use memoryTuningStore()'));
  const opening = factory.open(name, 1);
  opening.onupgradeneeded = () => {
    if (!opening.result.objectStoreNames.contains(objectStore)) opening.result.createObjectStore(objectStore);
  };
  return request(opening);
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}
