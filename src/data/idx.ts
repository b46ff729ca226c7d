// MNIST's IDX format (optionally gzipped): magic 0x00 0x00 <dtype> <ndim>, ndim big-endian
// u32 dimensions, then the data. Only unsigned bytes (0x08) occur in MNIST-style sets.
import { inflateSync } from 'fflate';

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

/**
 * RFC 1952 gzip, one member. The trailer's CRC-32 and length are checked (fflate's own
 * gunzip trusts them: it sizes its output from the length and never checks the CRC), so a
 * damaged file is an error rather than silently different pixels.
 */
function gunzip(bytes: Uint8Array, source: string): Uint8Array {
  const start = gzipBodyStart(bytes, source);
  if (start + 8 > bytes.length) throw new Error(`${source}: truncated gzip file (${bytes.length} bytes)`);
  let out: Uint8Array;
  try {
    out = inflateSync(bytes.subarray(start, bytes.length - 8));
  } catch (error) {
    throw new Error(`${source}: damaged gzip data (${(error as Error).message})`);
  }
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  const expectedCrc = trailer.getUint32(0, true);
  const expectedLength = trailer.getUint32(4, true);
  if (out.length % 2 ** 32 !== expectedLength) {
    throw new Error(`${source}: damaged gzip data (inflates to ${out.length} bytes, trailer says ${expectedLength})`);
  }
  if (crc32(out) !== expectedCrc) throw new Error(`${source}: damaged gzip data (CRC-32 mismatch)`);
  return out;
}

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

function gzipBodyStart(bytes: Uint8Array, source: string): number {
  if (bytes.length < 10) throw new Error(`${source}: truncated gzip header (${bytes.length} bytes)`);
  if (bytes[2] !== 8) throw new Error(`${source}: gzip compression method ${bytes[2]} is not deflate (8)`);
  const flags = bytes[3]!;
  let at = 10;
  if (flags & FEXTRA) at += 2 + (bytes[at]! | (bytes[at + 1]! << 8));
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const end = bytes.indexOf(0, at);
    if (end < 0) throw new Error(`${source}: truncated gzip header (unterminated name or comment)`);
    at = end + 1;
  }
  if (flags & FHCRC) at += 2;
  if (at > bytes.length) throw new Error(`${source}: truncated gzip header`);
  return at;
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
