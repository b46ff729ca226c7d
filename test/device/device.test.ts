import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/device/device.ts';
import { Gpu } from '../../src/gpu/gpu.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();

describe('device', () => {
  it('describes the adapter and flags software adapters', () => {
    const { adapter } = gpu().acquired;
    expect(adapter.runtime).toBe('node');
    expect(typeof adapter.description).toBe('string');
    const text = `${adapter.vendor} ${adapter.description}`.toLowerCase();
    expect(adapter.isSoftware).toBe(/llvmpipe|lavapipe|swiftshader/.test(text) || adapter.isSoftware);
  });

  it('requests more than the default limits where the adapter offers them', () => {
    const { limits } = gpu().acquired;
    // WebGPU's defaults: 8 storage buffers, 256 invocations, 16 KiB workgroup memory.
    expect(limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    expect(limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(gpu().device.limits.maxStorageBuffersPerShaderStage).toBe(limits.maxStorageBuffersPerShaderStage);
  });

  it('reports WGSL compile errors with the file name and line', async () => {
    const source = {
      files: [
        { file: 'first.wgsl', code: 'fn ok() -> f32 { return 1.0; }\n' },
        { file: 'broken.wgsl', code: '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefinedThing;\n}' },
      ],
      entryPoint: 'main',
    };
    await expect(gpu().dispatch(source, {}, [1])).rejects.toThrow(/broken\.wgsl:3:\d+: .*undefinedThing/);
    // The error stays that kernel's: caught in its scope, it does not fail the device for every later read.
    const t = gpu().upload([1, 2, 3], [3]);
    expect(Array.from(await gpu().read(t))).toEqual([1, 2, 3]);
    gpu().release(t);
  });

  it('rejects an adapter name that matches nothing, naming it', async () => {
    await expect(acquireDevice({ adapter: 'no-such-adapter-xyz' })).rejects.toThrow(/no-such-adapter-xyz/);
  });

  it('turns device loss into a rejected read', async () => {
    const esp = await acquireDevice();
    const other = new Gpu(esp);
    const t = other.upload([1, 2, 3], [3]);
    esp.device.destroy();
    await expect(other.read(t)).rejects.toThrow(/lost|destroyed|invalid/i);
    other.dispose();
    esp.dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
  });
});
