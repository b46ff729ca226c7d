// The worker entry (bundled as dist/node/worker.js and dist/browser/worker.js): the ops API and
// the trainer API side by side, sharing one device. The trainer's init and dispose stand for
// both (each acquires or releases the shared device).
import { exposeInWorker } from '#worker-port';
import { createOpsApi, WorkerDevice, type OpsApi } from './opsApi.ts';
import { createTrainerApi, type TrainerApi } from './trainerApi.ts';

const device = new WorkerDevice();
const api: OpsApi & TrainerApi = { ...createOpsApi(device), ...createTrainerApi(device) };
exposeInWorker(api);
