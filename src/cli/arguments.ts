// Argument parsers shared by the commands: each rejects a bad value with one line that names
// the option and what it expected (commander prints it and exits non-zero). The parsing and
// the ranges are validate.ts's, so a flag and the library field it sets accept the same values.
import { InvalidArgumentError } from 'commander';
import { parseDecimal, type NumberRange } from '../validate.ts';

/** A commander parser for a number flag: finite, in `range`, and an integer when `integer`. */
export function numberArgument(name: string, range: NumberRange = {}, integer = false) {
  return (value: string): number => {
    try {
      return parseDecimal(name, value, range, integer);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

export const integerAtLeast = (name: string, min: number) => numberArgument(name, { min }, true);
export const nonNegativeNumber = (name: string) => numberArgument(name, { min: 0 });
export const positiveNumber = (name: string) => numberArgument(name, { above: 0 });

export const nameList = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

/** "0.1, 0.25,1" → [0.1, 0.25, 1]; anything but a non-empty list of positive numbers is refused. */
export function positiveNumberList(name: string) {
  const positive = numberArgument(name, { above: 0 });
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    const bad = parts.find((s) => !isPositive(s));
    if (bad !== undefined) {
      throw new InvalidArgumentError(`${name} must be a comma-separated list of positive numbers, got "${value}" ("${bad}" is not one)`);
    }
    return parts.map(positive);
  };
}

function isPositive(text: string): boolean {
  try {
    return parseDecimal('', text, { above: 0 }) > 0;
  } catch {
    return false;
  }
}
