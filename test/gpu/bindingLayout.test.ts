import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindingLayout, parseBindings, type BindingDeclaration } from '../../src/gpu/bindingLayout.ts';
import { Gpu, packParams } from '../../src/gpu/gpu.ts';
import { Tensor } from '../../src/gpu/tensor.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();

const shaderDir = join(import.meta.dirname, '../../shaders');
const shader = (file: string) => readFileSync(join(shaderDir, file), 'utf8');
const declared = (file: string, name: string) => bindingLayout(shader(file), file).byName.get(name);

describe('parseBindings', () => {
  it('reads every shader under shaders/: each @binding a declaration, no name twice', () => {
    for (const file of readdirSync(shaderDir).filter((f) => f.endsWith('.wgsl'))) {
      const code = shader(file);
      const declarations = parseBindings(code, file);
      expect(declarations.length, file).toBe(code.match(/^@group\(0\) @binding\(/gm)?.length ?? 0);
      expect(() => bindingLayout(code, file), file).not.toThrow();
    }
  });

  it('gets known declarations right: index, space, access, element type and its scalar', () => {
    const expectDeclaration = (file: string, name: string, d: Omit<BindingDeclaration, 'name'>) => expect(declared(file, name)).toEqual({ name, ...d });
    expectDeclaration('conv2d.wgsl', 'params', { binding: 0, space: 'uniform', access: 'read', elementType: 'ConvParams', scalar: 'u32' });
    expectDeclaration('conv2d.wgsl', 'operandB', { binding: 2, space: 'storage', access: 'read', elementType: 'f32', scalar: 'f32' });
    expectDeclaration('conv2d.wgsl', 'result', { binding: 4, space: 'storage', access: 'read_write', elementType: 'f32', scalar: 'f32' });
    expectDeclaration('eltwise.wgsl', 'out4', { binding: 1, space: 'storage', access: 'read_write', elementType: 'vec4<f32>', scalar: 'f32' });
    expectDeclaration('softmax_xent.wgsl', 'rowCorrect', { binding: 2, space: 'storage', access: 'read_write', elementType: 'u32', scalar: 'u32' });
    expectDeclaration('esp.wgsl', 'channelStats', { binding: 6, space: 'storage', access: 'read', elementType: 'vec2<f32>', scalar: 'f32' });
    // SamplePlan mixes f32, i32 and u32 fields: packed by the caller, no one dtype.
    expectDeclaration('esp.wgsl', 'plans', { binding: 5, space: 'storage', access: 'read', elementType: 'SamplePlan', scalar: undefined });
  });

  it('keeps every alias of an index, whatever access each has', () => {
    const eltwise = bindingLayout(shader('eltwise.wgsl'), 'eltwise.wgsl');
    expect(eltwise.byIndex.get(1)?.map((d) => d.name)).toEqual(['out', 'out4']);
    const batchnorm = bindingLayout(shader('batchnorm.wgsl'), 'batchnorm.wgsl');
    expect(batchnorm.byIndex.get(5)?.map((d) => `${d.name} ${d.access}`)).toEqual(['runningMean read_write', 'gamma read', 'evalBeta read', 'dgamma read_write']);
  });

  it('ignores comments and other groups, takes either attribute order and storage without an access mode', () => {
    const code = `
      struct Pair { a: u32, b: array<u32, 2> }
      // @group(0) @binding(7) var<storage, read> old: array<f32>;
      /* @group(0) @binding(8) var<storage, read> older: array<f32>; */
      @binding(1) @group(0) var<storage> pairs: array<Pair>;
      @group(1) @binding(0) var<storage, read_write> other: array<f32>;
      @group(0) @binding(2) var<storage, read_write> counter: atomic<i32>;
      @group(0)
        @binding(3) var<storage, read> halves: array<vec4u>;`;
    expect(parseBindings(code, 't.wgsl').map((d) => [d.binding, d.name, d.access, d.elementType, d.scalar])).toEqual([
      [1, 'pairs', 'read', 'Pair', 'u32'],
      [2, 'counter', 'read_write', 'atomic<i32>', 'i32'],
      [3, 'halves', 'read', 'vec4u', 'u32'],
    ]);
  });

  it('refuses a declaration it cannot read, rather than leave it unchecked', () => {
    expect(() => parseBindings('@group(0) @binding(0) var image: texture_2d<f32>;', 't.wgsl')).toThrow(
      /^t\.wgsl: binding 0 "image": address space must be uniform or storage, got none/,
    );
    expect(() => parseBindings('@group(0) @binding(0) var<storage, read> 2x: array<f32>;', 't.wgsl')).toThrow(/^t\.wgsl: 1 @binding declaration\(s\) not of the form/);
  });
});

// Two entry points over one module: `main` reads weight and labels, `copyTwice` writes out and
// copyOut, which aliases labels' index 3.
const kernel = (entryPoint: string) => ({
  files: [{ file: 'contract.wgsl', code: `
struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> copyOut: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < params.count) { out[id.x] = weight[id.x] + f32(labels[id.x]); }
}
@compute @workgroup_size(64) fn copyTwice(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < params.count) { out[id.x] = weight[id.x]; copyOut[id.x] = 2.0 * weight[id.x]; }
}` }],
  entryPoint,
});
const main = kernel('main');
const copyTwice = kernel('copyTwice');
const params = packParams(4);

describe('the dispatch contract', () => {
  const tensors = () => ({
    out: gpu().empty([4]),
    weight: gpu().upload([1, 2, 3, 4], [4]),
    labels: gpu().upload([10, 20, 30, 40], [4], 'u32'),
  });

  it('binds named tensors in order and checks the names once per name list', async () => {
    const { out, weight, labels } = tensors();
    await gpu().dispatch(main, { out, weight, labels }, [1], params);
    expect(Array.from(await gpu().read(out))).toEqual([11, 22, 33, 44]);
    const before = gpu().bindGroupsCreated;
    await gpu().dispatch(main, { out, weight, labels }, [1], params);
    expect(gpu().bindGroupsCreated).toBe(before);
    gpu().release(out, weight, labels);
  });

  it('refuses a swapped order, naming the binding, its declaration and what it got', async () => {
    const { out, weight, labels } = tensors();
    await expect(gpu().dispatch(main, { out, labels, weight }, [1], params)).rejects.toThrow(
      'contract.wgsl:main: binding 2 is "weight" (storage, read, f32), got "labels" (declared at binding 3)',
    );
    gpu().release(out, weight, labels);
  });

  it('refuses a name the shader does not declare, listing every alias of the index', async () => {
    const { out, weight, labels } = tensors();
    await expect(gpu().dispatch(main, { out, weight, bias: labels }, [1], params)).rejects.toThrow(
      'contract.wgsl:main: binding 3 is "labels" (storage, read, u32) or "copyOut" (storage, read_write, f32), got "bias" (which the shader does not declare)',
    );
    await expect(gpu().dispatch(main, { out, weight, labels, extra: out }, [1], params)).rejects.toThrow(
      'contract.wgsl:main: binding 4 is not declared, got "extra" (which the shader does not declare)',
    );
    gpu().release(out, weight, labels);
  });

  it('refuses a tensor whose dtype is not the declared element type', async () => {
    const { out, weight, labels } = tensors();
    await expect(gpu().dispatch(main, { out, weight, labels: weight }, [1], params)).rejects.toThrow(
      'contract.wgsl:main: binding 3 "labels" is u32, got an f32 tensor',
    );
    await expect(gpu().dispatch(main, { out: labels, weight, labels }, [1], params)).rejects.toThrow(
      'contract.wgsl:main: binding 1 "out" is f32, got a u32 tensor',
    );
    // A bit view is how a kernel that bitcasts takes another dtype's words.
    await gpu().dispatch(main, { out, weight, labels: weight.bitsAs('u32') }, [1], params);
    gpu().release(out, weight, labels);
  });

  it('refuses a missing uniform block, and params for a kernel without one', async () => {
    const { out, weight, labels } = tensors();
    await expect(gpu().dispatch(main, { out, weight, labels }, [1])).rejects.toThrow(
      'contract.wgsl:main: binding 0 is the uniform "params" (uniform, Params), got no params',
    );
    const noUniform = { files: [{ file: 'plain.wgsl', code: `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) { out[id.x] = 1.0; }` }], entryPoint: 'main' };
    await expect(gpu().dispatch(noUniform, { out }, [1], params)).rejects.toThrow(
      'plain.wgsl:main: got params, but binding 0 is "out" (storage, read_write, f32), not a uniform',
    );
    gpu().release(out, weight, labels);
  });

  it('refuses reading and writing one buffer through two bindings, even at disjoint ranges, as WebGPU does', async () => {
    const { out, labels } = tensors();
    // Storage bindings start 256-byte aligned: views 64 values apart.
    const both = gpu().empty([128]);
    const [low, high] = [new Tensor(both.buffer, [4], 'f32', 0), new Tensor(both.buffer, [4], 'f32', 64)];
    await expect(gpu().dispatch(main, { out: low, weight: high, labels }, [1], params)).rejects.toThrow(
      'contract.wgsl:main: binding 1 "out" (read_write) and binding 2 "weight" (read) are one buffer, read through one and written through the other, which WebGPU refuses in one dispatch',
    );
    gpu().release(out, labels, both);
  });

  it('lets two written bindings share a buffer at disjoint ranges, not overlapping ones', async () => {
    const { weight } = tensors();
    const both = gpu().empty([128]);
    const at = (offset: number, size = 4) => new Tensor(both.buffer, [size], 'f32', offset);
    // The same kernel file with an entry point that leaves labels unused: its other alias serves.
    await gpu().dispatch(copyTwice, { out: at(0), weight, copyOut: at(64) }, [1], params);
    expect(Array.from(await gpu().read(at(0)))).toEqual([1, 2, 3, 4]);
    expect(Array.from(await gpu().read(at(64)))).toEqual([2, 4, 6, 8]);
    await expect(gpu().dispatch(copyTwice, { out: at(0), weight, copyOut: at(0, 8) }, [1], params)).rejects.toThrow(
      'contract.wgsl:copyTwice: binding 1 "out" (read_write) and binding 3 "copyOut" (read_write) overlap in one buffer, both written, which WebGPU refuses in one dispatch',
    );
    gpu().release(weight, both);
  });

  it('in debug mode, a refused dispatch leaves no error scope open and the device working', async () => {
    const debug = new Gpu({ ...gpu().acquired, debug: true });
    const out = debug.empty([4]);
    const weight = debug.upload([1, 2, 3, 4], [4]);
    const labels = debug.upload([1, 1, 1, 1], [4], 'u32');
    await expect(debug.dispatch(main, { out, weight: out, labels }, [1], params)).rejects.toThrow(/are one buffer/);
    await debug.dispatch(main, { out, weight, labels }, [1], params);
    expect(Array.from(await debug.read(out))).toEqual([2, 3, 4, 5]);
    debug.release(out, weight, labels);
    debug.dispose();
  });
});
