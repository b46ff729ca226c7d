// C = op(A)·op(B) (+ bias per column) on the shared GEMM core. Linear layers use it as
// forward Y = X·Wᵀ + b, backward dX = dY·W and dW = dYᵀ·X.
import matmulWgsl from '../../shaders/matmul.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { Tensor, formatShape } from '../gpu/tensor.ts';
import { launchGemm, planSplitK } from './gemm.ts';
import { sumSplits } from './reduce.ts';

const op = { file: 'matmul.wgsl', code: matmulWgsl };

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** Added to every row: length N. */
  bias?: Tensor;
  out?: Tensor;
  /** Split-K factor; chosen from the shape when omitted. */
  splits?: number;
}

export async function matmul(gpu: Gpu, a: Tensor, b: Tensor, options: MatmulOptions = {}): Promise<Tensor> {
  const { transA = false, transB = false, bias } = options;
  if (a.shape.length !== 2) throw new Error(`matmul: A must be 2-D, got ${formatShape(a.shape)}`);
  if (b.shape.length !== 2) throw new Error(`matmul: B must be 2-D, got ${formatShape(b.shape)}`);
  const [M, K] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [KB, N] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (K !== KB) {
    throw new Error(`matmul: inner sizes differ: op(A) is ${M}x${K} (A ${formatShape(a.shape)}${transA ? 'ᵀ' : ''}), op(B) is ${KB}x${N} (B ${formatShape(b.shape)}${transB ? 'ᵀ' : ''})`);
  }
  if (bias && bias.size !== N) throw new Error(`matmul: bias ${formatShape(bias.shape)} must have ${N} values`);
  const out = options.out ?? gpu.empty([M, N]);
  if (out.size !== M * N) throw new Error(`matmul: out ${formatShape(out.shape)} must hold ${M}x${N}`);

  // The bias is added in the GEMM's store, so a biased product is never split.
  const split = planSplitK(gpu, M, N, K, bias ? 1 : options.splits);
  const target = split.splits > 1 ? gpu.empty([split.splits, M, N]) : out;
  await launchGemm(gpu, {
    op,
    M,
    N,
    K,
    split,
    consts: { TRANS_A: transA, TRANS_B: transB, BIAS: bias ? 1 : 0 },
    params: (kPerSplit) => packParams(M, N, K, kPerSplit),
    bindings: [a, b, bias ?? a, target],
  });
  if (split.splits > 1) {
    await sumSplits(gpu, target, split.splits, out);
    gpu.release(target);
  }
  return out;
}
