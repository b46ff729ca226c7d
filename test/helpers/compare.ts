// The one place test tolerances live. GPU results are f32 and accumulate in a different
// order from the float64 references, so every comparison is |a - e| <= atol + rtol·|e|.
import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Forward passes: f32 sums of up to a few thousand terms. */
export const FORWARD: Tolerance = { atol: 1e-4, rtol: 1e-4 };
/**
 * Forward convolutions by Winograd F(6×6, 3×3): its transforms scale values by up to 32 before
 * the sum over channels, so float32 rounding is about 3× the direct sum's (winogradF6.wgsl);
 * measured 1.4e-4 on a 360-term sum of values in [-1, 1].
 */
export const WINOGRAD_FORWARD: Tolerance = { atol: 3e-4, rtol: 1e-4 };
/** Backward passes: longer sums (batch × spatial) of products. */
export const BACKWARD: Tolerance = { atol: 2e-4, rtol: 5e-4 };
/** Float64 reference backward against central finite differences. */
export const FINITE_DIFFERENCE: Tolerance = { atol: 1e-6, rtol: 1e-5 };

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
  what: string,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (tolerance.atol + tolerance.rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    const a = actual[worst]!;
    const e = expected[worst]!;
    expect.fail(
      `${what}: element ${worst} is ${a}, expected ${e} (|diff| ${Math.abs(a - e).toExponential(3)}, ` +
        `allowed ${(tolerance.atol + tolerance.rtol * Math.abs(e)).toExponential(3)})`,
    );
  }
}
