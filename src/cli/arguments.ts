// Argument parsers shared by the commands: each rejects a bad value with one line that names
// the option and what it expected (commander prints it and exits non-zero).
import { InvalidArgumentError } from 'commander';

export function integerAtLeast(name: string, min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

export function nonNegativeNumber(name: string) {
  return (value: string) => {
    const x = Number(value);
    if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0, got "${value}"`);
    return x;
  };
}

export function positiveNumber(name: string) {
  return (value: string) => {
    const x = Number(value);
    if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${value}"`);
    return x;
  };
}

export const nameList = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

/** "0.1, 0.25,1" → [0.1, 0.25, 1]; anything but a non-empty list of positive numbers is refused. */
export function positiveNumberList(name: string) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    const bad = parts.find((s) => !(s !== '' && Number.isFinite(Number(s)) && Number(s) > 0));
    if (bad !== undefined) {
      throw new InvalidArgumentError(`${name} must be a comma-separated list of positive numbers, got "${value}" ("${bad}" is not one)`);
    }
    return parts.map(Number);
  };
}
