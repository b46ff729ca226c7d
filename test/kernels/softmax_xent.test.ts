import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { softmaxCrossEntropy } from '../../src/kernels/softmax_xent.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { softmaxXentBackward, softmaxXentCorrect, softmaxXentForward } from '../reference/softmax_xent.ts';

const gpu = useGpu();

/** Odd rows get one-hot targets, even rows soft ones (normalised random weights). */
function mixedTargets(rng: TestRandom, rows: number, classes: number): Float32Array {
  const t = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const row = t.subarray(r * classes, (r + 1) * classes);
    if (r % 2 === 1) row[rng.int(0, classes)] = 1;
    else {
      const weights = rng.array(classes, 0.01, 1);
      const sum = weights.reduce((s, v) => s + v, 0);
      weights.forEach((w, c) => (row[c] = w / sum));
    }
  }
  return t;
}

/** Runs the GPU op on f32 data and checks loss, dlogits and correct against the float64 reference. */
async function expectMatchesReference(z: Float32Array, t: Float32Array, rows: number, classes: number): Promise<void> {
  const logits = gpu().upload(z, [rows, classes]);
  const targets = gpu().upload(t, [rows, classes]);
  const { loss, dlogits, correct } = await softmaxCrossEntropy(gpu(), logits, targets);
  const got = { loss: await gpu().read(loss), dlogits: await gpu().read(dlogits), correct: await gpu().readU32(correct) };
  gpu().release(logits, targets, loss, dlogits, correct);
  expectClose(got.loss, [softmaxXentForward(z, t, rows, classes)], FORWARD, 'loss');
  expectClose(got.dlogits, softmaxXentBackward(z, t, rows, classes), BACKWARD, 'dlogits');
  expect(got.correct[0], 'correct').toBe(softmaxXentCorrect(z, t, rows, classes));
}

describe('softmaxCrossEntropy', () => {
  const shapes: [number, number][] = [
    [1, 2],
    [1, 10],
    [2, 2],
    [7, 10],
    [5, 3],
    [33, 200],
    [3, 130],
    [64, 10],
    [301, 7],
  ];
  for (const [rows, classes] of shapes)
    it(`B=${rows} C=${classes} matches the reference`, async () => {
      const rng = new TestRandom(rows * 1000 + classes);
      const z = Float32Array.from(rng.array(rows * classes, -4, 4));
      await expectMatchesReference(z, mixedTargets(rng, rows, classes), rows, classes);
    });

  it('stays finite and accurate for logits of ±80', async () => {
    const rng = new TestRandom(80);
    const [rows, classes] = [9, 12];
    const z = Float32Array.from({ length: rows * classes }, () => (rng.next() < 0.5 ? -80 : 80) + rng.uniform(-1, 1));
    const t = mixedTargets(rng, rows, classes);
    await expectMatchesReference(z, t, rows, classes);
  });

  it('survives logits past the f32 range of exp (±500): the max is subtracted first', async () => {
    const rng = new TestRandom(500);
    const [rows, classes] = [6, 10];
    const z = Float32Array.from({ length: rows * classes }, () => rng.uniform(-500, 500));
    await expectMatchesReference(z, mixedTargets(rng, rows, classes), rows, classes);
  });

  it('counts ties by the first index, for logits and targets alike', async () => {
    const z = Float32Array.from([1, 3, 3, 0, 0, 0, 5, 1, 5, 2, 2, 1]);
    const t = Float32Array.from([0, 1, 0, 0.5, 0.5, 0, 0, 0, 1, 0, 0.4, 0.6]);
    // Rows: argmax 1 vs 1 (hit), 0 vs 0 (hit), 0 vs 2 (miss), 0 vs 2 (miss).
    await expectMatchesReference(z, t, 4, 3);
    expect(softmaxXentCorrect(z, t, 4, 3)).toBe(2);
  });

  it('gives the same loss bits on every run', async () => {
    const rng = new TestRandom(5);
    const [rows, classes] = [100, 10];
    const logits = gpu().upload(Float32Array.from(rng.array(rows * classes, -3, 3)), [rows, classes]);
    const targets = gpu().upload(mixedTargets(rng, rows, classes), [rows, classes]);
    const losses: number[] = [];
    for (let run = 0; run < 3; run++) {
      const { loss, dlogits, correct } = await softmaxCrossEntropy(gpu(), logits, targets);
      losses.push((await gpu().read(loss))[0]!);
      gpu().release(loss, dlogits, correct);
    }
    expect(new Set(losses).size).toBe(1);
    gpu().release(logits, targets);
  });

  describe('rejects bad inputs with the shapes in the message', () => {
    const cases: [string, number[], number[], RegExp][] = [
      ['1-D logits', [10], [10], /logits must be f32 \[B, C\], got f32 \[10\]/],
      ['one class', [4, 1], [4, 1], /\[4, 1\] needs B ≥ 1 rows and C ≥ 2 classes/],
      ['an empty batch', [0, 10], [0, 10], /\[0, 10\] needs B ≥ 1 rows/],
      ['targets of another shape', [4, 10], [4, 9], /targets must be f32 \[4, 10\] like the logits, got f32 \[4, 9\]/],
    ];
    for (const [what, logitShape, targetShape, message] of cases)
      it(what, async () => {
        const logits = gpu().empty(logitShape);
        const targets = gpu().empty(targetShape);
        await expect(softmaxCrossEntropy(gpu(), logits, targets)).rejects.toThrow(message);
        gpu().release(logits, targets);
      });

    it('u32 targets', async () => {
      const logits = gpu().empty([2, 3]);
      const targets: Tensor = gpu().empty([2, 3], 'u32');
      await expect(softmaxCrossEntropy(gpu(), logits, targets)).rejects.toThrow(/targets must be f32 \[2, 3\].*got u32 \[2, 3\]/);
      gpu().release(logits, targets);
    });
  });
});
