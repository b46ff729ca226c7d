import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_VERSION,
  CheckpointError,
  crc32,
  decodeSafetensors,
  decodeTrainingCheckpoint,
  encodeSafetensors,
  encodeTrainingCheckpoint,
  type ModelLayout,
  type TrainingCheckpoint,
} from '../../src/io/checkpoint.ts';
import { TestRandom } from '../helpers/random.ts';

const SOURCE = 'runs/a.safetensors';

function values(n: number, seed: number): Float32Array {
  const rng = new TestRandom(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-2, 2));
}

const LAYOUT: ModelLayout = {
  model: 'tiny',
  parameters: [
    { name: 'conv.weight', shape: [2, 1, 3, 3] },
    { name: 'conv.bias', shape: [2] },
  ],
  state: [{ name: 'bn.running_mean', shape: [2] }],
};

function trainingCheckpoint(): TrainingCheckpoint {
  return {
    model: 'tiny',
    step: 12,
    epoch: 3,
    seed: 7,
    settings: { epochs: 5, sgd: { lr: 0.1 } },
    parameters: new Map([
      ['conv.weight', values(18, 1)],
      ['conv.bias', values(2, 2)],
    ]),
    momentum: new Map([
      ['conv.weight', values(18, 3)],
      ['conv.bias', values(2, 4)],
    ]),
    state: new Map([['bn.running_mean', values(2, 5)]]),
  };
}

/** A safetensors file from a header object as given (no checksum unless in it): for malformed cases. */
function rawFile(header: unknown, dataBytes: number, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const file = new Uint8Array(8 + json.length + dataBytes);
  new DataView(file.buffer).setUint32(0, json.length, true);
  file.set(json, 8);
  return file;
}

function expectRefused(bytes: Uint8Array, problem: RegExp): void {
  let error: unknown;
  try {
    decodeSafetensors(bytes, SOURCE);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as Error).message).toMatch(new RegExp(`^checkpoint runs/a\\.safetensors: ${problem.source}`));
}

describe('crc32', () => {
  it('matches the standard check value and continues across pieces', () => {
    const text = new TextEncoder().encode('123456789');
    expect(crc32(text)).toBe(0xcbf43926);
    expect(crc32(text.subarray(4), crc32(text.subarray(0, 4)))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('safetensors files', () => {
  const tensors = [
    { name: 'a', shape: [2, 3], data: values(6, 1) },
    { name: 'b.weight', shape: [1], data: values(1, 2) },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  ];

  it('lays out the header, metadata and data as the safetensors format says', () => {
    const file = encodeSafetensors(tensors, { note: 'hello' });
    const view = new DataView(file.buffer);
    const headerLength = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength)));
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['b.weight']).toEqual({ dtype: 'F32', shape: [1], data_offsets: [24, 28] });
    expect(header.empty).toEqual({ dtype: 'F32', shape: [0, 4], data_offsets: [28, 28] });
    expect(header.__metadata__.note).toBe('hello');
    expect(header.__metadata__.checksum).toMatch(/^[0-9a-f]{8}$/);
    expect(file.length).toBe(8 + headerLength + 28);
    // Little-endian f32 data, as any safetensors reader expects.
    const data = new DataView(file.buffer, 8 + headerLength);
    expect(data.getFloat32(4, true)).toBe(tensors[0]!.data[1]);
    expect(data.getFloat32(24, true)).toBe(tensors[1]!.data[0]);
  });

  it('reads back what it wrote, exactly', () => {
    const { tensors: read, metadata } = decodeSafetensors(encodeSafetensors(tensors, { note: 'hello' }), SOURCE);
    expect(read.map((t) => t.name)).toEqual(['a', 'b.weight', 'empty']);
    read.forEach((t, i) => {
      expect(t.shape).toEqual(tensors[i]!.shape);
      expect(t.data).toEqual(tensors[i]!.data);
    });
    expect(metadata.note).toBe('hello');
  });

  it('reads a file held at an odd offset of a larger buffer (as Node file reads may give)', () => {
    const file = encodeSafetensors(tensors, {});
    const holder = new Uint8Array(file.length + 3);
    holder.set(file, 3);
    expect(decodeSafetensors(holder.subarray(3), SOURCE).tensors[0]!.data).toEqual(tensors[0]!.data);
  });

  it('refuses to write reserved, repeated or mis-sized tensors', () => {
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: new Float32Array(1) }], {})).toThrow(/reserved or used twice/);
    expect(() => encodeSafetensors([tensors[1]!, tensors[1]!], {})).toThrow(/"b.weight" is reserved or used twice/);
    expect(() => encodeSafetensors([{ name: 'x', shape: [3], data: new Float32Array(2) }], {})).toThrow(/"x" has 2 values for shape \[3\]/);
    expect(() => encodeSafetensors([], { checksum: '1' })).toThrow(/"checksum" is reserved/);
  });

  it('refuses every single flipped bit, anywhere in the file', () => {
    const file = encodeSafetensors(tensors.slice(0, 2), { note: 'x' });
    let refused = 0;
    for (let bit = 0; bit < file.length * 8; bit++) {
      const damaged = file.slice();
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      try {
        decodeSafetensors(damaged, SOURCE);
      } catch (error) {
        if (error instanceof CheckpointError && error.message.startsWith(`checkpoint ${SOURCE}: `)) refused++;
        else throw error;
      }
    }
    expect(refused).toBe(file.length * 8);
  });

  it('refuses every truncation and any appended byte', () => {
    const file = encodeSafetensors(tensors.slice(0, 2), {});
    for (let length = 0; length < file.length; length++) {
      expect(() => decodeSafetensors(file.subarray(0, length), SOURCE), `length ${length}`).toThrow(CheckpointError);
    }
    const longer = new Uint8Array(file.length + 1);
    longer.set(file);
    expectRefused(longer, /data bytes 28\.\.29 after the last tensor belong to no tensor/);
  });

  it('refuses random damage without crashing in other ways (fuzz)', () => {
    const file = encodeSafetensors(tensors, { note: 'fuzz' });
    const rng = new TestRandom(11);
    for (let trial = 0; trial < 2000; trial++) {
      const damaged = file.slice(0, rng.int(0, 3) === 0 ? rng.int(0, file.length) : file.length);
      const edits = rng.int(1, 6);
      for (let e = 0; e < edits && damaged.length > 0; e++) damaged[rng.int(0, damaged.length)] = rng.int(0, 256);
      if (damaged.length === file.length && damaged.every((b, i) => b === file[i])) continue;
      expect(() => decodeSafetensors(damaged, SOURCE)).toThrow(CheckpointError);
    }
    for (let trial = 0; trial < 200; trial++) {
      const garbage = Uint8Array.from({ length: rng.int(0, 200) }, () => rng.int(0, 256));
      expect(() => decodeSafetensors(garbage, SOURCE)).toThrow(CheckpointError);
    }
  });

  it('says what is wrong with a malformed file', () => {
    const entry = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    const meta = { checksum: '00000000' };
    expectRefused(new Uint8Array(5), /the file is 5 bytes, too short/);
    const huge = rawFile({}, 0);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expectRefused(huge, /header length 4294967298 is outside 2\.\.2/);
    expectRefused(rawFile(null, 0, '[1,2]'), /the header does not start with "\{"/);
    expectRefused(rawFile(null, 0, '{"a":'), /the header is not valid JSON/);
    expectRefused(rawFile(null, 0, '{"a":1}\u0000'), /the header is not valid JSON/);
    const badUtf8 = rawFile(null, 0, '{"a":"xx"}');
    badUtf8[14] = 0xff;
    expectRefused(badUtf8, /the header is not valid UTF-8/);
    expectRefused(rawFile({ a: entry }, 8), /the header has no "__metadata__"/);
    expectRefused(rawFile({ __metadata__: { step: 3 } }, 0), /metadata "step" is 3, not a string/);
    expectRefused(rawFile({ __metadata__: meta, a: 5 }, 8), /tensor "a" is not a \{ dtype, shape, data_offsets \} object/);
    expectRefused(rawFile({ __metadata__: meta, a: { ...entry, dtype: 'BF16' } }, 8), /tensor "a" has dtype "BF16"; espgpu checkpoints hold F32 only/);
    expectRefused(rawFile({ __metadata__: meta, a: { ...entry, shape: [2.5] } }, 8), /tensor "a" has shape \[2\.5\], not a list of non-negative integers/);
    expectRefused(rawFile({ __metadata__: meta, a: { ...entry, data_offsets: [-8, 0] } }, 8), /tensor "a" has data_offsets \[-8,0\]/);
    expectRefused(rawFile({ __metadata__: meta, a: { ...entry, data_offsets: [8, 0] } }, 8), /tensor "a" has data_offsets \[8, 0\] that end before they begin/);
    expectRefused(rawFile({ __metadata__: meta, a: { ...entry, extra: 1 } }, 8), /tensor "a" has unknown fields extra/);
    expectRefused(rawFile({ __metadata__: meta, a: entry }, 4), /tensor "a" needs data bytes 0\.\.8 but the file holds only 4 bytes of data \(truncated\?\)/);
    expectRefused(rawFile({ __metadata__: meta, a: { ...entry, shape: [3] } }, 8), /tensor "a" has shape \[3\] \(12 bytes\) but data_offsets span 8 bytes/);
    expectRefused(rawFile({ __metadata__: meta, a: entry, b: entry }, 8), /tensors "a" and "b" overlap \(data bytes 0\.\.8\)/);
    expectRefused(rawFile({ __metadata__: meta, a: { ...entry, data_offsets: [4, 12] } }, 12), /data bytes 0\.\.4 belong to no tensor/);
    expectRefused(rawFile({ __metadata__: {}, a: entry }, 8), /the metadata has no "checksum"/);
    expectRefused(rawFile({ __metadata__: { checksum: 'XYZ' }, a: entry }, 8), /the checksum "XYZ" is not 8 lowercase hex digits/);
    expectRefused(rawFile({ __metadata__: meta, a: entry }, 8), /checksum mismatch \(stored 00000000, computed [0-9a-f]{8}\): the file is damaged/);
  });

  it('names a field nested 100,000 deep instead of overflowing the stack (found by test/reliability/fuzz.test.ts)', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expectRefused(rawFile(null, 0, `{"__metadata__":{"step":${deep}}}`), /metadata "step" is \[\[\[\[…\]\]\]\], not a string/);
    const tensor = (field: string) => `{"__metadata__":{},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],${field}:${deep}}}`;
    expectRefused(rawFile(null, 8, tensor('"shape"')), /tensor "a" has shape \[\[\[\[…\]\]\]\], not a list of non-negative integers/);
    expectRefused(rawFile(null, 8, tensor('"data_offsets"')), /tensor "a" has data_offsets \[\[\[\[…\]\]\]\], not \[begin, end\]/);
    expectRefused(rawFile(null, 8, tensor('"dtype"')), /tensor "a" has dtype \[\[\[\[…\]\]\]\]; espgpu checkpoints hold F32 only/);
  });
});

describe('training checkpoints', () => {
  it('round-trips weights, momentum, state and metadata', () => {
    const original = trainingCheckpoint();
    const read = decodeTrainingCheckpoint(encodeTrainingCheckpoint(original, LAYOUT), SOURCE, LAYOUT);
    expect(read).toEqual(original);
  });

  it('stores parameters under their own names and momentum apart, readable by any safetensors reader', () => {
    const { tensors, metadata } = decodeSafetensors(encodeTrainingCheckpoint(trainingCheckpoint(), LAYOUT), SOURCE);
    expect(tensors.map((t) => t.name)).toEqual(['conv.weight', 'conv.bias', 'bn.running_mean', 'momentum/conv.weight', 'momentum/conv.bias']);
    expect(metadata).toMatchObject({ format: 'espgpu-checkpoint', format_version: String(CHECKPOINT_VERSION), model: 'tiny', step: '12', epoch: '3', seed: '7' });
    expect(JSON.parse(metadata.settings!)).toEqual({ epochs: 5, sgd: { lr: 0.1 } });
  });

  it('refuses a checkpoint of another model, naming what differs', () => {
    const file = encodeTrainingCheckpoint(trainingCheckpoint(), LAYOUT);
    const decode = (layout: ModelLayout) => () => decodeTrainingCheckpoint(file, SOURCE, layout);
    expect(decode({ ...LAYOUT, model: 'wrn-40-2' })).toThrow(/^checkpoint runs\/a\.safetensors: it holds model "tiny", but this run trains "wrn-40-2"/);
    const wider = { ...LAYOUT, parameters: [{ name: 'conv.weight', shape: [3, 1, 3, 3] }, LAYOUT.parameters[1]!] };
    expect(decode(wider)).toThrow(/does not fit model "tiny": "conv.weight" is \[2, 1, 3, 3\] in the file but \[3, 1, 3, 3\] in the model; "momentum\/conv.weight" is/);
    const more = { ...LAYOUT, state: [...LAYOUT.state, { name: 'bn.running_var', shape: [2] }] };
    expect(decode(more)).toThrow(/missing tensors "bn.running_var"/);
    const fewer = { ...LAYOUT, state: [] };
    expect(decode(fewer)).toThrow(/tensors this model does not have: "bn.running_mean"/);
  });

  it('refuses missing or malformed metadata', () => {
    const tensors = decodeSafetensors(encodeTrainingCheckpoint(trainingCheckpoint(), LAYOUT), SOURCE).tensors;
    const good = { format: 'espgpu-checkpoint', format_version: '1', model: 'tiny', step: '1', epoch: '0', seed: '0', settings: '{}' };
    const decode = (metadata: Record<string, string>) => () => decodeTrainingCheckpoint(encodeSafetensors(tensors, metadata), SOURCE, LAYOUT);
    expect(decode(good)).not.toThrow();
    const { step: _step, ...noStep } = good;
    expect(decode(noStep)).toThrow(/the metadata has no "step"/);
    expect(decode({ ...good, format: 'other' })).toThrow(/metadata format is "other", expected "espgpu-checkpoint"/);
    expect(decode({ ...good, format_version: '2' })).toThrow(/format version "2" is not the version this espgpu reads \(1\)/);
    expect(decode({ ...good, step: '1.5' })).toThrow(/metadata "step" is "1.5", not a non-negative integer/);
    expect(decode({ ...good, seed: '-1' })).toThrow(/metadata "seed" is "-1"/);
    expect(decode({ ...good, settings: '{' })).toThrow(/metadata "settings" is not valid JSON/);
  });
});
