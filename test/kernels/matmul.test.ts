import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fittedGemmConfig } from '../../src/kernels/gemm.ts';
import { defaultGemmConfig, gemmConfig, setGemmConfig, validateGemmConfig, type GemmConfig } from '../../src/kernels/gemmConfig.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { matmul64 } from '../reference/matmul.ts';

const gpu = useGpu();

/** Products against the float64 reference, on whichever GEMM tile is set. */
function productCases(): void {
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

}

describe('matmul', () => {
  productCases();

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

describe('matmul on the plain register tile (one row of 8 lanes)', () => {
  beforeAll(() => setGemmConfig(gpu(), { variant: 'gemmRegisters', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 }));
  afterAll(() => setGemmConfig(gpu(), defaultGemmConfig(gpu())));
  productCases();
});

/** A row of lanes that is one subgroup, two rows a lane: what the shuffle variant needs. */
function shuffleTile(): GemmConfig {
  const lanes = gpu().acquired.adapter.subgroupSize ?? 8;
  return { variant: 'gemmRegistersShuffle', WG_M: 1, WG_N: lanes, TM: 2 * lanes, TN: 8, TK: 8 };
}

const shuffleUnfit = (): string | undefined => {
  try {
    validateGemmConfig(gpu(), shuffleTile());
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('matmul on the subgroup-shuffle tile', () => {
  beforeAll(() => {
    if (!shuffleUnfit()) setGemmConfig(gpu(), shuffleTile());
  });
  afterAll(() => setGemmConfig(gpu(), defaultGemmConfig(gpu())));

  it('runs on lavapipe (one fixed subgroup of 8), and is refused with a reason where it cannot run', () => {
    const adapter = gpu().acquired.adapter;
    if (/llvmpipe/.test(adapter.description)) expect(shuffleUnfit()).toBeUndefined();
    if (!gpu().acquired.features.has('subgroups')) expect(shuffleUnfit()).toMatch(/needs the device feature "subgroups"/);
    if (shuffleUnfit() === undefined) expect(gemmConfig(gpu())).toEqual(shuffleTile());
  });

  // Where the adapter cannot run it, the cases run on the default tile; the test above says why.
  productCases();
});

describe('gemmRegistersShuffle config checks', () => {
  it('refuses a row of lanes that is not one subgroup, or a block not a whole number of rows a lane', () => {
    const tile = shuffleTile();
    const lanes = tile.WG_N;
    const refused = (c: GemmConfig) => () => validateGemmConfig(gpu(), c);
    if (shuffleUnfit()) {
      expect(refused(tile)).toThrow(/gemmRegistersShuffle needs/);
      return;
    }
    expect(refused({ ...tile, WG_M: 2 })).toThrow(`needs WG_M = 1 and WG_N = the subgroup size ${lanes}, got 2x${lanes}`);
    expect(refused({ ...tile, WG_N: 2 * lanes })).toThrow(`got 1x${2 * lanes}`);
    expect(refused({ ...tile, TM: lanes + 1 })).toThrow(`TM a multiple of the subgroup size ${lanes}, got ${lanes + 1}`);
  });

  it('a product too short for one row a lane runs the plain register variant', () => {
    if (shuffleUnfit()) return expect(shuffleUnfit()).toBeDefined();
    const saved = gemmConfig(gpu());
    const lanes = shuffleTile().WG_N;
    setGemmConfig(gpu(), shuffleTile());
    try {
      expect(fittedGemmConfig(gpu(), 4096, 4096)).toEqual(shuffleTile());
      expect(fittedGemmConfig(gpu(), lanes, 4096)).toMatchObject({ variant: 'gemmRegistersShuffle', TM: lanes });
      expect(fittedGemmConfig(gpu(), lanes / 2, 4096)).toMatchObject({ variant: 'gemmRegisters', TM: lanes / 2 });
    } finally {
      setGemmConfig(gpu(), saved);
    }
  });
});
