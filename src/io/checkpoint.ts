// Checkpoints as safetensors files: an 8-byte little-endian header length, a JSON header that
// maps each tensor's name to { dtype, shape, data_offsets } plus a "__metadata__" table of
// strings, then the tensors' bytes, back to back. Any safetensors reader opens them.
// espgpu adds a CRC-32 of the whole file to the metadata: a reader here refuses a file with a
// flipped bit anywhere, not only one whose damage breaks the structure. Browser-safe: bytes
// in, bytes out; the files themselves go through a FileStore (atomicFile.ts in Node).

import { describeValue } from '../validate.ts';

export const CHECKPOINT_FORMAT = 'espgpu-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** Larger headers are refused unread (the safetensors reference reader's limit too). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const METADATA_KEY = '__metadata__';
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

function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A safetensors file of F32 tensors, stored in the order given, with `metadata` plus the
 * checksum. The header is padded with spaces so the data starts 8-byte aligned.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Readonly<Record<string, string>>): Uint8Array {
  if (CHECKSUM_KEY in metadata) throw new Error(`encodeSafetensors: metadata key "${CHECKSUM_KEY}" is reserved for the file's checksum`);
  const header: Record<string, unknown> = { [METADATA_KEY]: { ...metadata, [CHECKSUM_KEY]: CHECKSUM_PLACEHOLDER } };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY || t.name in header) throw new Error(`encodeSafetensors: tensor name "${t.name}" is reserved or used twice`);
    if (t.data.length !== shapeSize(t.shape)) throw new Error(`encodeSafetensors: tensor "${t.name}" has ${t.data.length} values for shape ${formatShape(t.shape)}`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const file = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(file.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, 0, true);
  file.set(json, 8);
  file.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of tensors) {
    file.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  // The checksum covers every byte, with its own eight hex digits counted as zeros.
  const checksumAt = 8 + indexOfBytes(json, checksumField(CHECKSUM_PLACEHOLDER)) + checksumField('').length;
  file.set(new TextEncoder().encode(hex32(crc32(file))), checksumAt);
  return file;
}

/** Reads and checks every part of a safetensors file written by encodeSafetensors. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  const fail = (problem: string): never => {
    throw new CheckpointError(source, problem);
  };
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  const limit = Math.min(bytes.length - 8, MAX_HEADER_BYTES);
  if (headerLength < 2 || headerLength > limit) fail(`header length ${headerLength} is outside 2..${limit} (the file has ${bytes.length} bytes)`);
  const headerBytes = bytes.subarray(8, 8 + headerLength);
  const header = parseHeader(headerBytes, fail);
  const metadata = readMetadata(header[METADATA_KEY], fail);
  const dataLength = bytes.length - 8 - headerLength;
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, entry]) => readEntry(name, entry, dataLength, fail))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkCoverage(entries, dataLength, fail);
  checkChecksum(bytes, headerBytes, metadata, fail);
  const dataStart = 8 + headerLength;
  const tensors = entries.map(({ name, shape, begin, end }) => ({
    name,
    shape,
    data: new Float32Array(bytes.slice(dataStart + begin, dataStart + end).buffer),
  }));
  return { tensors, metadata };
}

type Fail = (problem: string) => never;

interface Entry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(headerBytes: Uint8Array, fail: Fail): Record<string, unknown> {
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`the header does not start with "{" (got ${JSON.stringify(text.slice(0, 16))})`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) fail('the header is not a JSON object');
  return header as Record<string, unknown>;
}

function readMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) fail(`the header has no "${METADATA_KEY}"`);
  if (!isPlainObject(value)) fail(`"${METADATA_KEY}" is not an object of strings`);
  const metadata = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`metadata "${key}" is ${describeValue(v)}, not a string`);
  return metadata as Record<string, string>;
}

/** Values are shown with describeValue, not JSON.stringify: a hostile header nests deep enough to overflow it. */
function readEntry(name: string, entry: unknown, dataLength: number, fail: Fail): Entry {
  const what = `tensor "${name}"`;
  if (!isPlainObject(entry)) fail(`${what} is not a { dtype, shape, data_offsets } object`);
  const { dtype, shape, data_offsets: offsets, ...rest } = entry as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) fail(`${what} has unknown fields ${extra.join(', ')}`);
  if (dtype !== 'F32') fail(`${what} has dtype ${describeValue(dtype)}; espgpu checkpoints hold F32 only`);
  const isCount = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${what} has shape ${describeValue(shape)}, not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${what} has data_offsets ${describeValue(offsets)}, not [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${what} has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end > dataLength) fail(`${what} needs data bytes ${begin}..${end} but the file holds only ${dataLength} bytes of data (truncated?)`);
  const size = shapeSize(shape as number[]);
  if (end - begin !== 4 * size) fail(`${what} has shape ${formatShape(shape as number[])} (${4 * size} bytes) but data_offsets span ${end - begin} bytes`);
  return { name, shape: shape as number[], begin, end };
}

/** safetensors forbids holes and overlaps: the tensors tile the data exactly. */
function checkCoverage(entries: readonly Entry[], dataLength: number, fail: Fail): void {
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of entries) {
    if (e.begin < covered) fail(`tensors "${previous!.name}" and "${e.name}" overlap (data bytes ${e.begin}..${Math.min(covered, e.end)})`);
    if (e.begin > covered) fail(`data bytes ${covered}..${e.begin} belong to no tensor`);
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) fail(`data bytes ${covered}..${dataLength} after the last tensor belong to no tensor`);
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
