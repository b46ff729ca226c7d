// Wide ResNet of AugMix's CIFAR experiments (ALGORITHMS.md §5.2; augmix
// third_party/WideResNet_pytorch/wideresnet.py): pre-activation basic blocks in three groups
// of (depth − 4)/6, widths 16·[1, k, 2k, 4k]. WRN-40-2 has 2,243,546 parameters for 10
// classes and 2,255,156 for 100. Parameter names are the reference's state-dict keys.
import { BatchNorm } from '../batchnorm.ts';
import { Conv2d } from '../conv2d.ts';
import { Dropout } from '../dropout.ts';
import { constant, initContexts, normal, type InitContext } from '../init.ts';
import type { Layer } from '../layer.ts';
import { Linear } from '../linear.ts';
import { GlobalAvgPool } from '../pooling.ts';
import { Residual } from '../residual.ts';
import { Sequential } from '../sequential.ts';

export interface WideResNetOptions {
  seed: number;
  classes?: number;
  /** 6n + 4. */
  depth?: number;
  widenFactor?: number;
  inChannels?: number;
  /** Dropout between a block's two convolutions; AugMix trains with 0. */
  dropRate?: number;
}

type NextInit = () => (id: number) => InitContext;

/** The reference's init for every convolution: N(0, 2/(k·k·out_channels)), fan-out mode. */
function conv(name: string, inChannels: number, outChannels: number, kernel: number, stride: number, init: NextInit): Conv2d {
  const ctx = init();
  return new Conv2d(name, inChannels, outChannels, kernel, ctx, {
    stride,
    padding: (kernel - 1) / 2,
    bias: false,
    weightInit: (count, _fanIn, fanOut) => normal(ctx(0), count, Math.sqrt(2 / fanOut)),
  });
}

/**
 * Pre-activation block. With in ≠ out both paths start from a = ReLU(BN1(x)): out =
 * conv2(ReLU(BN2(conv1(a)))) + conv1×1(a). With in = out the shortcut is x itself.
 */
export function wideBasicBlock(
  name: string,
  inChannels: number,
  outChannels: number,
  stride: number,
  init: NextInit,
  dropout?: { p: number; layerId: number },
): Layer {
  // Each ReLU(BN(·)) is one fused layer (batchnorm.wgsl's RELU).
  const preActivation = [new BatchNorm(`${name}.bn1`, inChannels, { relu: true })];
  const branch: Layer[] = [
    conv(`${name}.conv1`, inChannels, outChannels, 3, stride, init),
    new BatchNorm(`${name}.bn2`, outChannels, { relu: true }),
    ...(dropout && dropout.p > 0 ? [new Dropout(`${name}.dropout`, dropout.p, dropout.layerId)] : []),
    conv(`${name}.conv2`, outChannels, outChannels, 3, 1, init),
  ];
  if (inChannels === outChannels && stride === 1) {
    return new Residual(name, new Sequential([...preActivation, ...branch], `${name}.main`));
  }
  const shortcut = new Sequential([conv(`${name}.conv_shortcut`, inChannels, outChannels, 1, stride, init)], `${name}.shortcut`);
  return new Sequential([...preActivation, new Residual(`${name}.join`, new Sequential(branch, `${name}.main`), shortcut)], name);
}

export function wideResNet({ seed, classes = 10, depth = 40, widenFactor = 2, inChannels = 3, dropRate = 0 }: WideResNetOptions): Sequential {
  if (!Number.isInteger((depth - 4) / 6) || depth < 10) throw new Error(`wideResNet: depth must be 6n + 4 with n >= 1, got ${depth}`);
  const blocksPerGroup = (depth - 4) / 6;
  const widths = [16, 16 * widenFactor, 32 * widenFactor, 64 * widenFactor];
  let layer = 0;
  const init: NextInit = () => initContexts(seed, layer++);
  let dropoutId = 0;
  const layers: Layer[] = [conv('conv1', inChannels, widths[0]!, 3, 1, init)];
  for (let group = 1; group <= 3; group++) {
    for (let i = 0; i < blocksPerGroup; i++) {
      const inWidth = i === 0 ? widths[group - 1]! : widths[group]!;
      const stride = i === 0 && group > 1 ? 2 : 1;
      const dropout = { p: dropRate, layerId: dropoutId++ };
      layers.push(wideBasicBlock(`block${group}.layer.${i}`, inWidth, widths[group]!, stride, init, dropout));
    }
  }
  const fcInit = init();
  layers.push(
    new BatchNorm('bn1', widths[3]!, { relu: true }),
    // The reference's 8×8 average pool is the global one for 32-pixel inputs.
    new GlobalAvgPool('pool'),
    // Weight: PyTorch's default U(±1/√fanIn); bias zeroed by the reference.
    new Linear('fc', widths[3]!, classes, fcInit, { bias: (count) => constant(count, 0) }),
  );
  return new Sequential(layers, `wrn-${depth}-${widenFactor}`);
}

/** WRN-40-2 as AugMix trains it on CIFAR-10/100. */
export function wrn40x2({ seed, classes = 10, inChannels = 3 }: { seed: number; classes?: number; inChannels?: number }): Sequential {
  return wideResNet({ seed, classes, inChannels, depth: 40, widenFactor: 2, dropRate: 0 });
}
