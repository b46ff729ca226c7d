import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy, type NpyArray } from '../../src/data/npy.ts';

const hex = (h: string) => Uint8Array.from(h.match(/../g)!, (b) => Number.parseInt(b, 16));
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// Written by NumPy 2.4 (np.lib.format.write_array), so the reader and writer are checked
// against the real thing, not against each other.
const NUMPY = {
  // np.arange(6, dtype='<i8').reshape(2, 3) - 2
  i8: hex(
    '934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a20' +
      '28322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020' +
      '202020202020200afeffffffffffffffffffffffffffffff0000000000000000010000000000000002000000000000000300000000000000',
  ),
  // np.array([[[[1], [2]], [[3], [250]]]], dtype=np.uint8)
  u1: hex(
    '934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a20' +
      '28312c20322c20322c2031292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020' +
      '202020202020200a010203fa',
  ),
  // np.array([1.5, -2.25], dtype='<f4'), version (2, 0)
  f4v2: hex(
    '934e554d50590200740000007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c2027736861706527' +
      '3a2028322c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020' +
      '202020202020200a0000c03f000010c0',
  ),
  // np.array([-3, 7], dtype='<i2'), version (3, 0)
  i2v3: hex(
    '934e554d50590300740000007b276465736372273a20273c6932272c2027666f727472616e5f6f72646572273a2046616c73652c2027736861706527' +
      '3a2028322c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020' +
      '202020202020200afdff0700',
  ),
  // np.asfortranarray(np.arange(6, dtype=np.uint8).reshape(2, 3))
  fortran: hex(
    '934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028' +
      '322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020' +
      '202020202020200a000301040205',
  ),
};

/** A v1.0 file with `dict` as its header text (padded as NumPy would) and `data` after it. */
function npyWithHeader(dict: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const out = new Uint8Array(10 + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  out.set(data, 10 + text.length);
  return out;
}

describe('parseNpy', () => {
  it("reads NumPy's own files: versions 1.0, 2.0, 3.0; int64, uint8, float32, int16", () => {
    const i8 = parseNpy(NUMPY.i8, 'i8.npy');
    expect(i8.dtype).toBe('i8');
    expect(i8.shape).toEqual([2, 3]);
    expect(Array.from(i8.data as BigInt64Array, Number)).toEqual([-2, -1, 0, 1, 2, 3]);
    const u1 = parseNpy(NUMPY.u1, 'u1.npy');
    expect([u1.dtype, u1.shape, Array.from(u1.data as Uint8Array)]).toEqual(['u1', [1, 2, 2, 1], [1, 2, 3, 250]]);
    const f4 = parseNpy(NUMPY.f4v2, 'f4.npy');
    expect([f4.dtype, f4.shape, Array.from(f4.data as Float32Array)]).toEqual(['f4', [2], [1.5, -2.25]]);
    const i2 = parseNpy(NUMPY.i2v3, 'i2.npy');
    expect([i2.dtype, i2.shape, Array.from(i2.data as Int16Array)]).toEqual(['i2', [2], [-3, 7]]);
  });

  it('rejects Fortran order with a clear error', () => {
    expect(() => parseNpy(NUMPY.fortran, 'f.npy')).toThrow(/f\.npy: fortran_order is True; only C-order arrays are supported/);
  });

  it('accepts the header variants NumPy and Python 2 produce', () => {
    const data = new Uint8Array([1, 2, 3]);
    for (const dict of [
      `{"descr": "|u1", "fortran_order": False, "shape": (3,)}`,
      `{'shape': (3L,), 'fortran_order': False, 'descr': '<u1'}`,
      `{ 'descr' : '|u1' , 'fortran_order' : False , 'shape' : ( 3 , ) , }`,
    ]) {
      const array = parseNpy(npyWithHeader(dict, data), 'v.npy');
      expect([array.shape, Array.from(array.data as Uint8Array)]).toEqual([[3], [1, 2, 3]]);
    }
    expect(parseNpy(npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (), }`, new Uint8Array(8)), 's.npy').shape).toEqual([]);
    expect(parseNpy(npyWithHeader(`{'descr': '<i4', 'fortran_order': False, 'shape': (0, 5), }`), 'e.npy').data.length).toBe(0);
  });

  it('parses the header by grammar, never as code, and names what is wrong', () => {
    const cases: [string, RegExp][] = [
      [`{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }`, /dtype '>i4' is not little-endian/],
      [`{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }`, /dtype '<c8' is not supported/],
      [`{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }`, /malformed \.npy header \(expected a quoted string/],
      [`{'descr': '<i4', 'shape': (1,), }`, /missing key/],
      [`{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (1,), }`, /unexpected or repeated key 'descr'/],
      [`{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'extra': 1}`, /unexpected or repeated key 'extra'/],
      [`{'descr': '<i4', 'fortran_order': __import__('os'), 'shape': (1,), }`, /expected True or False/],
      [`{'descr': '<i4', 'fortran_order': False, 'shape': (-1,), }`, /expected a non-negative integer/],
      [`{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2.5), }`, /expected "," or "\)" in shape/],
      [`{'descr': '<i4', 'fortran_order': False, 'shape': (1,), } x`, /unexpected text after the dict/],
      [`{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999,), }`, /expected "," or "\)"/],
    ];
    for (const [dict, message] of cases) {
      expect(() => parseNpy(npyWithHeader(dict, new Uint8Array(4)), 'h.npy'), dict).toThrow(message);
      expect(() => parseNpy(npyWithHeader(dict, new Uint8Array(4)), 'h.npy'), dict).toThrow(/^h\.npy: /);
    }
  });

  it('rejects a bad preamble or a data length that does not match the shape', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'p.npy')).toThrow(/p\.npy: not a \.npy file/);
    const v4 = NUMPY.u1.slice();
    v4[6] = 4;
    expect(() => parseNpy(v4, 'p.npy')).toThrow(/p\.npy: \.npy format version 4\.0 is not supported/);
    expect(() => parseNpy(NUMPY.u1.subarray(0, 60), 'p.npy')).toThrow(/p\.npy: truncated \.npy header/);
    expect(() => parseNpy(NUMPY.i8.subarray(0, NUMPY.i8.length - 1), 'p.npy')).toThrow(/p\.npy: shape \(2, 3\) of <i8 needs 48 data bytes, file has 47/);
    const extra = new Uint8Array(NUMPY.u1.length + 1);
    extra.set(NUMPY.u1);
    expect(() => parseNpy(extra, 'p.npy')).toThrow(/needs 4 data bytes, file has 5/);
  });
});

describe('encodeNpy', () => {
  it('writes the same bytes as NumPy for uint8 and int64', () => {
    expect(toHex(encodeNpy({ dtype: 'i8', shape: [2, 3], data: BigInt64Array.from([-2n, -1n, 0n, 1n, 2n, 3n]) }))).toBe(toHex(NUMPY.i8));
    expect(toHex(encodeNpy({ dtype: 'u1', shape: [1, 2, 2, 1], data: Uint8Array.from([1, 2, 3, 250]) }))).toBe(toHex(NUMPY.u1));
  });

  it('round-trips every dtype, aligning data to 64 bytes', () => {
    const arrays: NpyArray[] = [
      { dtype: 'i1', shape: [2], data: Int8Array.from([-128, 127]) },
      { dtype: 'u2', shape: [1, 2], data: Uint16Array.from([0, 65535]) },
      { dtype: 'i4', shape: [2, 1, 1], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
      { dtype: 'u4', shape: [1], data: Uint32Array.from([2 ** 32 - 1]) },
      { dtype: 'u8', shape: [1], data: BigUint64Array.from([2n ** 64n - 1n]) },
      { dtype: 'f8', shape: [], data: Float64Array.from([Math.PI]) },
    ];
    for (const array of arrays) {
      const bytes = encodeNpy(array);
      expect((bytes.length - array.data.byteLength) % 64).toBe(0);
      const back = parseNpy(bytes, 'r.npy');
      expect([back.dtype, back.shape]).toEqual([array.dtype, array.shape]);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(array.data as ArrayLike<unknown>));
    }
  });

  it('refuses data that does not match the dtype or the shape', () => {
    expect(() => encodeNpy({ dtype: 'i8', shape: [1], data: new Uint8Array(1) })).toThrow(/encodeNpy: dtype i8 needs a BigInt64Array, got Uint8Array/);
    expect(() => encodeNpy({ dtype: 'u1', shape: [2, 2], data: new Uint8Array(3) })).toThrow(/encodeNpy: shape \(2, 2\) holds 4 elements, data has 3/);
  });
});
