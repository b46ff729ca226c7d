import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { add } from '../../src/kernels/eltwise.ts';
import { cleanView, jensenShannonConsistency } from '../../src/kernels/jsd.ts';
import { softmaxCrossEntropy } from '../../src/kernels/softmax_xent.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { MIXTURE_MIN, jsdBackward, jsdForward, jsdMixture } from '../reference/jsd.ts';
import { softmaxXentBackward, softmaxXentForward } from '../reference/softmax_xent.ts';

const gpu = useGpu();

interface Outputs {
  loss: number;
  dlogits: Float32Array;
}

async function runJsd(z: Float32Array, samples: number, classes: number, weight?: number): Promise<Outputs> {
  const logits = gpu().upload(z, [3 * samples, classes]);
  const { loss, dlogits } = await jensenShannonConsistency(gpu(), logits, weight === undefined ? {} : { weight });
  const out = { loss: (await gpu().read(loss))[0]!, dlogits: await gpu().read(dlogits) };
  gpu().release(logits, loss, dlogits);
  return out;
}

/** Runs the GPU op on f32 logits and checks loss and dlogits against the float64 reference. */
async function expectMatchesReference(z: Float32Array, samples: number, classes: number, weight = 12): Promise<Outputs> {
  const got = await runJsd(z, samples, classes, weight);
  expectClose([got.loss], [jsdForward(z, samples, classes, weight)], FORWARD, 'loss');
  expectClose(got.dlogits, jsdBackward(z, samples, classes, weight), BACKWARD, 'dlogits');
  return got;
}

function randomLogits(seed: number, samples: number, classes: number, scale = 4): Float32Array {
  return Float32Array.from(new TestRandom(seed).array(3 * samples * classes, -scale, scale));
}

/** Exchanges the aug1 and aug2 blocks of a [3B, C] array. */
function swapAugViews(z: Float32Array, samples: number, classes: number): Float32Array {
  const block = samples * classes;
  const swapped = Float32Array.from(z);
  swapped.set(z.subarray(2 * block), block);
  swapped.set(z.subarray(block, 2 * block), 2 * block);
  return swapped;
}

describe('jensenShannonConsistency', () => {
  const shapes: [number, number][] = [
    [1, 2],
    [1, 10],
    [2, 2],
    [4, 10],
    [3, 100],
    [5, 130],
    [17, 7],
    [300, 10],
  ];
  for (const [samples, classes] of shapes)
    it(`B=${samples} C=${classes} matches the reference`, async () => {
      await expectMatchesReference(randomLogits(samples * 1000 + classes, samples, classes), samples, classes);
    });

  it('defaults the weight to 12', async () => {
    const z = randomLogits(12, 2, 5);
    const got = await runJsd(z, 2, 5);
    expectClose([got.loss], [jsdForward(z, 2, 5, 12)], FORWARD, 'loss');
  });

  it('stays finite and accurate for logits of ±80 and offsets of ±500 (the max is subtracted first)', async () => {
    const rng = new TestRandom(80);
    const [samples, classes] = [6, 12];
    const z = Float32Array.from({ length: 3 * samples * classes }, (_, i) => (Math.floor(i / classes) % 2 ? 500 : -500) + rng.uniform(-80, 80));
    expect(jsdMixture(z, samples, classes).some((m) => m < MIXTURE_MIN), 'some classes clamped').toBe(true);
    await expectMatchesReference(z, samples, classes);
  });

  it('gives 0 loss and 0 gradient for three identical views', async () => {
    const [samples, classes] = [4, 10];
    const clean = randomLogits(4, samples, classes).subarray(0, samples * classes);
    const z = Float32Array.from({ length: 3 * clean.length }, (_, i) => clean[i % clean.length]!);
    const got = await runJsd(z, samples, classes);
    expect(Math.abs(got.loss)).toBeLessThan(1e-5);
    expect(Math.max(...got.dlogits.map(Math.abs))).toBeLessThan(1e-5);
    // The same clean and aug1 views with another aug2 give a gradient far above that bound.
    const moved = Float32Array.from(z);
    moved.set(randomLogits(5, samples, classes).subarray(0, samples * classes), 2 * samples * classes);
    expect(Math.max(...(await runJsd(moved, samples, classes)).dlogits.map(Math.abs))).toBeGreaterThan(1e-2);
  });

  it('clamps M at 1e−7: identical views in the clamp region give the negative reference value', async () => {
    // p_tail ≈ 1e−7 / e for 2000 classes: JS ≈ −7.4e−5, far from the 0 an unclamped M gives.
    const classes = 2001;
    const clean = Float32Array.from({ length: classes }, (_, j) => (j === 0 ? 0 : Math.log(MIXTURE_MIN / Math.E)));
    const z = Float32Array.from({ length: 3 * classes }, (_, i) => clean[i % classes]!);
    const expected = jsdForward(z, 1, classes, 12);
    expect(expected).toBeLessThan(-8e-4);
    const got = await expectMatchesReference(z, 1, classes);
    expect(got.loss).toBeLessThan(-7e-4);
  });

  it('is symmetric under swapping the two augmented views', async () => {
    const [samples, classes] = [5, 9];
    const z = randomLogits(59, samples, classes);
    const original = await runJsd(z, samples, classes);
    const swapped = await runJsd(swapAugViews(z, samples, classes), samples, classes);
    expectClose([swapped.loss], [original.loss], FORWARD, 'loss');
    expectClose(swapped.dlogits, swapAugViews(original.dlogits, samples, classes), BACKWARD, 'dlogits');
  });

  it('reaches but does not pass weight · ln 3 for disjoint views', async () => {
    for (const [classes, peak] of [[3, 40], [10, 25]] as const) {
      // View v puts its mass on class v.
      const z = Float32Array.from({ length: 3 * classes }, (_, i) => (i % classes === Math.floor(i / classes) ? peak : 0));
      const { loss } = await expectMatchesReference(z, 1, classes);
      expect(loss).toBeLessThanOrEqual(12 * Math.log(3) * (1 + 1e-6));
      expect(loss).toBeGreaterThan(12 * Math.log(3) * (1 - 1e-5));
    }
  });

  it('scales loss and gradient linearly with the weight; weight 0 gives zeros', async () => {
    const [samples, classes] = [3, 6];
    const z = randomLogits(36, samples, classes);
    const full = await expectMatchesReference(z, samples, classes, 12);
    const quarter = await expectMatchesReference(z, samples, classes, 3);
    expectClose([quarter.loss], [full.loss / 4], FORWARD, 'loss');
    expectClose(quarter.dlogits, full.dlogits.map((g) => g / 4), BACKWARD, 'dlogits');
    const none = await runJsd(z, samples, classes, 0);
    expect(none.loss).toBe(0);
    expect(none.dlogits.every((g) => g === 0)).toBe(true);
  });

  it('gives the same loss bits on every run', async () => {
    const [samples, classes] = [100, 10];
    const logits = gpu().upload(randomLogits(100, samples, classes, 3), [3 * samples, classes]);
    const losses: number[] = [];
    for (let run = 0; run < 3; run++) {
      const { loss, dlogits } = await jensenShannonConsistency(gpu(), logits);
      losses.push((await gpu().read(loss))[0]!);
      gpu().release(loss, dlogits);
    }
    expect(new Set(losses).size).toBe(1);
    gpu().release(logits);
  });

  it('writes the gradient into out.dlogits when given', async () => {
    const [samples, classes] = [2, 4];
    const z = randomLogits(24, samples, classes);
    const logits = gpu().upload(z, [3 * samples, classes]);
    const target = gpu().upload(new Float32Array(3 * samples * classes).fill(7), [3 * samples, classes]);
    const { loss, dlogits } = await jensenShannonConsistency(gpu(), logits, { out: { dlogits: target } });
    expect(dlogits).toBe(target);
    expectClose(await gpu().read(target), jsdBackward(z, samples, classes, 12), BACKWARD, 'dlogits');
    gpu().release(logits, target, loss);
  });

  it('cleanView: cross-entropy on the clean rows plus 12·JS gives the AugMix gradient (§6.3)', async () => {
    const [samples, classes] = [3, 5];
    const z = randomLogits(35, samples, classes);
    const rng = new TestRandom(53);
    const targets = new Float32Array(samples * classes);
    for (let i = 0; i < samples; i++) targets[i * classes + rng.int(0, classes)] = 1;
    const logits = gpu().upload(z, [3 * samples, classes]);
    const targetTensor = gpu().upload(targets, [samples, classes]);

    const clean = cleanView(logits);
    expect(clean.shape).toEqual([samples, classes]);
    expect(clean.buffer).toBe(logits.buffer);
    const xent = await softmaxCrossEntropy(gpu(), clean, targetTensor);
    const jsd = await jensenShannonConsistency(gpu(), logits);
    const cleanGrad = cleanView(jsd.dlogits);
    await add(gpu(), cleanGrad, xent.dlogits, cleanGrad);

    const cleanZ = z.subarray(0, samples * classes);
    expectClose(await gpu().read(xent.loss), [softmaxXentForward(cleanZ, targets, samples, classes)], FORWARD, 'cross-entropy');
    const expected = jsdBackward(z, samples, classes, 12);
    softmaxXentBackward(cleanZ, targets, samples, classes).forEach((g, i) => (expected[i] = expected[i]! + g));
    expectClose(await gpu().read(jsd.dlogits), expected, BACKWARD, 'total dlogits');
    gpu().release(logits, targetTensor, xent.loss, xent.dlogits, xent.correct, jsd.loss, jsd.dlogits);
  });

  describe('rejects bad inputs, naming the argument', () => {
    // What follows the argument's name in the message, for jensenShannonConsistency and cleanView alike.
    const shapeCases: [string, number[], string][] = [
      ['1-D logits', [9], ' must be f32 \\[3B, C\\], got f32 \\[9\\]'],
      ['rows not a multiple of 3', [4, 10], ' \\[4, 10\\] needs 3B rows'],
      ['an empty batch', [0, 10], ' \\[0, 10\\] needs 3B rows \\(B ≥ 1'],
      ['one class', [3, 1], ' \\[3, 1\\] needs .* C ≥ 2 classes'],
    ];
    for (const [what, shape, message] of shapeCases)
      it(what, async () => {
        const logits = gpu().empty(shape);
        await expect(jensenShannonConsistency(gpu(), logits)).rejects.toThrow(new RegExp(`jensenShannonConsistency: logits${message}`));
        expect(() => cleanView(logits)).toThrow(new RegExp(`cleanView: tensor${message}`));
        gpu().release(logits);
      });

    it('u32 logits', async () => {
      const logits: Tensor = gpu().empty([3, 4], 'u32');
      await expect(jensenShannonConsistency(gpu(), logits)).rejects.toThrow(/logits must be f32 \[3B, C\], got u32 \[3, 4\]/);
      gpu().release(logits);
    });

    for (const weight of [Number.NaN, -1, Number.POSITIVE_INFINITY])
      it(`weight ${weight}`, async () => {
        const logits = gpu().empty([3, 4]);
        await expect(jensenShannonConsistency(gpu(), logits, { weight })).rejects.toThrow(`weight must be finite and ≥ 0, got ${weight}`);
        gpu().release(logits);
      });

    it('out.dlogits of another shape, or the logits themselves', async () => {
      const logits = gpu().empty([6, 4]);
      const wrong = gpu().empty([6, 5]);
      await expect(jensenShannonConsistency(gpu(), logits, { out: { dlogits: wrong } })).rejects.toThrow(/out.dlogits must be f32 \[6, 4\], got f32 \[6, 5\]/);
      await expect(jensenShannonConsistency(gpu(), logits, { out: { dlogits: logits } })).rejects.toThrow(/out.dlogits must not share its buffer with logits/);
      gpu().release(logits, wrong);
    });
  });
});
