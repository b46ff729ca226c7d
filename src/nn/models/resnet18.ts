// ResNet-18 of AugMax's Tiny-ImageNet experiments (ALGORITHMS.md §5.3; AugMax
// models/cifar10/resnet_DuBIN.py with init_stride=2, plain BatchNorm in place of DuBIN/dual
// BN): the CIFAR-style (kuangliu) network with a stride-2 3×3 stem and no max-pool, for
// 64×64 inputs. 11,271,432 parameters for 200 classes. Parameter names are kuangliu's
// state-dict keys. The reference sets no initialisation of its own, so every layer has
// PyTorch's default: U(±1/√fanIn) for convolution and linear weights and the linear bias,
// BN γ = 1 and β = 0.
import { ReLU } from '../activations.ts';
import { BatchNorm } from '../batchnorm.ts';
import { Conv2d } from '../conv2d.ts';
import { initContexts, uniformSymmetric, type InitContext } from '../init.ts';
import type { Layer } from '../layer.ts';
import { Linear } from '../linear.ts';
import { GlobalAvgPool } from '../pooling.ts';
import { Residual } from '../residual.ts';
import { Sequential } from '../sequential.ts';

export interface ResNet18Options {
  seed: number;
  classes?: number;
  inChannels?: number;
  /** Stride of the stem convolution: 2 for 64-pixel inputs, 1 for 32-pixel CIFAR. */
  stemStride?: number;
  /** Channels of the first stage, doubled at each of the next three (64 in ResNet-18). */
  width?: number;
}

type NextInit = () => (id: number) => InitContext;

/** PyTorch's Conv2d default (kaiming_uniform_ with a = √5): U(±1/√fanIn). */
function conv(name: string, inChannels: number, outChannels: number, kernel: number, stride: number, init: NextInit): Conv2d {
  const ctx = init();
  return new Conv2d(name, inChannels, outChannels, kernel, ctx, {
    stride,
    padding: (kernel - 1) / 2,
    bias: false,
    weightInit: (count, fanIn) => uniformSymmetric(ctx(0), count, 1 / Math.sqrt(fanIn)),
  });
}

/**
 * Post-activation block: out = ReLU(BN2(conv2(ReLU(BN1(conv1_s(x))))) + shortcut(x)), the
 * shortcut a 1×1 stride-s convolution with BN when the stride or width changes, else x.
 */
export function basicBlock(name: string, inChannels: number, outChannels: number, stride: number, init: NextInit): Layer {
  const main = new Sequential(
    [
      conv(`${name}.conv1`, inChannels, outChannels, 3, stride, init),
      new BatchNorm(`${name}.bn1`, outChannels, { relu: true }),
      conv(`${name}.conv2`, outChannels, outChannels, 3, 1, init),
      new BatchNorm(`${name}.bn2`, outChannels),
    ],
    `${name}.main`,
  );
  const projects = stride !== 1 || inChannels !== outChannels;
  const shortcut = projects
    ? new Sequential([conv(`${name}.shortcut.0`, inChannels, outChannels, 1, stride, init), new BatchNorm(`${name}.shortcut.1`, outChannels)], `${name}.shortcut`)
    : undefined;
  return new Sequential([new Residual(`${name}.join`, main, shortcut), new ReLU(`${name}.relu`)], name);
}

export function resnet18({ seed, classes = 200, inChannels = 3, stemStride = 2, width = 64 }: ResNet18Options): Sequential {
  let layer = 0;
  const init: NextInit = () => initContexts(seed, layer++);
  const layers: Layer[] = [conv('conv1', inChannels, width, 3, stemStride, init), new BatchNorm('bn1', width, { relu: true })];
  let channels = width;
  for (let stage = 1; stage <= 4; stage++) {
    const outChannels = width * 2 ** (stage - 1);
    for (let i = 0; i < 2; i++) {
      layers.push(basicBlock(`layer${stage}.${i}`, channels, outChannels, i === 0 && stage > 1 ? 2 : 1, init));
      channels = outChannels;
    }
  }
  // The reference's 4×4 average pool is the global one for 64-pixel inputs.
  layers.push(new GlobalAvgPool('pool'), new Linear('linear', channels, classes, init()));
  return new Sequential(layers, 'resnet18');
}
