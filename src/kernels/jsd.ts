// AugMix's Jensen–Shannon consistency loss over the logits of a clean view and two AugMix views
// of each sample (ALGORITHMS.md §6.3): the weighted batch-mean loss and its gradient.
import jsdWgsl from '../../shaders/jsd.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { Tensor, formatShape } from '../gpu/tensor.ts';
import { checkDistinct, checkTensor } from './checks.ts';
import { grid1d } from './grid.ts';

const file = { file: 'jsd.wgsl', code: jsdWgsl };
const op = 'jensenShannonConsistency';

export interface JensenShannonResult {
  /** [1]: weight · mean over the batch of JS(p_clean, p_aug1, p_aug2) (ALGORITHMS §6.3: M clamped to [1e-7, 1], KL terms with p = 0 contribute 0). */
  loss: Tensor;
  /** [3B, C]: gradient of `loss` w.r.t. the logits. */
  dlogits: Tensor;
}

export interface JensenShannonOptions {
  /** λ of §6.3, finite and ≥ 0 (default 12). */
  weight?: number;
  /** Where to write the gradient (f32 [3B, C], not the logits' buffer); a new tensor otherwise. */
  out?: { dlogits?: Tensor };
}

/** [3B, C] → [B, C], checking what the kernel needs. */
function samplesAndClasses(name: string, argument: string, t: Tensor): [number, number] {
  if (t.dtype !== 'f32' || t.shape.length !== 2) {
    throw new Error(`${name}: ${argument} must be f32 [3B, C], got ${t.dtype} ${formatShape(t.shape)}`);
  }
  const [rows, classes] = t.shape as [number, number];
  if (rows < 3 || rows % 3 !== 0 || classes < 2) {
    throw new Error(`${name}: ${argument} ${formatShape(t.shape)} needs 3B rows (B ≥ 1: clean, aug1, aug2 blocks) and C ≥ 2 classes`);
  }
  return [rows / 3, classes];
}

/** logits [3B, C]: rows 0..B-1 the clean view, B..2B-1 the first AugMix view, 2B..3B-1 the second. weight defaults to 12. */
export async function jensenShannonConsistency(gpu: Gpu, logits: Tensor, options: JensenShannonOptions = {}): Promise<JensenShannonResult> {
  const [samples, classes] = samplesAndClasses(op, 'logits', logits);
  const weight = options.weight ?? 12;
  if (!(Number.isFinite(weight) && weight >= 0)) throw new Error(`${op}: weight must be finite and ≥ 0, got ${weight}`);
  const dlogits = options.out?.dlogits ?? gpu.empty(logits.shape);
  checkTensor(op, 'out.dlogits', dlogits, logits.shape);
  checkDistinct(op, { logits, 'out.dlogits': dlogits });

  const params = packParams(samples, classes, { f32: weight });
  const sampleJs = gpu.empty([samples]);
  const loss = gpu.empty([1]);
  await gpu.dispatch({ files: [file], entryPoint: 'jsdRows' }, { sampleJs, logits, dlogits }, grid1d(gpu, samples, 1), params);
  await gpu.dispatch({ files: [file], entryPoint: 'jsdBatch' }, { sampleJs, loss }, [1], params);
  gpu.release(sampleJs);
  return { loss, dlogits };
}

/**
 * The clean view's rows of a [3B, C] tensor (logits or their gradient) as a [B, C] view on the
 * same buffer and offset, so it binds wherever the whole tensor does. The trainer runs the
 * cross-entropy on the clean view only (§6.3) and adds its gradient into this view of the JSD
 * gradient. A view: never release it, release the tensor it came from.
 */
export function cleanView(tensor: Tensor): Tensor {
  const [samples, classes] = samplesAndClasses('cleanView', 'tensor', tensor);
  return new Tensor(tensor.buffer, [samples, classes], tensor.dtype, tensor.offset);
}
