// The safetensors container, the one parser and writer of it in espgpu: an 8-byte
// little-endian header length, a JSON header mapping each tensor's name to { dtype, shape,
// data_offsets } (plus an optional "__metadata__" table of strings), then the tensors' bytes,
// back to back with no holes. Training checkpoints (checkpoint.ts) and plain weights
// (weights.ts) both read through parseSafetensors, each saying which dtypes it takes and
// whether it needs the metadata. Browser-safe: bytes in, bytes out.

import { describeValue } from '../validate.ts';

/** Bytes per element of the dtypes the format defines. */
export const DTYPE_BYTES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
} as const;
export type Dtype = keyof typeof DTYPE_BYTES;

export const METADATA_KEY = '__metadata__';
/** Larger headers are refused unread (the safetensors reference reader's limit too). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** One tensor's bytes as stored: little-endian elements of `dtype`. */
export interface RawTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** A view into the file read (copy it to keep it), or the bytes to write. */
  bytes: Uint8Array;
}

export interface ParsedSafetensors {
  /** In file order (by data offset). */
  tensors: RawTensor[];
  /** Undefined when the header has no "__metadata__". */
  metadata: Record<string, string> | undefined;
  /** The JSON header's bytes, padding included (checkpoint.ts finds its checksum in them). */
  header: Uint8Array;
}

export interface SafetensorsReadOptions {
  /** The dtypes this reader takes; another is refused before its size is looked at. */
  dtypes: readonly Dtype[];
  /** Why, completing `tensor "x" has dtype "F64"; …`. */
  dtypeNote: string;
  requireMetadata: boolean;
}

/** Throws the reader's own error (CheckpointError, WeightsError) with `problem`. */
export type Fail = (problem: string) => never;

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Reads and checks the container: the header, every entry, and that the tensors tile the data exactly. */
export function parseSafetensors(bytes: Uint8Array, options: SafetensorsReadOptions, fail: Fail): ParsedSafetensors {
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  const limit = Math.min(bytes.length - 8, MAX_HEADER_BYTES);
  if (headerLength < 2 || headerLength > limit) fail(`header length ${headerLength} is outside 2..${limit} (the file has ${bytes.length} bytes)`);
  const header = bytes.subarray(8, 8 + headerLength);
  const json = parseHeader(header, fail);
  const metadata = readMetadata(json[METADATA_KEY], options.requireMetadata, fail);
  const dataLength = bytes.length - 8 - headerLength;
  const entries = Object.entries(json)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, entry]) => readEntry(name, entry, dataLength, options, fail))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkCoverage(entries, dataLength, fail);
  const data = bytes.subarray(8 + headerLength);
  const tensors = entries.map(({ name, dtype, shape, begin, end }) => ({ name, dtype, shape, bytes: data.subarray(begin, end) }));
  return { tensors, metadata, header };
}

/**
 * A safetensors file of `tensors` in the order given, `metadata` first in the header when
 * given. The header is padded with spaces so the data starts 8-byte aligned, as the
 * reference writer does. Errors name `where`, the caller.
 */
export function writeSafetensors(tensors: readonly RawTensor[], metadata: Readonly<Record<string, string>> | undefined, where: string): Uint8Array {
  const header: Record<string, unknown> = metadata === undefined ? {} : { [METADATA_KEY]: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY || t.name in header) throw new Error(`${where}: tensor name "${t.name}" is reserved or used twice`);
    const expected = shapeSize(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.bytes.length !== expected) throw new Error(`${where}: tensor "${t.name}" has ${t.bytes.length} bytes, ${formatShape(t.shape)} of ${t.dtype} needs ${expected}`);
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const file = new Uint8Array(8 + headerLength + offset);
  new DataView(file.buffer).setUint32(0, headerLength, true);
  file.set(json, 8);
  file.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of tensors) {
    file.set(t.bytes, at);
    at += t.bytes.length;
  }
  return file;
}

/** A float tensor's values as f32: F32 as stored, F16 and BF16 widened (exactly: f32 holds every such value). */
export function floatValues(tensor: RawTensor): Float32Array {
  const { dtype, bytes } = tensor;
  if (dtype === 'F32') return new Float32Array(bytes.slice().buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 2);
  if (dtype === 'F16') {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else if (dtype === 'BF16') {
    // bfloat16 is the top half of an f32's bits.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  } else {
    throw new Error(`floatValues: tensor "${tensor.name}" has dtype ${dtype}, not F32, F16 or BF16`);
  }
  return out;
}

/** IEEE binary16 bits to their value. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : Number.NaN;
  return sign * (0x400 + mantissa) * 2 ** (exponent - 25);
}

interface Entry {
  name: string;
  dtype: Dtype;
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

function readMetadata(value: unknown, required: boolean, fail: Fail): Record<string, string> | undefined {
  if (value === undefined) return required ? fail(`the header has no "${METADATA_KEY}"`) : undefined;
  if (!isPlainObject(value)) fail(`"${METADATA_KEY}" is not an object of strings`);
  const metadata = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`metadata "${key}" is ${describeValue(v)}, not a string`);
  return metadata as Record<string, string>;
}

/** Values are shown with describeValue, not JSON.stringify: a hostile header nests deep enough to overflow it. */
function readEntry(name: string, entry: unknown, dataLength: number, options: SafetensorsReadOptions, fail: Fail): Entry {
  const what = `tensor "${name}"`;
  if (!isPlainObject(entry)) fail(`${what} is not a { dtype, shape, data_offsets } object`);
  const { dtype, shape, data_offsets: offsets, ...rest } = entry as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) fail(`${what} has unknown fields ${extra.join(', ')}`);
  if (!(options.dtypes as readonly unknown[]).includes(dtype)) fail(`${what} has dtype ${describeValue(dtype)}; ${options.dtypeNote}`);
  const isCount = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${what} has shape ${describeValue(shape)}, not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${what} has data_offsets ${describeValue(offsets)}, not [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${what} has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end > dataLength) fail(`${what} needs data bytes ${begin}..${end} but the file holds only ${dataLength} bytes of data (truncated?)`);
  const bytes = shapeSize(shape as number[]) * DTYPE_BYTES[dtype as Dtype];
  if (end - begin !== bytes) fail(`${what} has shape ${formatShape(shape as number[])} (${bytes} bytes) but data_offsets span ${end - begin} bytes`);
  return { name, dtype: dtype as Dtype, shape: shape as number[], begin, end };
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
