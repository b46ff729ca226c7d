// The fuzz corpus: for every format espgpu reads, a seeded generator makes well over a thousand
// mutants (bit flips, inserted and deleted bytes, truncation, duplicated chunks and members,
// header fields rewritten to lie — with checksums recomputed, so the lies get past them) and
// runs each through its reader in-process. A reader must parse it or throw the project's own
// named error for that reader; nothing else (no TypeError or RangeError from a DataView), no
// case slower than a second and no case that grows the process by hundreds of megabytes.
//
// Corruption-suite folders have no in-memory reader (loadCorruptionSuite reads a directory);
// what it does per file — parseNpy then datasetFromNpy — is the npy target here.
import { describe, expect, it } from 'vitest';
import { gzipSync, unzlibSync, zlibSync } from 'fflate';
import { parseCifarBatch, type CifarLabels } from '../../src/data/cifarBinary.ts';
import { parseIdx } from '../../src/data/idx.ts';
import { datasetFromNpy } from '../../src/data/imageDataset.ts';
import { encodeNpy, parseNpy, type NpyArray } from '../../src/data/npy.ts';
import { decodePngImage } from '../../src/data/pngFolder.ts';
import { CheckpointError, crc32, decodeTrainingCheckpoint, encodeTrainingCheckpoint, type ModelLayout } from '../../src/io/checkpoint.ts';
import { resolveRunSpec, type RunSpec } from '../../src/train/runSpec.ts';
import { ValidationError } from '../../src/validate.ts';
import { TestRandom } from '../helpers/random.ts';
import { cifarRecords, idxFile, png } from '../data/fixtures.ts';
import { concat, deflateBomb, gzipWrap, ihdr, PNG_SIGNATURE, pngChunk, zlibWrap } from './hostile.ts';
import { BYTE_MUTATIONS, clone, deeplyNested, edgeU32, JSON_MUTATIONS, jsonText, mutateWith, pick, randomBytes, type Mutation } from './mutate.ts';

const MUTANTS = 1200;
const CASE_LIMIT_MS = 1000;
const RSS_GROWTH_LIMIT_MB = 200;
const TEST_TIMEOUT_MS = 60_000;

// ---- the harness ----

interface Target<T> {
  name: string;
  generate(random: TestRandom): { input: T; how: string[] };
  read(input: T): unknown;
  /** the reader's own error: what a caller can catch and show */
  named(error: unknown): boolean;
  /** what a successful read must satisfy */
  check(result: unknown, input: T): void;
  /** the input in a failure report */
  show(input: T): string;
  /** mutations no reader may accept: a bomb, data past the declared size */
  refused?: readonly string[];
}

interface Tally {
  tried: number;
  parsed: number;
  named: number;
  other: string[];
  slow: string[];
  heavy: string[];
}

function runCorpus<T>(target: Target<T>, seed: number): Tally {
  const random = new TestRandom(seed);
  const tally: Tally = { tried: 0, parsed: 0, named: 0, other: [], slow: [], heavy: [] };
  for (let i = 0; i < MUTANTS; i++) {
    const { input, how } = target.generate(random);
    const label = () => `#${i} (${how.join(' + ')})`;
    const rssBefore = process.memoryUsage.rss();
    const start = performance.now();
    const problem = outcome(target, input, how, tally);
    const ms = performance.now() - start;
    const grewMb = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;
    tally.tried++;
    if (problem) tally.other.push(`${label()}: ${problem} — input ${target.show(input)}`);
    if (ms > CASE_LIMIT_MS) tally.slow.push(`${label()}: ${ms.toFixed(0)} ms — input ${target.show(input)}`);
    if (grewMb > RSS_GROWTH_LIMIT_MB) tally.heavy.push(`${label()}: resident memory grew ${grewMb.toFixed(0)} MB — input ${target.show(input)}`);
  }
  console.log(`fuzz ${target.name}: ${tally.tried} mutants, ${tally.parsed} parsed, ${tally.named} named errors, ${tally.other.length} other`);
  for (const problem of [...tally.other, ...tally.slow, ...tally.heavy].slice(0, 40)) console.log(`  ${problem.slice(0, 600)}`);
  return tally;
}

/** Counts a parse or a named error; returns what went wrong otherwise. */
function outcome<T>(target: Target<T>, input: T, how: readonly string[], tally: Tally): string | undefined {
  let result: unknown;
  try {
    result = target.read(input);
  } catch (error) {
    if (target.named(error)) {
      tally.named++;
      return undefined;
    }
    return `unnamed error ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`;
  }
  try {
    target.check(result, input);
  } catch (error) {
    return `parsed, but inconsistent: ${(error as Error).message}`;
  }
  const refusable = how.find((h) => target.refused?.includes(h));
  if (refusable) return `parsed, but "${refusable}" must be refused`;
  tally.parsed++;
  return undefined;
}

function expectClean(tally: Tally): void {
  expect(tally.tried).toBeGreaterThanOrEqual(1000);
  expect(tally.other.slice(0, 5)).toEqual([]);
  expect(tally.slow.slice(0, 5)).toEqual([]);
  expect(tally.heavy.slice(0, 5)).toEqual([]);
}

/** A data reader's named error: a plain Error whose message starts with the file name it was given. */
function namesSource(source: string) {
  return (error: unknown) => error instanceof Error && error.constructor === Error && error.message.startsWith(`${source}: `);
}

function hex(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, 160), (b) => b.toString(16).padStart(2, '0')).join('');
  return bytes.length > 160 ? `${bytes.length} bytes ${shown}…` : `${bytes.length} bytes ${shown}`;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

const seedData = new TestRandom(20261206);

// ---- IDX, raw and gzipped ----

const IDX_SEEDS = [idxFile([3, 5, 4], randomBytes(seedData, 60)), idxFile([7], randomBytes(seedData, 7)), idxFile([2, 2, 2, 2], randomBytes(seedData, 16)), idxFile([0, 28, 28], new Uint8Array(0))];

const IDX_FIELDS: Record<string, Mutation<Uint8Array>> = {
  'dimension rewrite': (bytes, random) => {
    const out = bytes.slice();
    const ndim = Math.min(4, out[3] ?? 0);
    if (ndim < 1 || out.length < 4 + 4 * ndim) return out;
    new DataView(out.buffer).setUint32(4 + 4 * random.int(0, ndim), random.next() < 0.5 ? edgeU32(random) : random.int(0, 100));
    return out;
  },
  'ndim rewrite': (bytes, random) => withByte(bytes, 3, pick(random, [0, 1, 2, 3, 4, 5, 255])),
  'dtype rewrite': (bytes, random) => withByte(bytes, 2, pick(random, [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff])),
  'magic rewrite': (bytes, random) => withByte(bytes, random.int(0, 2), random.int(0, 256)),
};

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  if (at < out.length) out[at] = value;
  return out;
}

const idxTarget = (source: string, generate: Target<Uint8Array>['generate']): Target<Uint8Array> => ({
  name: source.endsWith('.gz') ? 'IDX gz' : 'IDX raw',
  generate,
  read: (bytes) => parseIdx(bytes, source),
  named: namesSource(source),
  check: (result) => {
    const { shape, data } = result as ReturnType<typeof parseIdx>;
    check(shape.length >= 1 && shape.length <= 4 && data.length === product(shape), `shape [${shape}] with ${data.length} bytes`);
  },
  show: hex,
  refused: ['member twice', 'bomb member after'],
});

/** Two MiB of zeros as a gzip member: a small bomb, appended to see reading stop. */
const GZIP_BOMB_MEMBER = gzipWrap(deflateBomb(new Uint8Array(0), 2));

const GZIP_FIELDS: Record<string, Mutation<Uint8Array>> = {
  'gzip flags': (bytes, random) => withByte(bytes, 3, random.next() < 0.5 ? random.int(0, 32) : random.int(0, 256)),
  'gzip method': (bytes, random) => withByte(bytes, 2, random.int(0, 256)),
  'trailer CRC lie': (bytes, random) => withU32(bytes, bytes.length - 8, edgeU32(random), true),
  'trailer length lie': (bytes, random) => withU32(bytes, bytes.length - 4, edgeU32(random), true),
  'member twice': (bytes) => concat([bytes, bytes]),
  'bomb member after': (bytes) => concat([bytes, GZIP_BOMB_MEMBER]),
  'empty member before': (bytes) => concat([gzipSync(new Uint8Array(0)), bytes]),
};

function withU32(bytes: Uint8Array, at: number, value: number, littleEndian = false): Uint8Array {
  const out = bytes.slice();
  if (at >= 0 && at + 4 <= out.length) new DataView(out.buffer).setUint32(at, value >>> 0, littleEndian);
  return out;
}

/** gzip as `gzip` writes it, or as several members (`gzip -c a >> f; gzip -c b >> f`), cut anywhere. */
function gzipSomehow(raw: Uint8Array, random: TestRandom): Uint8Array {
  if (random.next() < 0.6) return gzipSync(raw, random.next() < 0.5 ? {} : { filename: 'train-images-idx3-ubyte', mtime: 0 });
  const cuts = Array.from({ length: random.int(1, 4) }, () => random.int(0, raw.length + 1)).sort((a, b) => a - b);
  return concat([0, ...cuts].map((from, i) => gzipSync(raw.subarray(from, cuts[i] ?? raw.length))));
}

const idxRaw = idxTarget('fuzz.idx', (random) => {
  const { mutant, how } = mutateWith(pick(random, IDX_SEEDS), random, BYTE_MUTATIONS, IDX_FIELDS);
  return { input: mutant, how };
});

const idxGz = idxTarget('fuzz.idx.gz', (random) => {
  let raw = pick(random, IDX_SEEDS);
  const how: string[] = [];
  if (random.next() < 0.5) {
    const inner = mutateWith(raw, random, BYTE_MUTATIONS, IDX_FIELDS);
    raw = inner.mutant;
    how.push(...inner.how.map((h) => `inflated: ${h}`));
  }
  let gz = gzipSomehow(raw, random);
  if (random.next() < 0.7) {
    const outer = mutateWith(gz, random, BYTE_MUTATIONS, GZIP_FIELDS);
    gz = outer.mutant;
    how.push(...outer.how);
  }
  return { input: gz, how };
});

// ---- .npy ----

interface NpySeed {
  array: NpyArray;
  descr: string;
}

const NPY_SEEDS: NpySeed[] = [
  { array: { dtype: 'u1', shape: [2, 4, 3, 3], data: randomBytes(seedData, 72) }, descr: '|u1' },
  { array: { dtype: 'u1', shape: [3, 2, 2], data: randomBytes(seedData, 12) }, descr: '|u1' },
  { array: { dtype: 'i8', shape: [2], data: BigInt64Array.from([3n, 7n]) }, descr: '<i8' },
  { array: { dtype: 'f4', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, descr: '<f4' },
  { array: { dtype: 'u2', shape: [5], data: Uint16Array.from([1, 2, 3, 4, 5]) }, descr: '<u2' },
];

const NPY_DESCRS = ['<f16', '>f4', '|O', '<U10', 'f4', '<i3', '<c8', '|b1', '<u1', '|u1', '<f8', '=f4', '', "'", '<i8 '];
const NPY_SHAPES = ['(99999999999, 99999999)', '(-1,)', '()', '(0,)', '(1e9,)', '(2**40,)', '(4294967296, 4294967296, 4294967296)', '(999999999999999, 999999999999999)', '(3, 4,)', '(3 4)', '(,)', '(1, 0, 5)', '[2, 2]', '(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)'];

/** The preamble and dict of a .npy file, its fields as given (lies included). */
function npyFile(dict: string, data: Uint8Array, major = 1, pad = true): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const text = pad ? dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n' : dict;
  const out = new Uint8Array(prefix + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length & 0xffff, true);
  else view.setUint32(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i) & 0xff;
  out.set(data, prefix + text.length);
  return out;
}

function npyDict(fields: [string, string][]): string {
  return `{${fields.map(([k, v]) => `'${k}': ${v}`).join(', ')}, }`;
}

function dataBytes(array: NpyArray): Uint8Array {
  return new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
}

/** A header rewritten field by field: lying shapes, unknown dtypes, odd versions, missing or repeated keys. */
function npyHeaderMutant(seed: NpySeed, random: TestRandom): { input: Uint8Array; how: string[] } {
  const shape = seed.array.shape.length === 1 ? `(${seed.array.shape[0]},)` : `(${seed.array.shape.join(', ')})`;
  const fields: [string, string][] = [
    ['descr', `'${seed.descr}'`],
    ['fortran_order', 'False'],
    ['shape', shape],
  ];
  const how: string[] = [];
  for (let edits = random.int(1, 3); edits > 0; edits--) {
    const edit = random.int(0, 6);
    const set = (key: string, value: string) => fields.forEach((f) => f[0] === key && (f[1] = value));
    if (edit === 0) set('descr', `'${pick(random, NPY_DESCRS)}'`);
    if (edit === 1) set('fortran_order', pick(random, ['True', '1', 'None', 'false']));
    if (edit === 2) set('shape', random.next() < 0.7 ? pick(random, NPY_SHAPES) : `(${Array.from({ length: random.int(1, 5) }, () => random.int(0, 10)).join(', ')})`);
    if (edit === 3) fields.splice(random.int(0, fields.length), 1);
    if (edit === 4) fields.push([...pick(random, [...fields, ['extra', '1'] as [string, string]])]);
    if (edit === 5) fields.reverse();
    how.push(['descr', 'fortran_order', 'shape', 'drop a key', 'add a key', 'key order'][edit]!);
  }
  const major = random.next() < 0.7 ? 1 : pick(random, [0, 2, 3, 4, 255]);
  if (major !== 1) how.push(`version ${major}`);
  return { input: npyFile(npyDict(fields), dataBytes(seed.array), major, random.next() < 0.9), how };
}

const NPY_FIELDS: Record<string, Mutation<Uint8Array>> = {
  'header length lie': (bytes, random) => {
    const out = bytes.slice();
    if (out.length >= 12) new DataView(out.buffer).setUint16(8, random.next() < 0.5 ? edgeU32(random) & 0xffff : out[8]! + random.int(-8, 9), true);
    return out;
  },
  'version byte': (bytes, random) => withByte(bytes, 6, pick(random, [0, 1, 2, 3, 4, 255])),
};

const npyTarget: Target<Uint8Array> = {
  name: 'npy',
  generate: (random) => {
    const seed = pick(random, NPY_SEEDS);
    const start = random.next() < 0.4 ? npyHeaderMutant(seed, random) : { input: encodeNpy(seed.array), how: [] as string[] };
    if (start.how.length > 0 && random.next() < 0.5) return start;
    const { mutant, how } = mutateWith(start.input, random, BYTE_MUTATIONS, NPY_FIELDS);
    return { input: mutant, how: [...start.how, ...how] };
  },
  // As loadCorruptionSuite reads a file: parse, then turn uint8 images into a dataset.
  read: (bytes) => {
    const array = parseNpy(bytes, 'fuzz.npy');
    const count = array.shape[0] ?? 0;
    if (array.dtype === 'u1' && array.shape.length >= 3) {
      return { array, dataset: datasetFromNpy(array, { dtype: 'u1', shape: [count], data: new Uint8Array(count) }, 10, 'fuzz.npy') };
    }
    return { array };
  },
  named: namesSource('fuzz.npy'),
  check: (result) => {
    const { array } = result as { array: NpyArray };
    check(array.data.length === product(array.shape), `shape (${array.shape}) with ${array.data.length} elements`);
  },
  show: hex,
};

// ---- CIFAR binary ----

interface CifarInput {
  bytes: Uint8Array;
  kind: CifarLabels;
  source: string;
}

const CIFAR_SEEDS: { bytes: Uint8Array; kind: CifarLabels }[] = [
  { bytes: cifarRecords([[3], [9]], () => randomBytes(seedData, 3072)), kind: 'cifar10' },
  { bytes: cifarRecords([[19, 99], [0, 0]], () => randomBytes(seedData, 3072)), kind: 'cifar100-fine' },
  { bytes: cifarRecords([[5, 42]], () => randomBytes(seedData, 3072)), kind: 'cifar100-coarse' },
];

const CIFAR_FIELDS: Record<string, Mutation<Uint8Array>> = {
  'label rewrite': (bytes, random) => withByte(bytes, random.int(0, 2) * 3073 + random.int(0, 2), random.int(0, 256)),
  'one byte more': (bytes, random) => concat([bytes, randomBytes(random, 1)]),
  'one byte less': (bytes) => bytes.slice(0, -1),
  'a record of the other size': (bytes, random) => concat([bytes, new Uint8Array(pick(random, [3073, 3074]))]),
};

const cifarTarget: Target<CifarInput> = {
  name: 'CIFAR binary',
  generate: (random) => {
    const seed = pick(random, CIFAR_SEEDS);
    const { mutant, how } = mutateWith(seed.bytes, random, BYTE_MUTATIONS, CIFAR_FIELDS);
    // Now and then the other release's file name, which must be refused.
    const source = pick(random, ['fuzz.bin', 'fuzz.bin', 'fuzz.bin', 'data_batch_1.bin', 'train.bin']);
    return { input: { bytes: mutant, kind: seed.kind, source }, how };
  },
  read: ({ bytes, kind, source }) => parseCifarBatch(bytes, kind, source),
  named: (error) => error instanceof Error && error.constructor === Error && /^(fuzz|data_batch_1|train)\.bin: /.test(error.message),
  check: (result) => {
    const data = result as ReturnType<typeof parseCifarBatch>;
    check(data.images.length === product(data.shape) && data.labels.length === data.shape[0], `shape [${data.shape}]`);
  },
  show: ({ bytes, kind, source }) => `${kind} ${source} ${hex(bytes)}`,
};

// ---- PNG ----

interface Chunk {
  type: string;
  data: Uint8Array;
}

/** 3×3 greyscale, Adam7-interlaced: passes 1, 4, 5, 6 (two rows), 7 hold 1, 1, 2, 1, 1, 3 pixels a row. */
function interlacedPng(): Uint8Array {
  const rows = [1, 1, 2, 1, 1, 3].map((pixels) => concat([new Uint8Array(1), randomBytes(seedData, pixels)]));
  return concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(3, 3, 8, 0, 1)), pngChunk('IDAT', zlibSync(concat(rows))), pngChunk('IEND', new Uint8Array(0))]);
}

const PNG_SEEDS = [
  png(5, 4, 1, randomBytes(seedData, 20)),
  png(3, 3, 4, randomBytes(seedData, 36)),
  png(2, 3, 3, Uint16Array.from(randomBytes(seedData, 18), (v) => v * 257), { depth: 16 }),
  png(4, 2, 1, Uint8Array.from(randomBytes(seedData, 8), (v) => v % 3), { palette: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] }),
  png(10, 1, 1, randomBytes(seedData, 2), { depth: 1 }),
  png(2, 2, 2, randomBytes(seedData, 8)),
  interlacedPng(),
].map(toChunks);

function toChunks(bytes: Uint8Array): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    chunks.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), data: bytes.slice(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

/** Each chunk with a correct CRC: the lies these mutations tell get past the CRC check. */
function fromChunks(chunks: readonly Chunk[]): Uint8Array {
  return concat([PNG_SIGNATURE, ...chunks.map((c) => pngChunk(c.type, c.data))]);
}

const PNG_ZLIB_BOMB = zlibWrap(deflateBomb(new Uint8Array(0), 2));

const PNG_CHUNK_MUTATIONS: Record<string, Mutation<Chunk[]>> = {
  'IHDR field': (chunks, random) =>
    chunks.map((c) => {
      if (c.type !== 'IHDR' || c.data.length < 13) return c;
      const data = c.data.slice();
      const field = random.int(0, 7);
      if (field < 2) new DataView(data.buffer).setUint32(4 * field, random.next() < 0.5 ? edgeU32(random) : random.int(0, 12));
      else data[6 + field] = pick(random, field === 2 ? [0, 1, 2, 3, 4, 5, 8, 16, 32, 255] : [0, 1, 2, 3, 4, 5, 6, 7, 255]);
      return { type: c.type, data };
    }),
  'duplicate a chunk': (chunks, random) => {
    const out = [...chunks];
    out.splice(random.int(0, out.length + 1), 0, pick(random, chunks));
    return out;
  },
  'delete a chunk': (chunks, random) => chunks.filter((_, i) => i !== random.int(0, chunks.length) || chunks.length === 1),
  'swap two chunks': (chunks, random) => {
    const out = [...chunks];
    const [i, j] = [random.int(0, out.length), random.int(0, out.length)];
    [out[i], out[j]] = [out[j]!, out[i]!];
    return out;
  },
  'image data rewrite': (chunks, random) => {
    const first = chunks.findIndex((c) => c.type === 'IDAT');
    if (first < 0) return chunks;
    let raw: Uint8Array;
    try {
      raw = unzlibSync(concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
    } catch {
      return chunks;
    }
    raw = mutateWith(raw, random, {
      'filter byte': (r) => withByte(r, random.int(0, r.length), random.int(0, 256)),
      'shorter by a few': (r) => r.slice(0, Math.max(0, r.length - random.int(1, 5))),
      'longer by a few': (r) => concat([r, randomBytes(random, random.int(1, 5))]),
      'bit flips': BYTE_MUTATIONS['bit flips']!,
    }).mutant;
    const packed = zlibSync(raw);
    const cut = random.int(0, packed.length + 1);
    const parts = [packed.subarray(0, cut), packed.subarray(cut)].filter((p) => p.length > 0).map((data) => ({ type: 'IDAT', data }));
    return [...chunks.slice(0, first).filter((c) => c.type !== 'IDAT'), ...parts, ...chunks.slice(first).filter((c) => c.type !== 'IDAT')];
  },
  'image data bomb': (chunks) => chunks.map((c) => (c.type === 'IDAT' ? { type: 'IDAT', data: PNG_ZLIB_BOMB } : c)),
  'palette rewrite': (chunks, random) => {
    const palette = { type: 'PLTE', data: randomBytes(random, pick(random, [0, 1, 2, 3, 6, 9, 768, 771])) };
    const at = chunks.findIndex((c) => c.type === 'PLTE');
    return at >= 0 ? chunks.map((c, i) => (i === at ? palette : c)) : [chunks[0]!, palette, ...chunks.slice(1)];
  },
  'ancillary chunk': (chunks, random) => {
    const type = pick(random, ['tEXt', 'zTXt', 'iCCP', 'tRNS', 'bKGD', 'abCd']);
    const data = type === 'iCCP' && random.next() < 0.3 ? concat([Uint8Array.from([0x61, 0, 0]), PNG_ZLIB_BOMB]) : randomBytes(random, random.int(0, 40));
    const out = [...chunks];
    out.splice(random.int(1, out.length + 1), 0, { type, data });
    return out;
  },
  'unknown critical chunk': (chunks, random) => {
    const out = [...chunks];
    out.splice(random.int(1, out.length), 0, { type: pick(random, ['ABCD', 'IDAx', 'CgBI']), data: randomBytes(random, 4) });
    return out;
  },
};

const pngTarget: Target<Uint8Array> = {
  name: 'PNG',
  generate: (random) => {
    const seed = pick(random, PNG_SEEDS);
    const how: string[] = [];
    let chunks = seed;
    if (random.next() < 0.6) {
      const structured = mutateWith(chunks, random, PNG_CHUNK_MUTATIONS);
      chunks = structured.mutant;
      how.push(...structured.how);
    }
    let bytes = fromChunks(chunks);
    if (how.length === 0 || random.next() < 0.3) {
      const damaged = mutateWith(bytes, random, BYTE_MUTATIONS);
      bytes = damaged.mutant;
      how.push(...damaged.how);
    }
    return { input: bytes, how };
  },
  read: (bytes) => decodePngImage(bytes, 'fuzz.png'),
  refused: ['image data bomb'],
  named: namesSource('fuzz.png'),
  check: (result) => {
    const image = result as ReturnType<typeof decodePngImage>;
    check(image.pixels.length === image.channels * image.height * image.width, `${image.channels}×${image.height}×${image.width} with ${image.pixels.length} bytes`);
  },
  show: hex,
};

// ---- safetensors checkpoints ----

const LAYOUT: ModelLayout = {
  model: 'tiny',
  parameters: [
    { name: 'w', shape: [2, 3] },
    { name: 'b', shape: [3] },
  ],
  state: [{ name: 'mean', shape: [3] }],
};

const CHECKPOINT = encodeTrainingCheckpoint(
  {
    model: 'tiny',
    step: 5,
    epoch: 1,
    seed: 7,
    settings: { lr: 0.1 },
    parameters: new Map([
      ['w', Float32Array.from([1, 2, 3, 4, 5, 6])],
      ['b', Float32Array.from([7, 8, 9])],
    ]),
    momentum: new Map([
      ['w', new Float32Array(6)],
      ['b', new Float32Array(3)],
    ]),
    state: new Map([['mean', Float32Array.from([0.5, 0.5, 0.5])]]),
  },
  LAYOUT,
);

interface Safetensors {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function splitSafetensors(bytes: Uint8Array): Safetensors {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))), data: bytes.slice(8 + length) };
}

/** Header and data as a file, with a correct checksum when the header has a checksum field: the lies get past it. */
function signedSafetensors({ header, data }: Safetensors): Uint8Array {
  const metadata = header.__metadata__;
  const signable = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) && 'checksum' in metadata;
  if (signable) (metadata as Record<string, unknown>).checksum = '00000000';
  const json = new TextEncoder().encode(jsonText(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const file = new Uint8Array(8 + headerLength + data.length);
  new DataView(file.buffer).setUint32(0, headerLength, true);
  file.set(json, 8);
  file.fill(0x20, 8 + json.length, 8 + headerLength);
  file.set(data, 8 + headerLength);
  const field = new TextEncoder().encode('"checksum":"00000000"');
  const at = indexOf(file, field);
  if (signable && at >= 0) file.set(new TextEncoder().encode(crc32(file).toString(16).padStart(8, '0')), at + field.length - 9);
  return file;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Nested past where a recursive JSON.stringify in an error message overflows the stack. */
const DEEP = deeplyNested(100_000);
const TENSOR_VALUES: Record<string, unknown[]> = {
  dtype: ['F16', 'BF16', 'f32', '', 'F64', 5, null, DEEP],
  shape: [[-1], [1e20], [2 ** 53], ['3'], null, [], [0], [3, 2 ** 40], [[2]], [2, 3.5], [6], DEEP],
  data_offsets: [[0, 1e15], [5, 2], [0], [0, 24, 48], [-4, 20], ['0', '24'], [2 ** 53, 2 ** 53 + 4], null, [0, 2 ** 64], [0, 0], DEEP],
};
const METADATA_VALUES: unknown[] = ['', 'NaN', '-1', '1e3', '9007199254740993', '00', '2', '1', 'tiny', 'espgpu-checkpoint', '{', '[]', 'null', 5, null, {}, '١٢', DEEP];
const METADATA_KEYS = ['format', 'format_version', 'model', 'step', 'epoch', 'seed', 'settings', 'checksum'];

const tensorNames = (header: Record<string, unknown>) => Object.keys(header).filter((k) => k !== '__metadata__');
const metadataOf = (header: Record<string, unknown>) => header.__metadata__ as Record<string, unknown>;

function copyOf(file: Safetensors): Safetensors {
  return { header: clone(file.header), data: file.data };
}

/** Edits of the parsed header (a copy), made before signing. */
const SAFETENSORS_FIELDS: Record<string, Mutation<Safetensors>> = {
  'tensor field': (file, random) => {
    const copy = copyOf(file);
    const name = pick(random, tensorNames(copy.header));
    const field = pick(random, Object.keys(TENSOR_VALUES));
    const entry = copy.header[name];
    if (typeof entry === 'object' && entry !== null) (entry as Record<string, unknown>)[field] = pick(random, TENSOR_VALUES[field]!);
    return copy;
  },
  'tensor offsets shift': (file, random) => {
    const copy = copyOf(file);
    const entry = copy.header[pick(random, tensorNames(copy.header))] as { data_offsets?: unknown };
    if (Array.isArray(entry?.data_offsets)) entry.data_offsets = entry.data_offsets.map((o) => (typeof o === 'number' ? o + pick(random, [-4, 4, 1]) : o));
    return copy;
  },
  'tensor twice': (file, random) => {
    const copy = copyOf(file);
    copy.header[pick(random, ['momentum/mean', 'extra', 'w2'])] = clone(copy.header[pick(random, tensorNames(copy.header))]);
    return copy;
  },
  'metadata field': (file, random) => {
    const copy = copyOf(file);
    const metadata = metadataOf(copy.header);
    if (typeof metadata === 'object' && metadata !== null) metadata[pick(random, METADATA_KEYS)] = pick(random, METADATA_VALUES);
    return copy;
  },
  'metadata field deleted': (file, random) => {
    const copy = copyOf(file);
    const metadata = metadataOf(copy.header);
    if (typeof metadata === 'object' && metadata !== null) delete metadata[pick(random, METADATA_KEYS)];
    return copy;
  },
  'data cut': (file, random) => ({ header: clone(file.header), data: file.data.slice(0, random.int(0, file.data.length)) }),
  'header JSON edit': (file, random) => {
    const header = JSON_MUTATIONS[pick(random, Object.keys(JSON_MUTATIONS))]!(file.header, random);
    return { header: (typeof header === 'object' && header !== null ? header : { value: header }) as Record<string, unknown>, data: file.data };
  },
};

const SAFETENSORS_BYTES: Record<string, Mutation<Uint8Array>> = {
  'header length lie': (bytes, random) => {
    const out = withU32(bytes, 0, random.next() < 0.5 ? edgeU32(random) : new DataView(bytes.buffer).getUint32(0, true) + random.int(-9, 10), true);
    return random.next() < 0.2 ? withU32(out, 4, edgeU32(random), true) : out;
  },
};

const checkpointTarget: Target<Uint8Array> = {
  name: 'safetensors checkpoint',
  generate: (random) => {
    const how: string[] = [];
    let bytes = CHECKPOINT;
    if (random.next() < 0.6) {
      const edited = mutateWith(splitSafetensors(CHECKPOINT), random, SAFETENSORS_FIELDS);
      bytes = signedSafetensors(edited.mutant);
      how.push(...edited.how);
    }
    if (how.length === 0 || random.next() < 0.3) {
      const damaged = mutateWith(bytes, random, BYTE_MUTATIONS, SAFETENSORS_BYTES);
      bytes = damaged.mutant;
      how.push(...damaged.how);
    }
    return { input: bytes, how };
  },
  read: (bytes) => decodeTrainingCheckpoint(bytes, 'fuzz.safetensors', LAYOUT),
  named: (error) => error instanceof CheckpointError && error.source === 'fuzz.safetensors',
  check: (result) => {
    const checkpoint = result as ReturnType<typeof decodeTrainingCheckpoint>;
    for (const { name, shape } of LAYOUT.parameters) check(checkpoint.parameters.get(name)?.length === product(shape), `parameter ${name}`);
  },
  show: (bytes) => new TextDecoder().decode(bytes.subarray(0, 400)).replace(/[^\x20-\x7e]/g, '.'),
};

// ---- RunSpec JSON ----

const RUN_SPEC_SEEDS: unknown[] = [
  {},
  { preset: 'cifar', epochs: 3, batchSize: 64, lr: 0.05, momentum: 0.8, schedule: { warmupEpochs: 0.5 }, augmentation: { method: 'esp', esp: { epsilon: 1, gamma: 20 } }, seed: 7, data: { dataset: 'cifar10', validation: 100 } },
  { model: 'mnist-cnn', epochs: 2, batchSize: 8, lr: 0.1, schedule: { kind: 'multistep', milestones: [1], gamma: 0.1 } },
  { augmentation: { method: 'augmix+l2', l2: { epsilon: 1 }, augmix: { width: 3, jsd: true }, labelSmoothing: 0.1, flip: true, crop: { padding: 2 }, range: [0, 1] } },
  { augmentation: { method: 'esp', esp: { epsilon: 1, xi: 0.6 }, normalization: { mean: [0.5], std: [0.25] } }, data: { dataset: 'png-folder', dir: 'x', trainLimit: 10, evalLimit: 5 } },
  { preset: 'mnist', outputs: { checkpoint: 'a.safetensors', checkpointEvery: 100, metrics: 'm.jsonl', curve: 'c.svg', suite: 'mnist-c', suiteLimit: 50 } },
];

const runSpecTarget: Target<unknown> = {
  name: 'RunSpec JSON',
  generate: (random) => {
    const { mutant, how } = mutateWith(pick(random, RUN_SPEC_SEEDS), random, JSON_MUTATIONS);
    return { input: mutant, how };
  },
  read: (spec) => resolveRunSpec(spec as RunSpec, 'fuzz.json'),
  named: (error) => error instanceof ValidationError && error.message.startsWith('fuzz.json: '),
  check: (result) => check(typeof (result as ReturnType<typeof resolveRunSpec>).recipe === 'object', 'no recipe'),
  show: (spec) => (spec === undefined ? 'undefined' : jsonText(spec).slice(0, 400)),
};

// ---- the runs ----

describe('fuzz corpus: every reader parses a mutant or throws its own named error', () => {
  it('the seeds themselves parse', () => {
    for (const bytes of IDX_SEEDS) expect(() => parseIdx(bytes, 's')).not.toThrow();
    for (const { array } of NPY_SEEDS) expect(() => parseNpy(encodeNpy(array), 's')).not.toThrow();
    for (const { bytes, kind } of CIFAR_SEEDS) expect(() => parseCifarBatch(bytes, kind, 's')).not.toThrow();
    for (const chunks of PNG_SEEDS) expect(() => decodePngImage(fromChunks(chunks), 's')).not.toThrow();
    expect(() => decodeTrainingCheckpoint(signedSafetensors(splitSafetensors(CHECKPOINT)), 's', LAYOUT)).not.toThrow();
    for (const spec of RUN_SPEC_SEEDS) expect(() => resolveRunSpec(spec as RunSpec)).not.toThrow();
  });

  const fuzzes = <T>(target: Target<T>, seed: number) => it(target.name, { timeout: TEST_TIMEOUT_MS }, () => expectClean(runCorpus(target, seed)));
  fuzzes(idxRaw, 1);
  fuzzes(idxGz, 2);
  fuzzes(npyTarget, 3);
  fuzzes(cifarTarget, 4);
  fuzzes(pngTarget, 5);
  fuzzes(checkpointTarget, 6);
  fuzzes(runSpecTarget, 7);
});
