// Float64 SGD step with PyTorch's semantics (dampening 0), updating p and buf in place.
export interface SgdReferenceOptions {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export function sgdStep64(p: Float64Array, grad: ArrayLike<number>, buf: Float64Array, o: SgdReferenceOptions): void {
  for (let i = 0; i < p.length; i++) {
    const g = grad[i]! + o.weightDecay * p[i]!;
    buf[i] = o.momentum * buf[i]! + g;
    const update = o.nesterov ? g + o.momentum * buf[i]! : buf[i]!;
    p[i]! -= o.lr * update;
  }
}
