// Train the MNIST CNN with ESP on the Fashion-MNIST subset that ships with espgpu, measure its
// clean error, classify a few images, and save the weights as safetensors.
import { writeFile } from 'node:fs/promises';
import { acquireDevice, createModel, embeddedDataset, Gpu, preset, saveWeights, Trainer } from 'espgpu';

const train = embeddedDataset('train'); // 3,000 images, 1×28×28 bytes, 10 classes
const test = embeddedDataset('test'); // 1,000 images

const device = await acquireDevice(); // Dawn (the webgpu package) in Node, navigator.gpu in a browser
const gpu = new Gpu(device);
const recipe = preset('mnist', { epochs: 1, batchSize: 32, sgd: { lr: 0.05 }, augmentation: { method: 'esp', esp: { epsilon: 1.5, gamma: 10 } } });
const trainer = new Trainer(gpu, { ...recipe, model: (seed) => createModel(recipe.modelName, { seed }), dataset: train, seed: 0 });
trainer.on('step', (e) => console.log(`step ${e.step + 1}/${e.totalSteps}  loss ${e.loss.toFixed(3)}`));
await trainer.run();

const { classifier } = trainer;
const { error, count } = await classifier.evaluate(test);
console.log(`clean error ${error.toFixed(2)}% on ${count} test images`);

const probabilities = await classifier.predictImages(test.images.subarray(0, 4 * 784), [4, 1, 28, 28], { output: 'probabilities' });
for (let i = 0; i < 4; i++) {
  const row = Array.from(probabilities.subarray(10 * i, 10 * i + 10));
  console.log(`image ${i}: ${test.classNames?.[row.indexOf(Math.max(...row))]} (label: ${test.classNames?.[test.labels[i]!]})`);
}

await writeFile('mnist-cnn.safetensors', await saveWeights(gpu, classifier, recipe.modelName));
trainer.dispose();
gpu.dispose();
device.dispose();
