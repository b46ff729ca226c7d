// Training inside a worker: the GPU stays there, only plain arrays cross.
import { embeddedDataset, startTrainerWorker } from 'espgpu';

const { images, labels, shape } = embeddedDataset('train');
const trainer = startTrainerWorker(); // dist/{node,browser}/worker.js beside the bundle
await trainer.init();
await trainer.createModel({ kind: 'mnist-cnn' }, 0);
const summary = await trainer.train(
  { images, labels, shape, classes: 10, epochs: 1, batchSize: 32, lr: 0.05,
    augmentation: { method: 'esp', esp: { epsilon: 1.5, gamma: 10 } } },
  (p) => console.log(p.step, p.loss), // progress from the worker (a comlink proxy)
);
console.log(`${summary.status} in ${summary.seconds.toFixed(1)} s, loss ${summary.loss.toFixed(3)}`);
const weights = await trainer.getWeights(); // a Float32Array, transferred
console.log(`${weights.length} weights`);
await trainer.close();
