// One device per test file: acquired in beforeAll (Dawn aborts when asked inside a test
// body on some pools) and destroyed afterwards so the worker process can exit.
import { afterAll, beforeAll } from 'vitest';
import { acquireDevice, type AcquiredDevice } from '../../src/device/device.ts';
import { Gpu } from '../../src/gpu/gpu.ts';

export function useGpu(): () => Gpu {
  let gpu: Gpu | undefined;
  let esp: AcquiredDevice | undefined;
  beforeAll(async () => {
    esp = await acquireDevice();
    gpu = new Gpu(esp);
  });
  afterAll(async () => {
    gpu?.dispose();
    esp?.dispose();
    // As the CLI does (cli/shared.ts withGpu): let Dawn finish tearing the device down before
    // the worker may exit, which otherwise crashes it now and then in Dawn's threads.
    await esp?.lost.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
  });
  return () => {
    if (!gpu) throw new Error('GPU not acquired yet: call the getter inside a test');
    return gpu;
  };
}
