// A tensor is a pooled GPU buffer plus a shape. Data is f32 unless dtype says otherwise.
export type DType = 'f32' | 'u32';

export class Tensor {
  readonly size: number;
  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType = 'f32',
    /** Start within the buffer, in elements: views into one flat parameter buffer. */
    readonly offset = 0,
  ) {
    this.size = shapeSize(shape);
  }

  get byteOffset(): number {
    return this.offset * 4;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  /** The same data under another shape with as many elements. */
  reshape(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) throw new Error(`reshape: ${formatShape(this.shape)} has ${this.size} values, ${formatShape(shape)} needs ${shapeSize(shape)}`);
    return new Tensor(this.buffer, shape, this.dtype, this.offset);
  }

  /** The same bits read as another dtype, for a binding a kernel bitcasts (esp.wgsl's images are u32 words either way). */
  bitsAs(dtype: DType): Tensor {
    return dtype === this.dtype ? this : new Tensor(this.buffer, this.shape, dtype, this.offset);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`Invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
