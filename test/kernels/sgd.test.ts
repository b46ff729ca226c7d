import { describe, expect, it } from 'vitest';
import { sgdStep, type SgdStepOptions } from '../../src/kernels/sgd.ts';
import { FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { sgdStep64, type SgdReferenceOptions } from '../reference/sgd.ts';

const gpu = useGpu();

const LRS = [0.1, 0.05, 0.3, 0.01, 0.2];

const configurations: Record<string, Omit<SgdReferenceOptions, 'lr'>> = {
  plain: { momentum: 0, nesterov: false, weightDecay: 0 },
  momentum: { momentum: 0.9, nesterov: false, weightDecay: 0 },
  nesterov: { momentum: 0.9, nesterov: true, weightDecay: 0 },
  // Larger than the recipes' 5e-4 so that the decay term is well above the tolerance.
  'weight decay': { momentum: 0, nesterov: false, weightDecay: 0.05 },
  'all combined': { momentum: 0.9, nesterov: true, weightDecay: 0.05 },
};

describe('sgd reference', () => {
  it('reproduces a hand-worked PyTorch update (Nesterov, weight decay, two steps)', () => {
    const p = Float64Array.of(1);
    const buf = Float64Array.of(0);
    const options = { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 };
    sgdStep64(p, [0.5], buf, options); // g = 0.6, buf = 0.6, update = 0.6 + 0.54
    expect(p[0]).toBeCloseTo(0.886, 14);
    sgdStep64(p, [0.5], buf, options); // g = 0.5886, buf = 1.1286, update = 0.5886 + 1.01574
    expect(buf[0]).toBeCloseTo(1.1286, 14);
    expect(p[0]).toBeCloseTo(0.725566, 14);
  });
});

describe('sgdStep', () => {
  for (const [name, config] of Object.entries(configurations))
    for (const size of [1, 3, 1031])
      it(`${name}, ${size} values: ${LRS.length} steps with a changing lr match the reference`, async () => {
        const rng = new TestRandom(size * 7 + name.length);
        const initial = Float32Array.from(rng.array(size));
        const params = gpu().upload(initial, [size]);
        const grads = gpu().empty([size]);
        const momentum = gpu().upload(new Float32Array(size), [size]);
        const p64 = Float64Array.from(initial);
        const buf64 = new Float64Array(size);
        for (const lr of LRS) {
          const grad = Float32Array.from(rng.array(size));
          gpu().write(grads, grad);
          await sgdStep(gpu(), params, grads, momentum, { lr, ...config });
          sgdStep64(p64, grad, buf64, { lr, ...config });
        }
        expectClose(await gpu().read(params), p64, FORWARD, 'params');
        expectClose(await gpu().read(momentum), buf64, FORWARD, 'momentum buffer');
        gpu().release(params, grads, momentum);
      });

  it('keeps each recorded step its own lr when several steps share one command buffer', async () => {
    const size = 17;
    const rng = new TestRandom(17);
    const initial = Float32Array.from(rng.array(size));
    const grad = Float32Array.from(rng.array(size));
    const params = gpu().upload(initial, [size]);
    const grads = gpu().upload(grad, [size]);
    const momentum = gpu().upload(new Float32Array(size), [size]);
    const p64 = Float64Array.from(initial);
    const buf64 = new Float64Array(size);
    for (const lr of LRS) {
      const options = { lr, momentum: 0.5, nesterov: false, weightDecay: 0.01 };
      await sgdStep(gpu(), params, grads, momentum, options);
      sgdStep64(p64, grad, buf64, options);
    }
    expectClose(await gpu().read(params), p64, FORWARD, 'params');
    gpu().release(params, grads, momentum);
  });

  it('a new lr every step adds no uniform or pooled buffers', async () => {
    const size = 300;
    const params = gpu().upload(new Float32Array(size).fill(1), [size]);
    const grads = gpu().upload(new Float32Array(size).fill(0.5), [size]);
    const momentum = gpu().upload(new Float32Array(size), [size]);
    const step = async (lr: number) => {
      await sgdStep(gpu(), params, grads, momentum, { lr, momentum: 0.9 });
      gpu().submit();
    };
    await step(1e-3);
    const before = gpu().stats();
    for (let i = 0; i < 50; i++) await step(1e-3 * (i + 2));
    await gpu().sync();
    const after = gpu().stats();
    expect(after.uniforms).toBe(before.uniforms);
    expect(after.buffers).toBe(before.buffers);
    expect(after.inUse).toBe(before.inUse);
    gpu().release(params, grads, momentum);
  });

  describe('rejects bad arguments with a clear message', () => {
    const cases: [string, Partial<SgdStepOptions>, RegExp][] = [
      ['nesterov without momentum', { nesterov: true }, /nesterov needs momentum > 0/],
      ['a negative lr', { lr: -0.1 }, /lr must be a finite number ≥ 0, got -0.1/],
      ['a NaN lr', { lr: NaN }, /lr must be a finite number ≥ 0, got NaN/],
      ['a negative weight decay', { weightDecay: -1e-4 }, /weightDecay must be a finite number ≥ 0, got -0.0001/],
      ['a negative momentum', { momentum: -0.9 }, /momentum must be a finite number ≥ 0, got -0.9/],
    ];
    for (const [what, options, message] of cases)
      it(what, async () => {
        const [p, g, m] = [gpu().empty([8]), gpu().empty([8]), gpu().empty([8])];
        await expect(sgdStep(gpu(), p, g, m, { lr: 0.1, ...options })).rejects.toThrow(message);
        gpu().release(p, g, m);
      });

    it('buffers of different lengths', async () => {
      const [p, g, m] = [gpu().empty([8]), gpu().empty([7]), gpu().empty([8])];
      await expect(sgdStep(gpu(), p, g, m, { lr: 0.1 })).rejects.toThrow(/grads must be f32 with 8 values like params \[8\], got f32 \[7\]/);
      await expect(sgdStep(gpu(), p, m, g, { lr: 0.1 })).rejects.toThrow(/momentumBuffer must be f32 with 8 values.*got f32 \[7\]/);
      gpu().release(p, g, m);
    });

    it('one buffer passed twice', async () => {
      const [p, m] = [gpu().empty([8]), gpu().empty([8])];
      await expect(sgdStep(gpu(), p, p, m, { lr: 0.1 })).rejects.toThrow(/grads must not share its buffer with params/);
      gpu().release(p, m);
    });
  });
});
