// The AugMix kernel (shaders/augmix.wgsl): one workgroup per image applies the plan's chains
// to u8 pixels and mixes them, ((1 − m)·x + m·Σ w_i·chain_i(x)) / 255. The plan arrives packed
// (augmixEncoding.ts) in a tensor the caller wrote with the step's other uploads, so the
// dispatch adds nothing to the queue mid-step.
import augmixWgsl from '../../shaders/augmix.wgsl';
import { deviceSetting, packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import { autocontrastCorrections, checkImageSize, packPlan, planWords, type AugMixPlan } from './augmixEncoding.ts';
import { checkDistinct, checkTensor } from './checks.ts';
import { grid1d } from './grid.ts';

const files = [{ file: 'augmix.wgsl', code: augmixWgsl }];

const CORRECTIONS = deviceSetting('AugMix autocontrast corrections', (gpu) => {
  const table = autocontrastCorrections();
  return gpu.upload(table, [table.length], 'u32');
});

/** Workgroup memory of the kernel for one image: the image, the histogram and its prefix sums, a few scalars. */
function workgroupBytes(c: number, h: number, w: number): number {
  return (c * Math.ceil((h * w) / 4) + 256 + 256 + 8) * 4;
}

/** What the kernel needs to know of a packed plan: its batch, chains and image size. */
export type PlanShape = Pick<AugMixPlan, 'batch' | 'width' | 'imageSize'>;

/**
 * One AugMix view for a batch. images: u32 tensor of the batch's u8 pixels packed 4 per word,
 * little-endian, NCHW, B·C·H·W bytes (last word zero-padded); plan: u32 [planWords(shape)], the
 * packed plan. Returns f32 [B, C, H, W] in [0, 1].
 */
export async function augmixViewPacked(gpu: Gpu, images: Tensor, shape: readonly [number, number, number, number], plan: { words: Tensor } & PlanShape, out?: Tensor): Promise<Tensor> {
  const [batch] = shape;
  const [c, h, w] = checkImageSize('augmixView', 'shape[1..3]', shape.slice(1));
  if (shape.length !== 4 || batch !== plan.batch || c !== plan.imageSize[0] || h !== plan.imageSize[1] || w !== plan.imageSize[2]) {
    throw new Error(`augmixView: shape must be the plan's [${plan.batch}, ${plan.imageSize.join(', ')}], got ${formatShape(shape)}`);
  }
  checkTensor('augmixView', 'images', images, [Math.ceil((batch * c * h * w) / 4)], 'u32');
  checkTensor('augmixView', 'plan', plan.words, [planWords(plan)], 'u32');
  const y = out ?? gpu.empty(shape);
  checkTensor('augmixView', 'out', y, shape);
  checkDistinct('augmixView', { images, plan: plan.words, out: y });
  const needed = workgroupBytes(c, h, w);
  if (needed > gpu.limits.maxComputeWorkgroupStorageSize) {
    throw new Error(`augmixView: a ${c}x${h}x${w} image needs ${needed} bytes of workgroup memory, over this adapter's ${gpu.limits.maxComputeWorkgroupStorageSize}`);
  }
  const params = packParams(batch, plan.width, planWords(plan) / batch, 0);
  const bindings = { out: y, images, plan: plan.words, autocontrastFix: gpu.setting(CORRECTIONS) };
  await gpu.dispatch({ files, entryPoint: 'augmixView', consts: { C: c, H: h, W: w } }, bindings, grid1d(gpu, batch, 1), params);
  return y;
}

/** augmixViewPacked for a plan still on the CPU: uploads it (a queue write), for one-off views and tests. */
export async function augmixView(gpu: Gpu, images: Tensor, shape: readonly [number, number, number, number], plan: AugMixPlan, out?: Tensor): Promise<Tensor> {
  const packed = packPlan(plan);
  const words = gpu.upload(packed, [packed.length], 'u32');
  try {
    return await augmixViewPacked(gpu, images, shape, { words, batch: plan.batch, width: plan.width, imageSize: plan.imageSize }, out);
  } finally {
    // A later upload reusing this buffer submits this dispatch first (Gpu.write), so it can go back now.
    gpu.release(words);
  }
}
