// Releasing an experiment's in-process trainer and device: shared by the scripts that train
// through the trainer API (figure1, theorem1).
import type { WorkerDevice } from '../src/worker/opsApi.ts';
import type { TrainerApi } from '../src/worker/trainerApi.ts';

/**
 * Releases the device and waits for Dawn to finish tearing it down: a process that exits at once
 * can crash in Dawn's threads (src/cli/shared.ts withGpu waits the same way).
 */
export async function disposeDevice(trainer: TrainerApi, device: WorkerDevice): Promise<void> {
  const lost = device.get().acquired.lost;
  trainer.dispose();
  await lost.catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
