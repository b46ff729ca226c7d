// The tfjs peer benchmark trains the models espgpu trains: parameter counts against
// ALGORITHMS.md §5.1 / §5.2, and one training step on tfjs's CPU backend checked against
// values known in closed form (the MNIST CNN's last layer starts at zero). No timing here.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPeerModel, countTrainableParameters } from '../../bench/peers/tfjsModels.ts';
import { createTrainStep, randomBatch, useBackend } from '../../bench/peers/tfjsStep.ts';

beforeAll(async () => {
  tf.enableProdMode();
  await useBackend('cpu');
});

describe('tfjs peer models', () => {
  it('the MNIST CNN has the 312,202 parameters of §5.1', () => {
    const model = buildPeerModel('mnist-cnn');
    expect(countTrainableParameters(model)).toBe(312_202);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    model.dispose();
  });

  it('WRN-40-2 has the 2,243,546 parameters of §5.2 for 10 classes and pools 8×8 to one pixel', () => {
    const model = buildPeerModel('wrn-40-2');
    expect(countTrainableParameters(model)).toBe(2_243_546);
    const pool = model.layers.find((layer) => layer.getClassName() === 'AveragePooling2D')!;
    expect(pool.outputShape).toEqual([null, 1, 1, 128]);
    model.dispose();
  });

  it('rejects an unknown model by name', () => {
    expect(() => buildPeerModel('resnet-18' as never)).toThrow(/model must be one of mnist-cnn, wrn-40-2; got "resnet-18"/);
  });
});

describe('tfjs peer training step (cpu backend, batch 4)', () => {
  it('starts at loss ln 10 and moves the zero-initialised bias by -lr·(1/C - class frequency)', async () => {
    const model = buildPeerModel('mnist-cnn');
    const { images, targets } = randomBatch('mnist-cnn', 4);
    const step = createTrainStep(model, 0.01, 0.9);

    // Zero last layer: every logit is 0, so softmax is uniform whatever dropout drew.
    const loss = await step(images, targets);
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(Math.log(10), 5);

    // The bias gradient is mean(softmax - target) = 1/10 - frequency; the first momentum step is -lr·gradient.
    const labels = [0, 7, 4, 1]; // randomBatch's labels: (i·7) mod 10
    const expectedBias = Array.from({ length: 10 }, (_, c) => -0.01 * (0.1 - labels.filter((l) => l === c).length / 4));
    const bias = model.layers.at(-1)!.getWeights()[1]!;
    const actual = Array.from(await bias.data());
    actual.forEach((value, c) => expect(value).toBeCloseTo(expectedBias[c]!, 7));
    tf.dispose([images, targets]);
    model.dispose();
  });
});
