// espgpu's public API: one import for users, in Node and in browsers.
export { acquireDevice, type AcquireOptions, type AdapterDescription, type AcquiredDevice, type KernelLimits } from './device/device.ts';
export { Gpu, packParams } from './gpu/gpu.ts';
export { Tensor, type DType } from './gpu/tensor.ts';

export { matmul, type MatmulOptions } from './kernels/matmul.ts';
export {
  conv2dForward,
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dBackwardBias,
  conv2dOutputShape,
  convAlgorithm,
  setConvAlgorithm,
  CONV_ALGORITHMS,
  type ConvAlgorithm,
  type Conv2dGeometry,
} from './kernels/conv2d.ts';
export { batchNormTrainForward, batchNormEvalForward, batchNormBackward, type BatchNormOptions } from './kernels/batchnorm.ts';
export { relu, reluBackward, add } from './kernels/eltwise.ts';
export { maxPool2dForward, maxPool2dBackward, avgPool2dForward, avgPool2dBackward, globalAvgPoolForward, globalAvgPoolBackward, type Pool2dOptions } from './kernels/pool.ts';
export { dropoutForward, dropoutBackward, type DropoutOptions } from './kernels/dropout.ts';
export { softmaxCrossEntropy } from './kernels/softmax_xent.ts';
export { jensenShannonConsistency, cleanView, type JensenShannonResult, type JensenShannonOptions } from './kernels/jsd.ts';
export { perturbBatch, packBytes, type PerturbBatchArgs, type PerturbBatchResult, type ImageShape } from './kernels/esp.ts';
export { sgdStep } from './kernels/sgd.ts';
export { channelSum, sumSplits } from './kernels/reduce.ts';
export { gemmConfig, setGemmConfig, defaultGemmConfig, type GemmConfig } from './kernels/gemmConfig.ts';
export { tuneGemm, DEFAULT_TUNING_BUDGET_MS, type TuneGemmOptions, type GemmTuningResult, type CandidateTiming } from './tuning/tuneGemm.ts';
export { gemmCandidates, describeGemmConfig } from './tuning/gemmCandidates.ts';
export { gemmTuningKey, memoryTuningStore, type TuningStore } from './tuning/tuningStore.ts';
export { indexedDbTuningStore, type IndexedDbTuningStoreOptions } from './tuning/indexedDbTuningStore.ts';

export type { Layer, StepContext } from './nn/layer.ts';
export { Parameter, ParameterStore, StateTensor } from './nn/parameters.ts';
export { Sequential } from './nn/sequential.ts';
export { Linear } from './nn/linear.ts';
export { Conv2d } from './nn/conv2d.ts';
export { BatchNorm } from './nn/batchnorm.ts';
export { ReLU } from './nn/activations.ts';
export { MaxPool2d, AvgPool2d, GlobalAvgPool } from './nn/pooling.ts';
export { Dropout } from './nn/dropout.ts';
export { Flatten } from './nn/flatten.ts';
export { mnistCnn } from './nn/models/mnistCnn.ts';
export { Residual } from './nn/residual.ts';
export { wideResNet, wrn40x2, wideBasicBlock } from './nn/models/wrn.ts';
export { resnet18, basicBlock } from './nn/models/resnet18.ts';
export { MODELS, MODEL_NAMES, createModel, buildModel, modelDefinition, parameterCount, type ModelName, type ModelDefinition, type ModelSpec, type ModelShape } from './nn/models/index.ts';
export { initContexts, kaimingNormal, normal, uniformSymmetric, constant, type InitContext } from './nn/init.ts';

export { SgdOptimizer, type SgdSettings } from './optim/sgdOptimizer.ts';
export * from './optim/schedules.ts';
export { Classifier, StepResult, type TrainStepOptions, type StepFigures, type PredictImagesOptions, type EvaluateOptions } from './train/classifier.ts';
export { fit, accuracy, type FitOptions, type StepProgress } from './train/fit.ts';
export { Trainer, type TrainerOptions, type ModelFactory, type CheckpointOptions, type TrainerEvents, type StepEvent, type EpochEvent, type CheckpointEvent, type DoneEvent } from './train/trainer.ts';
export { preset, checkRecipe, resolveRecipe, scheduleFor, PRESET_NAMES, SCHEDULE_KINDS, type PresetName, type TrainingRecipe, type RecipeOverrides, type RecipeSpec, type SgdRecipe, type ScheduleSettings } from './train/presets.ts';
export { resolveRunSpec, checkRunData, RUN_DATASETS, RUN_SUITES, type RunSpec, type ResolvedRun, type DataSpec, type OutputSpec, type RunDataset, type RunSuite } from './train/runSpec.ts';
export { networkInput, predictLogits, softmaxRows, type InputMapping } from './train/predict.ts';
export { exportOnnx, onnxFromWeights, ONNX_INPUT, ONNX_OUTPUT, type OnnxExportOptions } from './train/onnxExport.ts';
export { samplesDataset, type BatchShape, type SampleValues } from './data/samples.ts';
export { ValidationError } from './validate.ts';
export { encodeSafetensors, decodeSafetensors, encodeTrainingCheckpoint, decodeTrainingCheckpoint, CheckpointError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type NamedTensor, type SafetensorsContents, type TrainingCheckpoint, type ModelLayout, type TensorSpec } from './io/checkpoint.ts';
export { encodeWeights, decodeWeights, WeightsError, type ModelWeights, type DecodedWeights } from './io/weights.ts';
export { saveWeights, loadWeights, checkWeightsFile, type SaveWeightsOptions, type LoadWeightsOptions } from './train/weightsFile.ts';
export { MetricsWriter, metricsLine, parseMetrics, METRICS_EVENTS, type MetricsEvent, type MetricsRecord } from './io/metrics.ts';
export type { FileStore } from './io/atomicFile.ts';
export {
  cleanError, corruptionErrors, countErrors, corruptionReportMarkdown, classifierPredictor, argmaxRows, ALEXNET_ERRORS, RESNET18_TINY_IMAGENET_ERRORS,
  type Predictor, type PredictorLike, type CorruptedSetLike, type ErrorRate, type SeverityError, type CorruptionError, type CorruptionReport,
  type BaselineErrors, type CorruptionErrorOptions, type ClassifierPredictorOptions,
} from './train/evaluate.ts';

export { parseIdx, type IdxArray } from './data/idx.ts';
export { parseNpy, encodeNpy, type NpyArray, type NpyDType } from './data/npy.ts';
export { parseCifarBatch, CIFAR10_CLASS_NAMES, type CifarLabels } from './data/cifarBinary.ts';
export { datasetFromIdx, datasetFromNpy, checkDataset, concatDatasets, sliceDataset, MAX_CLASSES, type ImageDataset } from './data/imageDataset.ts';
export { shuffledIndices, imageBytes, labelsAt } from './data/batches.ts';
export { MNIST_C } from './data/corruptions/mnistC.ts';
export { CIFAR_C, TINY_IMAGENET_C, CIFAR_C_TABLES, TINY_IMAGENET_C_TABLES, corruptionSuite } from './data/corruptions/cifarC.ts';
export { SEVERITIES, severityStream, suiteEntries, corruptAtSeverity, type SeverityCorruption } from './data/corruptions/severity.ts';
export { corruptImage, type Corruption, type ImageShape as CorruptionImageShape } from './data/corruptions/corruption.ts';
export { CorruptionRandom } from './data/corruptions/random.ts';

export { AugmentationPipeline, checkAugmentation, parseMethod, PERTURBATIONS, type AugmentationOptions, type AugmentedBatch, type BatchGeometry } from './augment/pipeline.ts';
export { resolveEspSettings, xiFromGamma, trueLabelMass, type EspOptions, type EspSettings } from './augment/espSettings.ts';
export { EspPerturbation, L2NoisePerturbation, NoPerturbation, type Perturbation, type PerturbationPlan, type L2NoiseOptions } from './augment/perturbation.ts';
export { smoothedMass } from './augment/labelSmoothing.ts';
export { planAugMix, planFromChoices, type AugMixOptions } from './augment/augmixPlan.ts';
export { augmixView, augmixViewPacked } from './kernels/augmix.ts';
export { AUGMIX_OPS, packPlan, type AugMixPlan } from './kernels/augmixEncoding.ts';
export { philox4x32, uniform01, uniformOpen01, seedKey, Stream } from './rng/philox.ts';
export { loadRng, type Rng, type TruncatedNormalSizeOptions, type SizeDrawOptions } from './rng/wasm.ts';

export { startOpsWorker, startTrainerWorker, imageDataToBytes, type OpsWorker, type TrainerWorker, type ImageDataLike, type ImageChannels, type ImageDataTrainRequest } from './worker/client.ts';
export type { OpsApi, WorkerInfo } from './worker/opsApi.ts';
export type { TrainerApi, ModelSpec as WorkerModelSpec, ModelInfo, TensorInfo, TrainRequest, TrainProgress, TrainSummary, PredictOptions, AugmentRequest, AugmentedSamples } from './worker/trainerApi.ts';
