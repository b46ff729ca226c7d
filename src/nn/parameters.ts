// All trainable parameters of a model live in one flat buffer, their gradients in a
// second and the optimizer's momentum in a third, so one dispatch updates them all.
// Each parameter is a view starting on a 256-byte boundary (WebGPU's largest allowed
// minStorageBufferOffsetAlignment), which lets kernels bind it on its own.
import type { Gpu } from '../gpu/gpu.ts';
import { Tensor, shapeSize } from '../gpu/tensor.ts';

const ALIGN_ELEMENTS = 64;

export class Parameter {
  private valueView: Tensor | undefined;
  private gradView: Tensor | undefined;
  offset = -1;

  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    /** Initial values, drawn when the model's parameters are allocated. */
    readonly init: () => Float32Array,
  ) {}

  get size(): number {
    return shapeSize(this.shape);
  }

  get value(): Tensor {
    if (!this.valueView) throw new Error(`Parameter ${this.name} is not allocated: call ParameterStore.allocate first`);
    return this.valueView;
  }

  get grad(): Tensor {
    if (!this.gradView) throw new Error(`Parameter ${this.name} is not allocated: call ParameterStore.allocate first`);
    return this.gradView;
  }

  bind(values: Tensor, grads: Tensor, offset: number): void {
    this.offset = offset;
    this.valueView = new Tensor(values.buffer, this.shape, 'f32', offset);
    this.gradView = new Tensor(grads.buffer, this.shape, 'f32', offset);
  }
}

/** Non-trainable state a layer carries between steps (batch-norm running statistics). */
export class StateTensor {
  tensor: Tensor | undefined;
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly init: () => Float32Array,
  ) {}

  get value(): Tensor {
    if (!this.tensor) throw new Error(`State ${this.name} is not allocated: call ParameterStore.allocate first`);
    return this.tensor;
  }
}

export class ParameterStore {
  readonly values: Tensor;
  readonly grads: Tensor;
  readonly momentum: Tensor;

  constructor(
    private readonly gpu: Gpu,
    readonly parameters: readonly Parameter[],
    readonly state: readonly StateTensor[],
  ) {
    const names = new Set<string>();
    for (const p of [...parameters, ...state]) {
      if (names.has(p.name)) throw new Error(`Duplicate parameter name "${p.name}"`);
      names.add(p.name);
    }
    let total = 0;
    const offsets = parameters.map((p) => {
      const offset = total;
      total += Math.ceil(p.size / ALIGN_ELEMENTS) * ALIGN_ELEMENTS;
      return offset;
    });
    const flat = new Float32Array(Math.max(total, 1));
    parameters.forEach((p, i) => flat.set(checkedInit(p.name, p.init(), p.size), offsets[i]));
    this.values = gpu.upload(flat, [flat.length]);
    this.grads = gpu.upload(new Float32Array(flat.length), [flat.length]);
    this.momentum = gpu.upload(new Float32Array(flat.length), [flat.length]);
    parameters.forEach((p, i) => p.bind(this.values, this.grads, offsets[i]!));
    for (const s of state) s.tensor = gpu.upload(checkedInit(s.name, s.init(), shapeSize(s.shape)), s.shape);
  }

  /** Number of trainable scalars (without alignment padding). */
  get count(): number {
    return this.parameters.reduce((n, p) => n + p.size, 0);
  }

  dispose(): void {
    this.gpu.release(this.values, this.grads, this.momentum, ...this.state.map((s) => s.tensor));
    for (const s of this.state) s.tensor = undefined;
  }
}

function checkedInit(name: string, values: Float32Array, size: number): Float32Array {
  if (values.length !== size) throw new Error(`Initialiser of ${name} gave ${values.length} values, expected ${size}`);
  return values;
}
