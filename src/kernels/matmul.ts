// C = op(A)·op(B) (+ bias per column) on the shared GEMM core. Linear layers use it as
// forward Y = X·Wᵀ + b, backward dX = dY·W and dW = dYᵀ·X. 3-D operands [batch, rows,
// cols] multiply matrix by matrix in one dispatch (the Winograd convolutions' 36 products).
import matmulWgsl from '../../shaders/matmul.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { Tensor, formatShape } from '../gpu/tensor.ts';
import { launchGemm, planSplitK } from './gemm.ts';
import { sumSplits } from './reduce.ts';

const files = [{ file: 'matmul.wgsl', code: matmulWgsl }];

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** Added to every row: length N. */
  bias?: Tensor;
  out?: Tensor;
  /** Split-K factor; chosen from the shape when omitted. */
  splits?: number;
}

/** [batches, rows, cols] of a 2-D (one matrix) or 3-D operand. */
function matricesOf(name: string, t: Tensor): [number, number, number] {
  if (t.shape.length === 2) return [1, t.shape[0]!, t.shape[1]!];
  if (t.shape.length === 3) return [t.shape[0]!, t.shape[1]!, t.shape[2]!];
  throw new Error(`matmul: ${name} must be 2-D or 3-D (a batch of matrices), got ${formatShape(t.shape)}`);
}

export async function matmul(gpu: Gpu, a: Tensor, b: Tensor, options: MatmulOptions = {}): Promise<Tensor> {
  const { transA = false, transB = false, bias } = options;
  const [batchesA, rowsA, colsA] = matricesOf('A', a);
  const [batchesB, rowsB, colsB] = matricesOf('B', b);
  if (a.shape.length !== b.shape.length || batchesA !== batchesB) {
    throw new Error(`matmul: A ${formatShape(a.shape)} and B ${formatShape(b.shape)} must both be 2-D or both hold the same number of matrices`);
  }
  const batched = a.shape.length === 3;
  const [M, K] = transA ? [colsA, rowsA] : [rowsA, colsA];
  const [KB, N] = transB ? [colsB, rowsB] : [rowsB, colsB];
  if (K !== KB) {
    throw new Error(`matmul: inner sizes differ: op(A) is ${M}x${K} (A ${formatShape(a.shape)}${transA ? 'ᵀ' : ''}), op(B) is ${KB}x${N} (B ${formatShape(b.shape)}${transB ? 'ᵀ' : ''})`);
  }
  if (bias && bias.size !== N) throw new Error(`matmul: bias ${formatShape(bias.shape)} must have ${N} values`);
  const shape = batched ? [batchesA, M, N] : [M, N];
  const out = options.out ?? gpu.empty(shape);
  if (out.size !== batchesA * M * N) throw new Error(`matmul: out ${formatShape(out.shape)} must hold ${formatShape(shape)}`);

  // The bias is added in the GEMM's store, so a biased product is never split.
  const split = planSplitK(gpu, M, N, K, bias ? 1 : options.splits, batchesA);
  const target = split.splits > 1 ? gpu.empty([split.splits, batchesA * M * N]) : out;
  await launchGemm(gpu, {
    files,
    M,
    N,
    K,
    split,
    batches: batchesA,
    consts: { TRANS_A: transA, TRANS_B: transB, BIAS: bias ? 1 : 0 },
    params: (kPerSplit) => packParams(M, N, K, kPerSplit, batchesA),
    bindings: { matA: a, matB: b, bias: bias ?? a, matC: target },
  });
  if (split.splits > 1) {
    await sumSplits(gpu, target, split.splits, out);
    gpu.release(target);
  }
  return out;
}
