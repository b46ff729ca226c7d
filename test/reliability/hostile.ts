// Hostile compressed inputs built in memory, cheaply: a decompression bomb of a gigabyte is
// about a megabyte of deflate data, made without ever holding the gigabyte.
import { constants, deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/io/checkpoint.ts';

const MEGABYTE = 1 << 20;

/**
 * Raw deflate data inflating to `prefix` followed by `megabytes` MiB of zeros. One MiB of zeros
 * is deflated once, from an empty window and sync-flushed: it ends on a byte boundary and refers
 * to nothing before its own start, so the same bytes can follow each other any number of times.
 */
export function deflateBomb(prefix: Uint8Array, megabytes: number): Uint8Array {
  const syncFlushed = (bytes: Uint8Array) => new Uint8Array(deflateRawSync(bytes, { level: 9, finishFlush: constants.Z_SYNC_FLUSH }));
  const head = prefix.length > 0 ? [syncFlushed(prefix)] : [];
  const megabyteOfZeros = syncFlushed(new Uint8Array(MEGABYTE));
  const finalEmptyBlock = Uint8Array.from([0x03, 0x00]);
  return concat([...head, ...Array<Uint8Array>(megabytes).fill(megabyteOfZeros), finalEmptyBlock]);
}

/** A zlib stream (as PNG's IDAT holds) around raw deflate data; the Adler-32 is left zero (fflate does not check it). */
export function zlibWrap(deflated: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([0x78, 0xda]), deflated, new Uint8Array(4)]);
}

/** One gzip member around raw deflate data, with the given trailer (CRC-32 and length mod 2³²). */
export function gzipWrap(deflated: Uint8Array, crc = 0, length = 0): Uint8Array {
  const header = Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, crc >>> 0, true);
  new DataView(trailer.buffer).setUint32(4, length >>> 0, true);
  return concat([header, deflated, trailer]);
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** IHDR data: width, height, bit depth, colour type, compression 0, filter 0, interlace. */
export function ihdr(width: number, height: number, depth = 8, colourType = 0, interlace = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([depth, colourType, 0, 0, interlace], 8);
  return data;
}

/** A PNG of the given IHDR whose image data is `zlibData` (one IDAT chunk). */
export function pngWithImageData(header: Uint8Array, zlibData: Uint8Array): Uint8Array {
  return concat([PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', zlibData), pngChunk('IEND', new Uint8Array(0))]);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Runs `read`, expecting it to throw; returns the error with the time taken and the growth of resident memory. */
export function measureRefusal(read: () => unknown): { error: Error; ms: number; rssGrowthMb: number } {
  const rssBefore = process.memoryUsage.rss();
  const start = performance.now();
  try {
    read();
  } catch (error) {
    const ms = performance.now() - start;
    return { error: error as Error, ms, rssGrowthMb: (process.memoryUsage.rss() - rssBefore) / MEGABYTE };
  }
  throw new Error('measureRefusal: expected the read to throw');
}
