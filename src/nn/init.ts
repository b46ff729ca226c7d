// Initialisers from the reference models (ALGORITHMS.md §5), drawn from Philox so the same
// seed gives the same weights on every platform. Each parameter draws from its own id.
import { Stream, normals, uniforms } from '../rng/philox.ts';

export interface InitContext {
  seed: number;
  /** Distinct per parameter; layers get theirs from nextInitId(). */
  id: number;
}

/** Kaiming normal, fan-in mode: N(0, gain²/fanIn) with gain √2 (ReLU). */
export function kaimingNormal(ctx: InitContext, count: number, fanIn: number): Float32Array {
  const std = Math.SQRT2 / Math.sqrt(fanIn);
  return Float32Array.from(normals(ctx.seed, ctx.id, Stream.init, count), (z) => z * std);
}

/** N(0, std²). */
export function normal(ctx: InitContext, count: number, std: number): Float32Array {
  return Float32Array.from(normals(ctx.seed, ctx.id, Stream.init, count), (z) => z * std);
}

/** U(−bound, bound): PyTorch's default for linear layers uses bound = 1/√fanIn. */
export function uniformSymmetric(ctx: InitContext, count: number, bound: number): Float32Array {
  return Float32Array.from(uniforms(ctx.seed, ctx.id, Stream.init, count), (u) => (2 * u - 1) * bound);
}

export function constant(count: number, value: number): Float32Array {
  return new Float32Array(count).fill(value);
}

/** Parameter ids for initialisation: one per (layer, tensor), stable across runs. */
export function initContexts(seed: number, layer: number): (id: number) => InitContext {
  return (id) => ({ seed, id: layer * 8 + id });
}
