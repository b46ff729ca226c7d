// Softmax cross-entropy against probability targets (one-hot rows for hard labels, soft rows
// for label smoothing or mixing): the batch-mean loss, its gradient and the correct count.
import xentWgsl from '../../shaders/softmax_xent.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, sameShape, type Tensor } from '../gpu/tensor.ts';
import { grid1d } from './grid.ts';

const file = { file: 'softmax_xent.wgsl', code: xentWgsl };

export interface SoftmaxCrossEntropyResult {
  /** [1]: mean over the batch of −Σ_c t_c·log softmax(z)_c. */
  loss: Tensor;
  /** [B, C]: (softmax(z) − t) / B, the gradient of `loss` when target rows sum to 1. */
  dlogits: Tensor;
  /** [1] u32: rows whose argmax of the logits equals the argmax of the targets (first index on ties). */
  correct: Tensor;
}

function checkInputs(logits: Tensor, targets: Tensor): void {
  const op = 'softmaxCrossEntropy';
  if (logits.dtype !== 'f32' || logits.shape.length !== 2) {
    throw new Error(`${op}: logits must be f32 [B, C], got ${logits.dtype} ${formatShape(logits.shape)}`);
  }
  const [rows, classes] = logits.shape as [number, number];
  if (rows < 1 || classes < 2) throw new Error(`${op}: logits ${formatShape(logits.shape)} needs B ≥ 1 rows and C ≥ 2 classes`);
  if (targets.dtype !== 'f32' || !sameShape(targets.shape, logits.shape)) {
    throw new Error(`${op}: targets must be f32 ${formatShape(logits.shape)} like the logits, got ${targets.dtype} ${formatShape(targets.shape)}`);
  }
}

/** Records the loss, its gradient and the correct count for logits [B, C] and targets [B, C]. Caller releases all three. */
export async function softmaxCrossEntropy(gpu: Gpu, logits: Tensor, targets: Tensor): Promise<SoftmaxCrossEntropyResult> {
  checkInputs(logits, targets);
  const [rows, classes] = logits.shape as [number, number];
  const params = packParams(rows, classes);
  const rowLoss = gpu.empty([rows]);
  const rowCorrect = gpu.empty([rows], 'u32');
  const dlogits = gpu.empty([rows, classes]);
  const loss = gpu.empty([1]);
  const correct = gpu.empty([1], 'u32');
  await gpu.dispatch({ files: [file], entryPoint: 'xentRows' }, { rowLoss, rowCorrect, logits, targets, dlogits }, grid1d(gpu, rows, 1), params);
  await gpu.dispatch({ files: [file], entryPoint: 'xentBatch' }, { rowLoss, rowCorrect, loss, correct }, [1], params);
  gpu.release(rowLoss, rowCorrect);
  return { loss, dlogits, correct };
}
