// Static label smoothing: mix the label row with the uniform distribution, y ← (1 − α)·y + α/C.
// Applied to a row with mass s on the true label and (1 − s)/(C − 1) on the others, the result
// has the same form with s' = (1 − α)·s + α/C, so it composes with ESP's smoothing and needs
// no kernel of its own.
import { checkNumber } from '../validate.ts';

export function checkSmoothing(alpha: number): number {
  return checkNumber('augmentation', 'labelSmoothing', alpha, { min: 0, below: 1 });
}

/** The true label's mass after smoothing a row whose true label had mass s. */
export function smoothedMass(s: number, alpha: number, classes: number): number {
  return (1 - alpha) * s + alpha / classes;
}
