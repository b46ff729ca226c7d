import { describe, expect, it } from 'vitest';
import { packParams } from '../../src/gpu/gpu.ts';
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
