// The MNIST CNN of Rony et al. 2019 ("SmallCNN", ALGORITHMS.md §5.1): 312,202 parameters
// for 1×28×28 inputs and 10 classes.
import { Conv2d } from '../conv2d.ts';
import { Dropout } from '../dropout.ts';
import { Flatten } from '../flatten.ts';
import { constant, initContexts } from '../init.ts';
import { Linear } from '../linear.ts';
import { ReLU } from '../activations.ts';
import { MaxPool2d } from '../pooling.ts';
import { Sequential } from '../sequential.ts';

export interface MnistCnnOptions {
  seed: number;
  inChannels?: number;
  classes?: number;
  dropout?: number;
}

export function mnistCnn({ seed, inChannels = 1, classes = 10, dropout = 0.5 }: MnistCnnOptions): Sequential {
  const init = (layer: number) => initContexts(seed, layer);
  return new Sequential([
    new Conv2d('conv1', inChannels, 32, 3, init(0)),
    new ReLU('relu1'),
    new Conv2d('conv2', 32, 32, 3, init(1)),
    new ReLU('relu2'),
    new MaxPool2d('pool1', { kernel: 2, stride: 2 }),
    new Conv2d('conv3', 32, 64, 3, init(2)),
    new ReLU('relu3'),
    new Conv2d('conv4', 64, 64, 3, init(3)),
    new ReLU('relu4'),
    new MaxPool2d('pool2', { kernel: 2, stride: 2 }),
    new Flatten('flatten'),
    new Linear('fc1', 64 * 4 * 4, 200, init(4)),
    new ReLU('relu5'),
    new Dropout('dropout', dropout, 0),
    new Linear('fc2', 200, 200, init(5)),
    new ReLU('relu6'),
    // The reference zeroes the last layer, so training starts from uniform predictions.
    new Linear('fc3', 200, classes, init(6), { weight: (n) => constant(n, 0), bias: (n) => constant(n, 0) }),
  ]);
}
