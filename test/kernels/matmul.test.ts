import { describe, expect, it } from 'vitest';
import { fittedGemmConfig } from '../../src/kernels/gemm.ts';
import { gemmConfig, setGemmConfig } from '../../src/kernels/gemmConfig.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { matmul64 } from '../reference/matmul.ts';

const gpu = useGpu();

describe('matmul', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [17, 33, 9],
    [64, 64, 64],
    [130, 70, 257],
    [1, 1024, 10],
  ];
  for (const [M, K, N] of shapes)
    for (const transA of [false, true])
      for (const transB of [false, true])
        it(`${M}x${K}x${N} transA=${transA} transB=${transB}`, async () => {
          const rng = new TestRandom(M * 1000 + K * 10 + N);
          const a = rng.array(M * K);
          const b = rng.array(K * N);
          const A = gpu().upload(a, transA ? [K, M] : [M, K]);
          const B = gpu().upload(b, transB ? [N, K] : [K, N]);
          const C = await matmul(gpu(), A, B, { transA, transB });
          expectClose(await gpu().read(C), matmul64(a, b, M, K, N, transA, transB), FORWARD, 'C');
          gpu().release(A, B, C);
        });

  it('adds a bias per column', async () => {
    const rng = new TestRandom(3);
    const [M, K, N] = [9, 13, 11];
    const a = rng.array(M * K);
    const b = rng.array(N * K);
    const bias = rng.array(N);
    const expected = matmul64(a, b, M, K, N, false, true).map((v, i) => v + bias[i % N]!);
    const C = await matmul(gpu(), gpu().upload(a, [M, K]), gpu().upload(b, [N, K]), { transB: true, bias: gpu().upload(bias, [N]) });
    expectClose(await gpu().read(C), expected, FORWARD, 'C + bias');
  });

  it('split-K sums partial products to the same result', async () => {
    const rng = new TestRandom(4);
    const [M, K, N] = [20, 3001, 12];
    const a = rng.array(M * K);
    const b = rng.array(K * N);
    const A = gpu().upload(a, [K, M]);
    const B = gpu().upload(b, [K, N]);
    for (const splits of [1, 3, 7]) {
      const C = await matmul(gpu(), A, B, { transA: true, splits });
      expectClose(await gpu().read(C), matmul64(a, b, M, K, N, true, false), BACKWARD, `C with ${splits} splits`);
      gpu().release(C);
    }
  });

  it('multiplies a batch of matrices, each with its own operands, with and without split-K', async () => {
    const rng = new TestRandom(5);
    const [batches, M, K, N] = [5, 7, 600, 9];
    const a = rng.array(batches * M * K);
    const b = rng.array(batches * N * K);
    const A = gpu().upload(a, [batches, M, K]);
    const B = gpu().upload(b, [batches, N, K]);
    const expected = new Float64Array(batches * M * N);
    for (let i = 0; i < batches; i++) {
      expected.set(matmul64(a.subarray(i * M * K, (i + 1) * M * K), b.subarray(i * N * K, (i + 1) * N * K), M, K, N, false, true), i * M * N);
    }
    for (const splits of [1, 3]) {
      const C = await matmul(gpu(), A, B, { transB: true, splits });
      expect(C.shape).toEqual([batches, M, N]);
      expectClose(await gpu().read(C), expected, BACKWARD, `C with ${splits} splits`);
      gpu().release(C);
    }
    gpu().release(A, B);
  });

  it('rejects a batch of matrices against a single one, or batches of different lengths', async () => {
    const one = gpu().upload(new Float32Array(6), [2, 3]);
    const two = gpu().upload(new Float32Array(18), [3, 3, 2]);
    const three = gpu().upload(new Float32Array(12), [2, 3, 2]);
    await expect(matmul(gpu(), one, two)).rejects.toThrow(/A \[2, 3\] and B \[3, 3, 2\] must both be 2-D or both hold the same number of matrices/);
    await expect(matmul(gpu(), two, three)).rejects.toThrow(/same number of matrices/);
    await expect(matmul(gpu(), gpu().upload(new Float32Array(16), [2, 2, 2, 2]), one)).rejects.toThrow(/A must be 2-D or 3-D/);
  });

  it('rejects mismatched inner sizes with both shapes in the message', async () => {
    const A = gpu().upload(new Float32Array(6), [2, 3]);
    const B = gpu().upload(new Float32Array(8), [4, 2]);
    await expect(matmul(gpu(), A, B)).rejects.toThrow(/inner sizes differ.*\[2, 3\].*\[4, 2\]/);
  });
});

describe('fittedGemmConfig', () => {
  it('cuts the per-invocation block to a narrow product and leaves wide ones alone', () => {
    const saved = gemmConfig(gpu());
    const tile = { variant: 'gemmRegisters', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 } as const;
    setGemmConfig(gpu(), tile);
    try {
      expect(fittedGemmConfig(gpu(), 4096, 4096)).toEqual(tile);
      // A first conv layer's weight gradient (N = 9) and input gradient (M = 1).
      expect(fittedGemmConfig(gpu(), 32, 9)).toEqual({ ...tile, TN: 2 });
      expect(fittedGemmConfig(gpu(), 1, 86528)).toEqual({ ...tile, TM: 1 });
      expect(fittedGemmConfig(gpu(), 5, 17)).toEqual({ ...tile, TM: 8, TN: 4 });
    } finally {
      setGemmConfig(gpu(), saved);
    }
  });
});
