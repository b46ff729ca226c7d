// MNIST's IDX format (optionally gzipped): magic 0x00 0x00 <dtype> <ndim>, ndim big-endian
// u32 dimensions, then the data. Only unsigned bytes (0x08) occur in MNIST-style sets.
import { gunzipSync } from 'fflate';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes, source) : bytes;
  if (raw.length < 4) throw new Error(`${source}: ${raw.length} bytes is too short for an IDX header`);
  if (raw[0] !== 0 || raw[1] !== 0) throw new Error(`${source}: not an IDX file (magic starts ${hex(raw[0]!)} ${hex(raw[1]!)}, expected 00 00)`);
  if (raw[2] !== UBYTE) throw new Error(`${source}: IDX dtype ${hex(raw[2]!)} is not supported (expected 08, unsigned byte)`);
  const ndim = raw[3]!;
  if (ndim < 1 || ndim > 4) throw new Error(`${source}: IDX header says ${ndim} dimensions, expected 1 to 4`);
  const headerBytes = 4 + 4 * ndim;
  if (raw.length < headerBytes) throw new Error(`${source}: truncated IDX header (${raw.length} bytes, need ${headerBytes})`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  if (raw.length - headerBytes !== count) {
    throw new Error(`${source}: IDX shape [${shape.join(', ')}] needs ${count} data bytes, file has ${raw.length - headerBytes}`);
  }
  return { shape, data: raw.subarray(headerBytes) };
}

function gunzip(bytes: Uint8Array, source: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new Error(`${source}: damaged gzip data (${(error as Error).message})`);
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
