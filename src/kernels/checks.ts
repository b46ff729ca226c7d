// Argument checks shared by the kernel wrappers: each error names the op, the argument,
// what it got and what was expected, before anything is recorded.
import { formatShape, sameShape, type DType, type Tensor } from '../gpu/tensor.ts';

export function checkTensor(op: string, name: string, t: Tensor, shape: readonly number[], dtype: DType = 'f32'): void {
  if (t.dtype !== dtype || !sameShape(t.shape, shape)) {
    throw new Error(`${op}: ${name} must be ${dtype} ${formatShape(shape)}, got ${t.dtype} ${formatShape(t.shape)}`);
  }
}

/** One dispatch cannot write a buffer through one binding and read it through another. */
export function checkDistinct(op: string, tensors: Record<string, Tensor>): void {
  const seen = new Map<GPUBuffer, string>();
  for (const [name, t] of Object.entries(tensors)) {
    const other = seen.get(t.buffer);
    if (other) throw new Error(`${op}: ${name} must not share its buffer with ${other}`);
    seen.set(t.buffer, name);
  }
}

/** A size given for both axes or as [height, width]. */
export type Size2 = number | [number, number];

export function pairOf(op: string, name: string, value: Size2, min: number): [number, number] {
  const [h, w] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h! < min || w! < min) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [h!, w!];
}
