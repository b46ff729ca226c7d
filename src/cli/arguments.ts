// Argument parsers shared by the commands: each rejects a bad value with one line that names
// the option and what it expected (commander prints it and exits non-zero). Numbers are
// parsed strictly — decimal notation only, no blanks, no hex, no empty string — and their
// ranges are validate.ts's, so a flag and the library field it sets accept the same values.
import { InvalidArgumentError } from 'commander';
import { describeRange, inRange, type NumberRange } from '../validate.ts';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A parser for a number flag: finite, in `range`, and an integer when `integer`. */
export function numberArgument(name: string, range: NumberRange = {}, integer = false) {
  return (value: string): number => {
    const x = DECIMAL.test(value) ? Number(value) : Number.NaN;
    const ok = Number.isFinite(x) && inRange(x, range) && (!integer || Number.isSafeInteger(x));
    if (!ok) throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'}${describeRange(range)}, got "${value}"`);
    return x;
  };
}

export const integerAtLeast = (name: string, min: number) => numberArgument(name, { min }, true);
export const nonNegativeNumber = (name: string) => numberArgument(name, { min: 0 });
export const positiveNumber = (name: string) => numberArgument(name, { above: 0 });

export const nameList = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

/** "0.1, 0.25,1" → [0.1, 0.25, 1]; anything but a non-empty list of positive numbers is refused. */
export function positiveNumberList(name: string) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    const bad = parts.find((s) => !(DECIMAL.test(s) && Number.isFinite(Number(s)) && Number(s) > 0));
    if (bad !== undefined) {
      throw new InvalidArgumentError(`${name} must be a comma-separated list of positive numbers, got "${value}" ("${bad}" is not one)`);
    }
    return parts.map(Number);
  };
}
