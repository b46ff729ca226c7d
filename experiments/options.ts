// Number options of the experiment scripts, parsed as strictly as espgpu's own flags (the
// package's validate.ts): decimal notation only, within a range.
import { InvalidArgumentError } from 'commander';
import { parseDecimal, type NumberRange } from '../src/validate.ts';

function parser(name: string, range: NumberRange, integer: boolean) {
  return (value: string): number => {
    try {
      return parseDecimal(name, value, range, integer);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

export const integerAtLeast = (name: string, min: number) => parser(name, { min }, true);
export const integerBetween = (name: string, min: number, max: number) => parser(name, { min, max }, true);
export const nonNegativeNumber = (name: string) => parser(name, { min: 0 }, false);
export const positiveNumber = (name: string) => parser(name, { above: 0 }, false);
