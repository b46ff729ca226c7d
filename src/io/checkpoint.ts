// Checkpoints as safetensors files (safetensors.ts): every tensor F32, and a "__metadata__"
// table of strings. Any safetensors reader opens them.
// espgpu adds a CRC-32 of the whole file to the metadata: a reader here refuses a file with a
// flipped bit anywhere, not only one whose damage breaks the structure. Browser-safe: bytes
// in, bytes out; the files themselves go through a FileStore (atomicFile.ts in Node).

import { formatShape, parseSafetensors, shapeSize, writeSafetensors, type Fail } from './safetensors.ts';

export const CHECKPOINT_FORMAT = 'espgpu-checkpoint';
export const CHECKPOINT_VERSION = 1;

const CHECKSUM_KEY = 'checksum';
const CHECKSUM_PLACEHOLDER = '00000000';
const MOMENTUM_PREFIX = 'momentum/';

/** A damaged, foreign or mismatched checkpoint: the message names the file and the problem. */
export class CheckpointError extends Error {
  constructor(readonly source: string, readonly problem: string) {
    super(`checkpoint ${source}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  /** In file order (by data offset). */
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib and PNG compute it); pass the previous result to continue. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * A safetensors file of F32 tensors, stored in the order given, with `metadata` plus the
 * checksum. The header is padded with spaces so the data starts 8-byte aligned.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Readonly<Record<string, string>>): Uint8Array {
  if (CHECKSUM_KEY in metadata) throw new Error(`encodeSafetensors: metadata key "${CHECKSUM_KEY}" is reserved for the file's checksum`);
  for (const t of tensors) {
    if (t.data.length !== shapeSize(t.shape)) throw new Error(`encodeSafetensors: tensor "${t.name}" has ${t.data.length} values for shape ${formatShape(t.shape)}`);
  }
  const raw = tensors.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: [...t.shape], bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
  const file = writeSafetensors(raw, { ...metadata, [CHECKSUM_KEY]: CHECKSUM_PLACEHOLDER }, 'encodeSafetensors');
  // The checksum covers every byte, with its own eight hex digits counted as zeros. The
  // metadata comes first in the header, so the first match is the field itself.
  const checksumAt = indexOfBytes(file, checksumField(CHECKSUM_PLACEHOLDER), 8) + checksumField('').length;
  file.set(new TextEncoder().encode(hex32(crc32(file))), checksumAt);
  return file;
}

/** Reads and checks every part of a safetensors file written by encodeSafetensors. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  const fail = (problem: string): never => {
    throw new CheckpointError(source, problem);
  };
  const { tensors, metadata, header } = parseSafetensors(bytes, { dtypes: ['F32'], dtypeNote: 'espgpu checkpoints hold F32 only', requireMetadata: true }, fail);
  checkChecksum(bytes, header, metadata!, fail);
  return {
    tensors: tensors.map(({ name, shape, bytes: data }) => ({ name, shape, data: new Float32Array(data.slice().buffer) })),
    metadata: metadata!,
  };
}

function checkChecksum(bytes: Uint8Array, headerBytes: Uint8Array, metadata: Record<string, string>, fail: Fail): void {
  const stored = metadata[CHECKSUM_KEY];
  if (stored === undefined) fail(`the metadata has no "${CHECKSUM_KEY}" (not written by espgpu?)`);
  if (!/^[0-9a-f]{8}$/.test(stored!)) fail(`the checksum ${JSON.stringify(stored)} is not 8 lowercase hex digits`);
  const field = checksumField(stored!);
  const at = indexOfBytes(headerBytes, field);
  if (at < 0 || indexOfBytes(headerBytes, field, at + 1) >= 0) fail(`the header does not hold the checksum field exactly once`);
  const zeroed = bytes.slice();
  zeroed.set(new TextEncoder().encode(CHECKSUM_PLACEHOLDER), 8 + at + checksumField('').length);
  const computed = hex32(crc32(zeroed));
  if (computed !== stored) fail(`checksum mismatch (stored ${stored}, computed ${computed}): the file is damaged`);
}

/** The bytes `"checksum":"<digits>"` as JSON.stringify writes them. */
function checksumField(digits: string): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(CHECKSUM_KEY)}:"${digits}`);
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

// ---- Training checkpoints: what a run saves, on top of the file format ----

export interface TensorSpec {
  name: string;
  shape: readonly number[];
}

/** What a checkpoint must hold to fit a model: its name, parameters and state tensors. */
export interface ModelLayout {
  model: string;
  parameters: readonly TensorSpec[];
  state: readonly TensorSpec[];
}

export interface TrainingCheckpoint {
  model: string;
  /** Optimizer steps completed: training continues with step `step`. */
  step: number;
  /** The epoch step `step` belongs to. */
  epoch: number;
  seed: number;
  /** The run's settings as it recorded them (parsed JSON). */
  settings: unknown;
  /** By name, in the layout's order. */
  parameters: Map<string, Float32Array>;
  momentum: Map<string, Float32Array>;
  state: Map<string, Float32Array>;
}

/**
 * Parameters under their own names (so other tools can load the weights), momentum under
 * "momentum/<name>", state (batch-norm running statistics) under its own names.
 */
export function encodeTrainingCheckpoint(checkpoint: TrainingCheckpoint, layout: ModelLayout): Uint8Array {
  const pick = (map: Map<string, Float32Array>, spec: TensorSpec, prefix = ''): NamedTensor => {
    const data = map.get(spec.name);
    if (!data) throw new Error(`encodeTrainingCheckpoint: no values for "${spec.name}"`);
    return { name: prefix + spec.name, shape: spec.shape, data };
  };
  const tensors = [
    ...layout.parameters.map((p) => pick(checkpoint.parameters, p)),
    ...layout.state.map((s) => pick(checkpoint.state, s)),
    ...layout.parameters.map((p) => pick(checkpoint.momentum, p, MOMENTUM_PREFIX)),
  ];
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    model: checkpoint.model,
    step: String(checkpoint.step),
    epoch: String(checkpoint.epoch),
    seed: String(checkpoint.seed),
    settings: JSON.stringify(checkpoint.settings),
  });
}

/** Decodes and checks a checkpoint against the model it is to be loaded into. */
export function decodeTrainingCheckpoint(bytes: Uint8Array, source: string, layout: ModelLayout): TrainingCheckpoint {
  const fail = (problem: string): never => {
    throw new CheckpointError(source, problem);
  };
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const get = (key: string): string => metadata[key] ?? fail(`the metadata has no "${key}"`);
  if (get('format') !== CHECKPOINT_FORMAT) fail(`metadata format is ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (get('format_version') !== String(CHECKPOINT_VERSION)) {
    fail(`format version ${JSON.stringify(metadata.format_version)} is not the version this espgpu reads (${CHECKPOINT_VERSION})`);
  }
  const count = (key: string): number => {
    const text = get(key);
    const value = Number(text);
    if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(value)) fail(`metadata "${key}" is ${JSON.stringify(text)}, not a non-negative integer`);
    return value;
  };
  const model = get('model');
  if (model !== layout.model) fail(`it holds model "${model}", but this run trains "${layout.model}"`);
  let settings: unknown;
  try {
    settings = JSON.parse(get('settings'));
  } catch (error) {
    fail(`metadata "settings" is not valid JSON (${(error as Error).message})`);
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  checkLayout(byName, layout, fail);
  const take = (specs: readonly TensorSpec[], prefix = '') => new Map(specs.map((s) => [s.name, byName.get(prefix + s.name)!.data]));
  return {
    model,
    step: count('step'),
    epoch: count('epoch'),
    seed: count('seed'),
    settings,
    parameters: take(layout.parameters),
    momentum: take(layout.parameters, MOMENTUM_PREFIX),
    state: take(layout.state),
  };
}

function checkLayout(byName: Map<string, NamedTensor>, layout: ModelLayout, fail: Fail): void {
  const expected = new Map<string, readonly number[]>();
  for (const p of layout.parameters) expected.set(p.name, p.shape).set(MOMENTUM_PREFIX + p.name, p.shape);
  for (const s of layout.state) expected.set(s.name, s.shape);
  const problems: string[] = [];
  const missing = [...expected.keys()].filter((name) => !byName.has(name));
  const extra = [...byName.keys()].filter((name) => !expected.has(name));
  if (missing.length > 0) problems.push(`missing tensors ${listNames(missing)}`);
  if (extra.length > 0) problems.push(`tensors this model does not have: ${listNames(extra)}`);
  for (const [name, shape] of expected) {
    const found = byName.get(name);
    if (found && formatShape(found.shape) !== formatShape(shape)) problems.push(`"${name}" is ${formatShape(found.shape)} in the file but ${formatShape(shape)} in the model`);
  }
  if (problems.length > 0) fail(`it does not fit model "${layout.model}": ${problems.slice(0, 4).join('; ')}${problems.length > 4 ? '; …' : ''}`);
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((n) => `"${n}"`).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
