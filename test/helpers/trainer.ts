// A trainer over one in-process device for a describe block, and a temporary folder for what it
// writes: both made before its tests and removed after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { WorkerDevice } from '../../src/worker/opsApi.ts';
import { createTrainerApi, type TrainerApi } from '../../src/worker/trainerApi.ts';

export function useTrainer(folderPrefix: string): { trainer: () => TrainerApi; dir: string } {
  let trainer: TrainerApi | undefined;
  const dir = mkdtempSync(join(tmpdir(), folderPrefix));
  beforeAll(async () => {
    trainer = createTrainerApi(new WorkerDevice());
    await trainer.init();
  });
  afterAll(() => {
    trainer?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  return { trainer: () => trainer!, dir };
}
