// The worker entry (bundled as dist/node/worker.js and dist/browser/worker.js).
import { exposeInWorker } from '#worker-port';
import { createOpsApi } from './opsApi.ts';

exposeInWorker(createOpsApi());
