// Element-wise kernels: ReLU forward/backward and addition (residual joins, summing the
// gradients of a tensor used twice).
import eltwiseWgsl from '../../shaders/eltwise.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, sameShape, type Tensor } from '../gpu/tensor.ts';
import { grid1d } from './grid.ts';

const file = { file: 'eltwise.wgsl', code: eltwiseWgsl };
const WG = 256;
/** Items per invocation; PER_INVOCATION in eltwise.wgsl. */
const PER_INVOCATION = 4;

type EltwiseEntry = 'relu' | 'reluBackward' | 'add' | 'addInPlace';

/** eltwise.wgsl's bindings: out, then the inputs (relu and addInPlace read `a` only). */
type EltwiseBindings = { out: Tensor; a: Tensor } | { out: Tensor; a: Tensor; b: Tensor };

/**
 * Tensors of a multiple of 4 values take the Vec4 entry point (bindings start 256-byte
 * aligned, so vec4 reads are aligned); `out` and `a` bind its out4 and a4 just the same.
 */
async function launch(gpu: Gpu, entryPoint: EltwiseEntry, bindings: EltwiseBindings): Promise<Tensor> {
  const { out } = bindings;
  const vec4 = out.size % 4 === 0;
  const items = vec4 ? out.size / 4 : out.size;
  const invocations = Math.ceil(items / PER_INVOCATION);
  const source = { files: [file], entryPoint: vec4 ? `${entryPoint}Vec4` : entryPoint };
  await gpu.dispatch(source, bindings, grid1d(gpu, invocations, WG), packParams(items, invocations));
  return out;
}

function checkF32(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'f32') throw new Error(`${op}: ${name} must be f32, got ${t.dtype} ${formatShape(t.shape)}`);
}

function checkShape(op: string, name: string, t: Tensor, expected: readonly number[]): void {
  checkF32(op, name, t);
  if (!sameShape(t.shape, expected)) throw new Error(`${op}: ${name} has shape ${formatShape(t.shape)}, expected ${formatShape(expected)}`);
}

/** A buffer bound for writing cannot also be bound for reading in the same dispatch. */
function checkNoAlias(op: string, out: Tensor, inputs: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.buffer === out.buffer) throw new Error(`${op}: out must not share its buffer with ${name}`);
  }
}

/** out = max(x, 0). */
export async function relu(gpu: Gpu, x: Tensor, out?: Tensor): Promise<Tensor> {
  checkF32('relu', 'x', x);
  if (out) {
    checkShape('relu', 'out', out, x.shape);
    checkNoAlias('relu', out, { x });
  }
  return launch(gpu, 'relu', { out: out ?? gpu.empty(x.shape), a: x });
}

/** dx = dy where x > 0, else 0 (the subgradient at x = 0 is taken as 0, as in PyTorch). */
export async function reluBackward(gpu: Gpu, dy: Tensor, x: Tensor, out?: Tensor): Promise<Tensor> {
  checkF32('reluBackward', 'x', x);
  checkShape('reluBackward', 'dy', dy, x.shape);
  if (out) {
    checkShape('reluBackward', 'out', out, x.shape);
    checkNoAlias('reluBackward', out, { dy, x });
  }
  return launch(gpu, 'reluBackward', { out: out ?? gpu.empty(x.shape), a: dy, b: x });
}

/**
 * out = a + b for tensors of one shape. `out` may be a or b (accumulating a gradient in
 * place); that records the in-place kernel, since a buffer cannot be read and written
 * through two bindings of one dispatch.
 */
export async function add(gpu: Gpu, a: Tensor, b: Tensor, out?: Tensor): Promise<Tensor> {
  checkF32('add', 'a', a);
  checkShape('add', 'b', b, a.shape);
  if (!out) return launch(gpu, 'add', { out: gpu.empty(a.shape), a, b });
  checkShape('add', 'out', out, a.shape);
  const aliasA = out.buffer === a.buffer;
  const aliasB = out.buffer === b.buffer;
  if (aliasA && aliasB) throw new Error('add: out, a and b are one buffer; at most one input may alias out');
  if (aliasA) return launch(gpu, 'addInPlace', { out, a: b });
  if (aliasB) return launch(gpu, 'addInPlace', { out, a });
  return launch(gpu, 'add', { out, a, b });
}
