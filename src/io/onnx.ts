// ONNX models as bytes: a small graph builder (float32 initializers, nodes, one input and one
// output with a dynamic batch) and its protobuf encoding with protobufjs against the official
// onnx.proto (onnxSchema.ts). Browser-safe and GPU-free: what a network's layers become is
// train/onnxExport.ts's business; this file knows ONNX, not espgpu's layers.
import protobuf from 'protobufjs';
import type { Root, Type } from 'protobufjs';
import { fail } from '../validate.ts';
import { ONNX_PROTO } from './onnxSchema.ts';

/** The operator set the graphs are written for, and the IR version that goes with it. */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

/** TensorProto.DataType.FLOAT; AttributeProto.AttributeType values. */
const FLOAT = 1;
const ATTRIBUTE_TYPE = { f: 1, i: 2, s: 3, floats: 6, ints: 7 } as const;

/** One attribute value, by the AttributeProto field that holds it. */
export type OnnxAttribute = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] };

/** A dimension: a size, or a name for one given at run time (the batch, "N"). */
export type OnnxDim = number | string;

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxInitializer {
  name: string;
  dims: readonly number[];
  values: Float32Array;
}

export interface OnnxValueInfo {
  name: string;
  dims: readonly OnnxDim[];
}

export interface OnnxModelOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** ModelProto.metadata_props: strings a reader can show (the model, its normalisation, …). */
  metadata?: Record<string, string>;
}

/**
 * A float32 inference graph under construction. Value and node names are made unique here:
 * `value('conv1')` gives "conv1", then "conv1_1", … so callers may name values after layers.
 */
export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private readonly names = new Set<string>();
  private readonly nodeNames = new Set<string>();

  constructor(readonly name: string) {}

  /** A fresh value name starting with `base`. */
  value(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** A graph input of float32 values; its name is taken as given. */
  input(name: string, dims: readonly OnnxDim[]): string {
    this.claim(name);
    this.inputs.push({ name, dims: [...dims] });
    return name;
  }

  /** Declares an existing value a graph output. */
  output(name: string, dims: readonly OnnxDim[]): void {
    if (!this.names.has(name)) throw new Error(`OnnxGraph: output ${name} is no value of the graph`);
    this.outputs.push({ name, dims: [...dims] });
  }

  /** A float32 constant (weights, statistics); its name is taken as given (a parameter's name). */
  initializer(name: string, dims: readonly number[], values: Float32Array): string {
    const size = dims.reduce((n, d) => n * d, 1);
    if (values.length !== size) throw new Error(`OnnxGraph: initializer ${name} of shape [${dims.join(', ')}] needs ${size} values, got ${values.length}`);
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], values });
    return name;
  }

  /**
   * Appends a node with one output named after `output` (made unique) and returns that name.
   * The node takes the same name.
   */
  node(opType: string, inputs: readonly string[], output: string, attributes: Record<string, OnnxAttribute> = {}): string {
    for (const input of inputs) if (!this.names.has(input)) throw new Error(`OnnxGraph: ${opType} ${output} reads ${input}, which nothing defines`);
    const out = this.value(output);
    let name = out;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${out}_${i}`;
    this.nodeNames.add(name);
    this.nodes.push({ opType, name, inputs: [...inputs], outputs: [out], attributes });
    return out;
  }

  /**
   * Renames the value a node produces (and every read of it), e.g. the last layer's output to
   * the graph's output name; the node keeps its own name.
   */
  rename(value: string, to: string): string {
    const producer = this.nodes.find((n) => n.outputs.includes(value));
    if (!producer) throw new Error(`OnnxGraph: no node produces ${value}`);
    this.claim(to);
    this.names.delete(value);
    const swap = (names: readonly string[]) => names.map((n) => (n === value ? to : n));
    for (const node of this.nodes) {
      node.inputs = swap(node.inputs);
      node.outputs = swap(node.outputs);
    }
    for (const info of this.outputs) if (info.name === value) info.name = to;
    return to;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`OnnxGraph: the name ${name} is taken`);
    this.names.add(name);
  }
}

let cachedRoot: Root | undefined;

/** onnx.proto parsed once; field names as the schema spells them (ir_version, raw_data, …). */
function onnxRoot(): Root {
  cachedRoot ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return cachedRoot;
}

function modelType(): Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** float32 values as TensorProto.raw_data: little-endian, whatever the host's order. */
function rawFloats(values: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

function valueInfo({ name, dims }: OnnxValueInfo) {
  const dim = dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: FLOAT, shape: { dim } } } };
}

function attribute(name: string, value: OnnxAttribute) {
  if ('i' in value) return { name, type: ATTRIBUTE_TYPE.i, i: value.i };
  if ('f' in value) return { name, type: ATTRIBUTE_TYPE.f, f: value.f };
  if ('s' in value) return { name, type: ATTRIBUTE_TYPE.s, s: new TextEncoder().encode(value.s) };
  if ('ints' in value) return { name, type: ATTRIBUTE_TYPE.ints, ints: [...value.ints] };
  return { name, type: ATTRIBUTE_TYPE.floats, floats: [...value.floats] };
}

/** The ModelProto bytes of `graph` (IR version 8, default-domain opset 17). */
export function encodeOnnxModel(graph: OnnxGraph, options: OnnxModelOptions = {}): Uint8Array {
  if (graph.inputs.length === 0 || graph.outputs.length === 0) throw new Error(`OnnxGraph ${graph.name}: needs an input and an output`);
  const message = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: options.producerName ?? 'espgpu',
    producer_version: options.producerVersion ?? '',
    doc_string: options.docString ?? '',
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        op_type: n.opType,
        name: n.name,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes).map(([name, value]) => attribute(name, value)),
      })),
      initializer: graph.initializers.map((t) => ({ name: t.name, dims: [...t.dims], data_type: FLOAT, raw_data: rawFloats(t.values) })),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  const type = modelType();
  const problem = type.verify(message);
  if (problem) throw new Error(`OnnxGraph ${graph.name}: not a valid ModelProto: ${problem}`);
  return type.encode(type.fromObject(message)).finish();
}

/** A decoded ModelProto as plain data: onnx.proto's field names, int64s as numbers, bytes as Uint8Array. */
export interface DecodedOnnxModel {
  ir_version: number;
  opset_import: { domain?: string; version: number }[];
  producer_name?: string;
  producer_version?: string;
  doc_string?: string;
  metadata_props: { key: string; value: string }[];
  graph: {
    name: string;
    node: { op_type: string; name: string; input: string[]; output: string[]; attribute: { name: string; type: number; i?: number; f?: number; ints?: number[]; floats?: number[] }[] }[];
    initializer: { name: string; dims: number[]; data_type: number; raw_data?: Uint8Array }[];
    input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_value?: number; dim_param?: string }[] } } } }[];
    output: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_value?: number; dim_param?: string }[] } } } }[];
  };
}

/** Parses ModelProto bytes (any ONNX file); for inspecting what encodeOnnxModel wrote. */
export function decodeOnnxModel(bytes: Uint8Array): DecodedOnnxModel {
  const type = modelType();
  return type.toObject(type.decode(bytes), { longs: Number, arrays: true, defaults: false }) as DecodedOnnxModel;
}

/** An initializer's float32 values (raw_data, little-endian). */
export function initializerValues(tensor: DecodedOnnxModel['graph']['initializer'][number]): Float32Array {
  const raw = tensor.raw_data ?? new Uint8Array(0);
  // A copy (raw may be a Node Buffer, a view into a shared pool at any offset).
  if (littleEndian) return new Float32Array(new Uint8Array(raw).buffer);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

/**
 * The per-channel affine map from images in [0, 1] to the network's input: the training run
 * saw x' = lo + (hi − lo)·x (its `range`, [0, 1] by default) normalised as (x' − mean)/std, which
 * is (x − mean')/std' with mean' = (mean − lo)/(hi − lo) and std' = std/(hi − lo). Undefined
 * when that is the identity (range [0, 1], mean 0, std 1): the graph then needs no node for it.
 */
export function inputAffine(
  where: string,
  channels: number,
  normalization: { mean: readonly number[]; std: readonly number[] } | undefined,
  range: readonly [number, number] = [0, 1],
): { mean: Float32Array; std: Float32Array } | undefined {
  const { mean, std } = normalization ?? { mean: Array<number>(channels).fill(0), std: Array<number>(channels).fill(1) };
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== channels || std.length !== channels || !mean.every(Number.isFinite) || !std.every((s) => s > 0 && Number.isFinite(s))) {
    fail(where, 'normalization', `a finite mean and a finite std > 0 for each of the ${channels} channels`, normalization);
  }
  const [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) fail(where, 'range', '[lo, hi] with finite lo < hi', range);
  const scaledMean = Float32Array.from(mean, (m) => (m - lo) / (hi - lo));
  const scaledStd = Float32Array.from(std, (s) => s / (hi - lo));
  if (scaledMean.every((m) => m === 0) && scaledStd.every((s) => s === 1)) return undefined;
  return { mean: scaledMean, std: scaledStd };
}
