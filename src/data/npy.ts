// NumPy's .npy format: "\x93NUMPY", version major.minor, header length (u16 LE for 1.0, u32 LE
// for 2.0 and 3.0), a Python dict literal {'descr', 'fortran_order', 'shape'} padded with
// spaces and a newline, then the raw C-order data. The header is parsed by a small strict
// grammar, never evaluated. Multi-byte data must be little-endian (what NumPy writes on x86
// and ARM); the writer always writes little-endian, version 1.0 unless the header needs more.

const DTYPES = {
  u1: Uint8Array,
  i1: Int8Array,
  u2: Uint16Array,
  i2: Int16Array,
  u4: Uint32Array,
  i4: Int32Array,
  u8: BigUint64Array,
  i8: BigInt64Array,
  f4: Float32Array,
  f8: Float64Array,
} as const;

export type NpyDType = keyof typeof DTYPES;
export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER_BYTES = 1 << 20;

export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const { headerText, dataStart } = readPreamble(bytes, source);
  const header = parseHeader(headerText, source);
  if (header.fortranOrder) {
    throw new Error(`${source}: fortran_order is True; only C-order arrays are supported (save with np.ascontiguousarray first)`);
  }
  const dtype = dtypeOf(header.descr, source);
  const count = elementCount(header.shape, source);
  const itemBytes = DTYPES[dtype].BYTES_PER_ELEMENT;
  const dataBytes = bytes.length - dataStart;
  if (dataBytes !== count * itemBytes) {
    throw new Error(`${source}: shape (${header.shape.join(', ')}) of ${header.descr} needs ${count * itemBytes} data bytes, file has ${dataBytes}`);
  }
  return { dtype, shape: header.shape, data: copyData(bytes.subarray(dataStart), dtype, count) };
}

/** The .npy file bytes of `array` (C order, little-endian). */
export function encodeNpy(array: NpyArray): Uint8Array {
  const Type = Object.hasOwn(DTYPES, array.dtype) ? DTYPES[array.dtype] : undefined;
  if (!Type) throw new Error(`encodeNpy: dtype "${array.dtype}" is not one of ${Object.keys(DTYPES).join(', ')}`);
  if (!(array.data instanceof Type)) throw new Error(`encodeNpy: dtype ${array.dtype} needs a ${Type.name}, got ${array.data.constructor.name}`);
  const count = elementCount(array.shape, 'encodeNpy');
  if (array.data.length !== count) throw new Error(`encodeNpy: shape (${array.shape.join(', ')}) holds ${count} elements, data has ${array.data.length}`);
  if (!LITTLE_ENDIAN_HOST) throw new Error('encodeNpy: writing .npy needs a little-endian host');
  const byteOrder = Type.BYTES_PER_ELEMENT === 1 ? '|' : '<';
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '${byteOrder}${array.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  // NumPy pads so the data starts on a 64-byte boundary; version 2.0 only for huge headers.
  const pad = (prefixBytes: number) => dict.padEnd(Math.ceil((prefixBytes + dict.length + 1) / 64) * 64 - prefixBytes - 1, ' ') + '\n';
  const version = pad(10).length <= 0xffff ? 1 : 2;
  const prefixBytes = version === 1 ? 10 : 12;
  const padded = pad(prefixBytes);
  const out = new Uint8Array(prefixBytes + padded.length + array.data.byteLength);
  out.set(MAGIC);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  for (let i = 0; i < padded.length; i++) out[prefixBytes + i] = padded.charCodeAt(i);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), prefixBytes + padded.length);
  return out;
}

function readPreamble(bytes: Uint8Array, source: string): { headerText: string; dataStart: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${source}: not a .npy file (expected the magic string \\x93NUMPY at the start)`);
  }
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new Error(`${source}: .npy format version ${major}.${bytes[7]} is not supported (expected 1.0, 2.0 or 3.0)`);
  const prefixBytes = major === 1 ? 10 : 12;
  if (bytes.length < prefixBytes) throw new Error(`${source}: truncated .npy preamble (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerBytes > MAX_HEADER_BYTES) throw new Error(`${source}: .npy header length ${headerBytes} is implausible (limit ${MAX_HEADER_BYTES})`);
  const dataStart = prefixBytes + headerBytes;
  if (dataStart > bytes.length) throw new Error(`${source}: truncated .npy header (needs ${dataStart} bytes, file has ${bytes.length})`);
  const raw = bytes.subarray(prefixBytes, dataStart);
  let headerText: string;
  try {
    // 1.0 and 2.0 headers are latin-1, 3.0 headers UTF-8.
    headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch {
    throw new Error(`${source}: .npy header is not valid ${major === 3 ? 'UTF-8' : 'latin-1'} text`);
  }
  return { headerText, dataStart };
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` and whitespace variants. */
function parseHeader(text: string, source: string): Header {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`${source}: malformed .npy header (${what} at character ${at}): ${JSON.stringify(text.slice(0, 200))}`);
  };
  const space = () => {
    while (at < text.length && ' \t\r\n'.includes(text[at]!)) at++;
  };
  const take = (token: string) => {
    space();
    if (!text.startsWith(token, at)) fail(`expected "${token}"`);
    at += token.length;
  };
  const string = (): string => {
    space();
    const quote = text[at];
    if (quote !== "'" && quote !== '"') fail('expected a quoted string');
    const end = text.indexOf(quote!, at + 1);
    if (end < 0) fail('unterminated string');
    const value = text.slice(at + 1, end);
    if (value.includes('\\')) fail('escapes are not supported in strings');
    at = end + 1;
    return value;
  };
  const boolean = (): boolean => {
    space();
    for (const [word, value] of [['True', true], ['False', false]] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return value;
      }
    }
    return fail('expected True or False');
  };
  const integer = (): number => {
    const digits = /^\d{1,15}L?/.exec(text.slice(at, at + 17));
    if (!digits) fail('expected a non-negative integer');
    at += digits![0].length;
    return Number.parseInt(digits![0], 10);
  };
  const tuple = (): number[] => {
    take('(');
    const dims: number[] = [];
    for (;;) {
      space();
      if (text[at] === ')') break;
      dims.push(integer());
      space();
      if (text[at] === ',') at++;
      else if (text[at] !== ')') fail('expected "," or ")" in shape');
    }
    at++;
    return dims;
  };

  const fields: Partial<Header> = {};
  take('{');
  for (;;) {
    space();
    if (text[at] === '}') break;
    const key = string();
    take(':');
    if (key === 'descr' && fields.descr === undefined) fields.descr = string();
    else if (key === 'fortran_order' && fields.fortranOrder === undefined) fields.fortranOrder = boolean();
    else if (key === 'shape' && fields.shape === undefined) fields.shape = tuple();
    else fail(`unexpected or repeated key '${key}'`);
    space();
    if (text[at] === ',') at++;
    else if (text[at] !== '}') fail('expected "," or "}"');
  }
  at++;
  space();
  if (at !== text.length) fail('unexpected text after the dict');
  if (fields.descr === undefined || fields.fortranOrder === undefined || fields.shape === undefined) {
    fail("missing key: the header needs 'descr', 'fortran_order' and 'shape'");
  }
  return fields as Header;
}

function dtypeOf(descr: string, source: string): NpyDType {
  const match = /^([<>|=]?)([uif])(\d+)$/.exec(descr);
  const dtype = match ? `${match[2]}${match[3]}` : '';
  if (!match || !(dtype in DTYPES)) {
    throw new Error(`${source}: dtype '${descr}' is not supported (expected one of ${Object.keys(DTYPES).map((t) => `'<${t}'`).join(', ')})`);
  }
  const multiByte = DTYPES[dtype as NpyDType].BYTES_PER_ELEMENT > 1;
  if (multiByte && match[1] !== '<') {
    throw new Error(`${source}: dtype '${descr}' is not little-endian ('<${dtype}'); re-save it with arr.astype('<${dtype}')`);
  }
  return dtype as NpyDType;
}

function elementCount(shape: readonly number[], source: string): number {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${source}: shape (${shape.join(', ')}) has a dimension that is not a non-negative integer`);
    count *= d;
  }
  if (!Number.isSafeInteger(count)) throw new Error(`${source}: shape (${shape.join(', ')}) is too large`);
  return count;
}

/** Bytes are viewed as they are; wider types are copied so they start aligned. */
function copyData(bytes: Uint8Array, dtype: NpyDType, count: number): NpyData {
  if (dtype === 'u1') return bytes;
  if (dtype === 'i1') return new Int8Array(bytes.buffer, bytes.byteOffset, count);
  if (!LITTLE_ENDIAN_HOST) throw new Error(`.npy: reading multi-byte data needs a little-endian host`);
  const out = new DTYPES[dtype](count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
