// Plain weights: the safetensors file PyTorch's `safetensors.torch.save_file(model.state_dict(),
// …)` writes for the same architecture, so either side opens the other's. Each parameter and
// batch-norm statistic goes under its state_dict name (checkpoints use the same names) as F32,
// and each batch-norm layer also gets the int64 scalar `num_batches_tracked` that PyTorch's
// BatchNorm2d keeps and `load_state_dict(strict=True)` requires. No momentum and no checksum:
// a file for other tools and for fine-tuning, not for resuming (that is a checkpoint's job).
// Reads F32, F16 and BF16 (widened to f32); a file that does not fit the model is refused with
// every missing, unexpected and mis-shaped tensor named at once. Browser-safe: bytes in, bytes out.

import { CHECKPOINT_FORMAT, type ModelLayout, type TensorSpec } from './checkpoint.ts';
import { floatValues, formatShape, parseSafetensors, writeSafetensors, type Dtype, type Fail, type RawTensor } from './safetensors.ts';
import { checkInteger } from '../validate.ts';

/** The metadata key naming the espgpu model a file was exported from ("format": "pt" beside it). */
export const WEIGHTS_MODEL_KEY = 'espgpu_model';
const WEIGHT_DTYPES: readonly Dtype[] = ['F32', 'F16', 'BF16', 'I64'];
const RUNNING_MEAN = '.running_mean';

/** A weights file that cannot be read or does not fit the model: the message names the file and every problem. */
export class WeightsError extends Error {
  constructor(readonly source: string, readonly problem: string) {
    super(`weights ${source}: ${problem}`);
    this.name = 'WeightsError';
  }
}

/** A model's weights by name: parameters, and state (batch-norm running statistics). */
export interface ModelWeights {
  parameters: Map<string, Float32Array>;
  state: Map<string, Float32Array>;
}

export interface DecodedWeights extends ModelWeights {
  /** The file's "__metadata__" ({} without one). */
  metadata: Record<string, string>;
}

/** PyTorch's `num_batches_tracked` of each batch-norm layer, found by its running mean (only batch norm keeps one). */
export function batchesTrackedNames(layout: ModelLayout): string[] {
  return layout.state.filter((s) => s.name.endsWith(RUNNING_MEAN)).map((s) => `${s.name.slice(0, -RUNNING_MEAN.length)}.num_batches_tracked`);
}

/**
 * The weights as PyTorch's save_file lays them out: tensors ordered by dtype, widest first (the
 * I64 counters), then by name; metadata {"format": "pt"} plus the model's name.
 * `batchesTracked` fills num_batches_tracked: the training steps taken, or 0.
 */
export function encodeWeights(weights: ModelWeights, layout: ModelLayout, batchesTracked = 0): Uint8Array {
  checkInteger('encodeWeights', 'batchesTracked', batchesTracked, { min: 0 });
  const float = (map: Map<string, Float32Array>, spec: TensorSpec): RawTensor => {
    const data = map.get(spec.name);
    if (!data) throw new Error(`encodeWeights: no values for "${spec.name}"`);
    return { name: spec.name, dtype: 'F32', shape: [...spec.shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  };
  const count = new Uint8Array(BigInt64Array.of(BigInt(batchesTracked)).buffer);
  const counters = batchesTrackedNames(layout).map((name): RawTensor => ({ name, dtype: 'I64', shape: [], bytes: count }));
  const floats = [...layout.parameters.map((p) => float(weights.parameters, p)), ...layout.state.map((s) => float(weights.state, s))];
  return writeSafetensors([...counters.sort(byName), ...floats.sort(byName)], { format: 'pt', [WEIGHTS_MODEL_KEY]: layout.model }, 'encodeWeights');
}

/** Reads a plain weights file for the model of `layout`; num_batches_tracked is accepted and ignored. */
export function decodeWeights(bytes: Uint8Array, source: string, layout: ModelLayout): DecodedWeights {
  const fail = (problem: string): never => {
    throw new WeightsError(source, problem);
  };
  const dtypeNote = 'espgpu reads weights in F32, F16 or BF16 (and num_batches_tracked in I64)';
  const { tensors, metadata = {} } = parseSafetensors(bytes, { dtypes: WEIGHT_DTYPES, dtypeNote, requireMetadata: false }, fail);
  if (metadata.format === CHECKPOINT_FORMAT) {
    fail('it is an espgpu training checkpoint, not plain weights: resume from it (--resume), or export its weights first (espgpu export --checkpoint FILE --out WEIGHTS)');
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  checkFit(byName, layout, fail);
  const take = (specs: readonly TensorSpec[]) => new Map(specs.map((s) => [s.name, floatValues(byName.get(s.name)!)]));
  return { parameters: take(layout.parameters), state: take(layout.state), metadata };
}

/** One error naming every tensor that is missing, unexpected, mis-shaped or not a float. */
function checkFit(byName: Map<string, RawTensor>, layout: ModelLayout, fail: Fail): void {
  const expected = new Map([...layout.parameters, ...layout.state].map((s) => [s.name, s.shape]));
  const counters = new Set(batchesTrackedNames(layout));
  const missing = [...expected.keys()].filter((name) => !byName.has(name));
  const unexpected = [...byName.keys()].filter((name) => !expected.has(name) && !counters.has(name));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`);
  if (unexpected.length > 0) problems.push(`unexpected ${unexpected.join(', ')}`);
  for (const [name, shape] of expected) {
    const found = byName.get(name);
    if (found && formatShape(found.shape) !== formatShape(shape)) problems.push(`${name} has shape ${formatShape(found.shape)}, the model needs ${formatShape(shape)}`);
    if (found?.dtype === 'I64') problems.push(`${name} has dtype I64, the model needs F32, F16 or BF16`);
  }
  if (problems.length > 0) fail(`it does not fit model "${layout.model}": ${problems.join('; ')}`);
}

/** safetensors' writer orders names bytewise; for the ASCII of state_dict names that is JavaScript's order. */
function byName(a: RawTensor, b: RawTensor): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
