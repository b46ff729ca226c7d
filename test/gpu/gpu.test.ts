import { describe, expect, it } from 'vitest';
import { deviceSetting, Gpu, packParams } from '../../src/gpu/gpu.ts';
import { specialize } from '../../src/gpu/specialize.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();

describe('buffer pool', () => {
  it('reuses released buffers of the same size, so repeated work allocates nothing new', () => {
    const before = gpu().pool.stats().buffers;
    for (let i = 0; i < 50; i++) {
      const a = gpu().empty([100]);
      const b = gpu().empty([7, 3]);
      gpu().release(a, b);
    }
    expect(gpu().pool.stats().buffers - before).toBe(2);
  });

  it('refuses a double release', () => {
    const t = gpu().empty([4]);
    gpu().release(t);
    expect(() => gpu().release(t)).toThrow(/released twice/);
  });

  it('round-trips data and views with offsets', async () => {
    const t = gpu().upload(Float32Array.from({ length: 128 }, (_, i) => i), [128]);
    expect(Array.from(await gpu().read(t)).slice(0, 3)).toEqual([0, 1, 2]);
    const { Tensor } = await import('../../src/gpu/tensor.ts');
    const view = new Tensor(t.buffer, [4], 'f32', 64);
    expect(Array.from(await gpu().read(view))).toEqual([64, 65, 66, 67]);
  });
});

describe('specialize', () => {
  const code = 'const TM: u32 = 4u;\nconst SCALE: f32 = 1.0;\nconst ON: bool = false;\n';
  it('rewrites top-level consts with typed literals', () => {
    const out = specialize(code, 'x.wgsl', { TM: 8, SCALE: 0.5, ON: true });
    expect(out).toContain('const TM: u32 = 8u;');
    expect(out).toContain('const SCALE: f32 = 0.5f;');
    expect(out).toContain('const ON: bool = true;');
  });
  it('names the shader and const when it cannot', () => {
    expect(() => specialize(code, 'x.wgsl', { MISSING: 1 })).toThrow(/x\.wgsl.*MISSING/);
    expect(() => specialize(code, 'x.wgsl', { TM: -1 })).toThrow(/TM is u32/);
    expect(() => specialize(code, 'x.wgsl', { ON: 1 })).toThrow(/ON is bool/);
  });
});

describe('packParams', () => {
  it('packs u32 and f32 slots, padded to 16 bytes', () => {
    const bytes = packParams(1, { f32: 0.5 }, 3);
    expect(bytes.byteLength).toBe(16);
    const view = new DataView(bytes);
    expect(view.getUint32(0, true)).toBe(1);
    expect(view.getFloat32(4, true)).toBe(0.5);
    expect(view.getUint32(8, true)).toBe(3);
    expect(() => packParams(-1)).toThrow(/slot 0/);
  });
});

// A kernel whose uniform block needs 32 bytes: given 16, its bind group is invalid.
const fill = {
  files: [{ file: 'fill.wgsl', code: `
struct Params { value: u32, count: u32, pad0: u32, pad1: u32, more: vec4<u32> }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < params.count) { out[id.x] = params.value + params.more.x; }
}` }],
  entryPoint: 'main',
};

describe('the dispatch contract', () => {
  it('makes a bind group once per (pipeline, buffers) and reuses it on every later dispatch', async () => {
    const out = gpu().empty([64], 'u32');
    const params = packParams(7, 64, 0, 0, 1, 0, 0, 0);
    const before = gpu().bindGroupsCreated;
    for (let i = 0; i < 5; i++) await gpu().dispatch(fill, { out }, [1], params);
    expect(gpu().bindGroupsCreated - before).toBe(1);
    expect(Array.from(await gpu().readU32(out)).every((v) => v === 8)).toBe(true);
    // Another buffer, or the same buffer through another view, is another bind group.
    const other = gpu().empty([64], 'u32');
    await gpu().dispatch(fill, { out: other }, [1], params);
    expect(gpu().bindGroupsCreated - before).toBe(2);
    gpu().release(out, other);
  });

  it('caches uniforms by their words: equal blocks share a buffer, a longer block with the same prefix does not', () => {
    const a = gpu().uniform(packParams(1, 2, 3, 4));
    expect(gpu().uniform(packParams(1, 2, 3, 4))).toBe(a);
    expect(gpu().uniform(packParams(1, 2, 3, 5))).not.toBe(a);
    expect(gpu().uniform(packParams(1, 2, 3, 4, 0))).not.toBe(a);
  });

  it('in debug mode, names the kernel whose dispatch fails, at that dispatch', async () => {
    const debug = new Gpu({ ...gpu().acquired, debug: true });
    const out = debug.empty([64], 'u32');
    await expect(debug.dispatch(fill, { out }, [1], packParams(7, 64))).rejects.toThrow(/^fill.wgsl:main: WebGPU error in this dispatch: /);
    // The device goes on working: a correct dispatch after it succeeds.
    await debug.dispatch(fill, { out }, [1], packParams(7, 64, 0, 0, 1, 0, 0, 0));
    expect((await debug.readU32(out))[0]).toBe(8);
    debug.release(out);
    debug.dispose();
  });
});

describe('device settings', () => {
  const tile = deviceSetting('test tile', (g) => ({ side: g.limits.maxComputeWorkgroupSizeX >= 16 ? 16 : 8 }));

  it('live on each Gpu: initial until configured, back to initial on undefined or reset', () => {
    const other = new Gpu(gpu().acquired);
    const initial = gpu().setting(tile);
    expect(gpu().setting(tile)).toBe(initial); // made once
    gpu().configure(tile, { side: 4 });
    expect(gpu().setting(tile)).toEqual({ side: 4 });
    expect(other.setting(tile)).toEqual(initial);
    gpu().configure(tile, undefined);
    expect(gpu().setting(tile)).toEqual(initial);
    gpu().configure(tile, { side: 2 });
    gpu().resetSettings();
    expect(gpu().setting(tile)).toEqual(initial);
    other.dispose();
  });
});
