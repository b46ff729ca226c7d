// MNIST's IDX format (optionally gzipped): magic 0x00 0x00 <dtype> <ndim>, ndim big-endian
// u32 dimensions, then the data. Only unsigned bytes (0x08) occur in MNIST-style sets.
import { Gunzip } from 'fflate';
import { crc32 } from '../io/checkpoint.ts';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;
/** 4 magic bytes and at most 4 dimensions. */
const MAX_HEADER_BYTES = 4 + 4 * 4;
/**
 * Declared sizes above this are refused before anything is allocated: the largest MNIST-style
 * file is under 50 MB, and a damaged dimension can otherwise declare terabytes.
 */
export const MAX_IDX_BYTES = 2 ** 31;

interface IdxHeader {
  shape: number[];
  headerBytes: number;
  /** header + data bytes the header declares */
  totalBytes: number;
}

export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipIdx(bytes, source) : bytes;
  if (raw.length < 4) throw new Error(`${source}: ${raw.length} bytes is too short for an IDX header`);
  const header = readHeader(raw, source);
  if (!header) throw new Error(`${source}: truncated IDX header (${raw.length} bytes, need ${headerSize(raw, source)})`);
  const { shape, headerBytes, totalBytes } = header;
  if (raw.length !== totalBytes) {
    throw new Error(`${source}: IDX shape [${shape.join(', ')}] needs ${totalBytes - headerBytes} data bytes, file has ${raw.length - headerBytes}`);
  }
  return { shape, data: raw.subarray(headerBytes) };
}

/** 4 + 4·ndim, from the first 4 bytes (undefined while fewer have arrived); throws on a bad magic, dtype or ndim. */
function headerSize(raw: Uint8Array, source: string): number | undefined {
  if (raw.length < 4) return undefined;
  if (raw[0] !== 0 || raw[1] !== 0) throw new Error(`${source}: not an IDX file (magic starts ${hex(raw[0]!)} ${hex(raw[1]!)}, expected 00 00)`);
  if (raw[2] !== UBYTE) throw new Error(`${source}: IDX dtype ${hex(raw[2]!)} is not supported (expected 08, unsigned byte)`);
  const ndim = raw[3]!;
  if (ndim < 1 || ndim > 4) throw new Error(`${source}: IDX header says ${ndim} dimensions, expected 1 to 4`);
  return 4 + 4 * ndim;
}

/** The header, once all its bytes are in `raw` (undefined before); throws on a bad one or one declaring too much. */
function readHeader(raw: Uint8Array, source: string): IdxHeader | undefined {
  const headerBytes = headerSize(raw, source);
  if (headerBytes === undefined || raw.length < headerBytes) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape = Array.from({ length: (headerBytes - 4) / 4 }, (_, i) => view.getUint32(4 + 4 * i, false));
  const totalBytes = headerBytes + shape.reduce((a, b) => a * b, 1);
  if (totalBytes > MAX_IDX_BYTES) {
    throw new Error(`${source}: IDX shape [${shape.join(', ')}] declares ${totalBytes} bytes, more than the ${MAX_IDX_BYTES}-byte limit (damaged header?)`);
  }
  return { shape, headerBytes, totalBytes };
}

/** Compressed bytes handed to the inflater at a time: bounds what one step can inflate to (~16 MB). */
const INFLATE_STEP = 16 * 1024;

/**
 * RFC 1952 gzip, one member or several back to back (`gzip -c a >> f; gzip -c b >> f`). Inflated
 * as a stream, so that reading stops as soon as the output runs past the size the IDX header
 * declares: a small hostile file cannot inflate to gigabytes first. Each member's trailer CRC-32
 * and length are checked (fflate's gunzip trusts them), so a damaged file is an error rather than
 * silently different pixels.
 */
function gunzipIdx(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length < 18) throw new Error(`${source}: truncated gzip file (${bytes.length} bytes)`);
  if (bytes[2] !== 8) throw new Error(`${source}: gzip compression method ${bytes[2]} is not deflate (8)`);
  const output = new IdxOutput(source, bytes.length);
  const members = new GzipMembers(bytes, source);
  const stream = new Gunzip((chunk) => {
    output.add(chunk);
    members.add(chunk);
  });
  stream.onmember = (offset) => members.end(offset);
  try {
    for (let at = 0; at < bytes.length; at += INFLATE_STEP) {
      stream.push(bytes.subarray(at, at + INFLATE_STEP), at + INFLATE_STEP >= bytes.length);
    }
  } catch (error) {
    // Our own errors (header, size, trailer) already name the file; fflate's do not.
    if (output.failed(error) || members.failed(error)) throw error;
    throw new Error(`${source}: damaged gzip data (${(error as Error).message})`);
  }
  members.end(bytes.length);
  return output.bytes();
}

/** Inflated bytes, refused past the size the IDX header declares once the header has arrived. */
class IdxOutput {
  private buffer = new Uint8Array(MAX_HEADER_BYTES);
  private length = 0;
  private header: IdxHeader | undefined;
  private failure: unknown;

  /** `compressedBytes` sizes the first reservation once the header is in: most files inflate to a few times their size. */
  constructor(
    private readonly source: string,
    private readonly compressedBytes: number,
  ) {}

  add(chunk: Uint8Array): void {
    try {
      this.addChecked(chunk);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  failed(error: unknown): boolean {
    return error === this.failure;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private addChecked(chunk: Uint8Array): void {
    let rest = chunk;
    if (!this.header) {
      // The header is at most MAX_HEADER_BYTES long, so it is complete (or refused) once that many have arrived.
      const take = Math.min(rest.length, MAX_HEADER_BYTES - this.length);
      this.append(rest.subarray(0, take));
      rest = rest.subarray(take);
      this.header = readHeader(this.bytes(), this.source);
      if (!this.header) return;
      this.reserve(Math.min(this.header.totalBytes, 4 * this.compressedBytes + 65536));
    }
    const { shape, totalBytes } = this.header;
    if (this.length + rest.length > totalBytes) {
      throw new Error(`${this.source}: gzip data runs past the ${totalBytes} bytes its IDX header declares (shape [${shape.join(', ')}]); stopped inflating at ${this.length + rest.length} bytes`);
    }
    this.append(rest);
  }

  /** Grows by doubling, never past the declared size: memory follows the data that arrives, not the header's claim. */
  private append(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) this.reserve(Math.min(this.header?.totalBytes ?? needed, Math.max(needed, 2 * this.buffer.length)));
    this.buffer.set(chunk, this.length);
    this.length = needed;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.buffer.length) return;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes());
    this.buffer = grown;
  }
}

/** Each member's inflated CRC-32 and length against its 8-byte trailer (CRC, length mod 2³², little-endian). */
class GzipMembers {
  private crc = 0;
  private length = 0;
  private start = 0;
  private failure: unknown;

  constructor(
    private readonly file: Uint8Array,
    private readonly source: string,
  ) {}

  add(chunk: Uint8Array): void {
    this.crc = crc32(chunk, this.crc);
    this.length += chunk.length;
  }

  failed(error: unknown): boolean {
    return error === this.failure;
  }

  /** The member that ends at byte `end` of the file (where the next one starts, or the file's end). */
  end(end: number): void {
    try {
      this.check(end);
    } catch (error) {
      this.failure = error;
      throw error;
    }
    [this.crc, this.length, this.start] = [0, 0, end];
  }

  private check(end: number): void {
    if (end - 8 < this.start + 10) throw new Error(`${this.source}: truncated gzip member at byte ${this.start}`);
    const trailer = new DataView(this.file.buffer, this.file.byteOffset + end - 8, 8);
    const expectedLength = trailer.getUint32(4, true);
    if (this.length % 2 ** 32 !== expectedLength) {
      throw new Error(`${this.source}: damaged gzip data (inflates to ${this.length} bytes, trailer says ${expectedLength})`);
    }
    if (this.crc !== trailer.getUint32(0, true)) throw new Error(`${this.source}: damaged gzip data (CRC-32 mismatch)`);
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
