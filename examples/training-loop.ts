// The training loop written out: ESP on top of AugMix on the GPU, one step at a time.
import { acquireDevice, AugmentationPipeline, Classifier, embeddedDataset, Gpu, imageBytes, labelsAt, mnistCnn, shuffledIndices } from 'espgpu';

const train = embeddedDataset('train');
const device = await acquireDevice();
const gpu = new Gpu(device);
const batch = 32;
const classifier = new Classifier(gpu, mnistCnn({ seed: 0 }), 0, { momentum: 0.9, nesterov: false, weightDecay: 0, schedule: () => 0.05 });
const pipeline = await AugmentationPipeline.create(gpu, { image: [1, 28, 28], classes: 10, batch, seed: 0 },
  { method: 'augmix+esp', esp: { epsilon: 1.5, gamma: 10 } });
const order = shuffledIndices(train.shape[0], 0, 0); // the first epoch's order, from (seed, epoch)

for (let step = 0; step < 20; step++) {
  const indices = order.subarray(step * batch, (step + 1) * batch);
  const augmented = await pipeline.augment(step, imageBytes(train, indices), labelsAt(train, indices)); // u8 NCHW bytes, labels
  const result = await classifier.trainStep(step, augmented.x, augmented.targets, { consistency: augmented.consistency });
  // Reading waits for the GPU, so read only now and then; a result is released at the next step.
  if (step % 5 === 4) console.log(`step ${step + 1}: loss ${(await result.loss()).toFixed(3)}, batch accuracy ${await result.accuracy()}`);
}

const { error } = await classifier.evaluate(embeddedDataset('test'));
console.log(`clean error ${error.toFixed(2)}%`);
pipeline.dispose();
classifier.dispose();
gpu.dispose();
device.dispose();
