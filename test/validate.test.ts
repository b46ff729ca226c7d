// The one validation module: messages, bounds and the error type every layer throws.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { integerAtLeast, nonNegativeNumber, numberArgument } from '../src/cli/arguments.ts';
import { checkInteger, checkKnownKeys, checkNumber, checkOneOf, checkU32, describeRange, describeValue, ValidationError } from '../src/validate.ts';

describe('validate', () => {
  it('states the range it expected, inclusive or exclusive', () => {
    expect(describeRange({ min: 0 })).toBe(' ≥ 0');
    expect(describeRange({ above: 0 })).toBe(' > 0');
    expect(describeRange({ min: 0, below: 1 })).toBe(' in [0, 1)');
    expect(describeRange({ above: 0.1, max: 10 })).toBe(' in (0.1, 10]');
    expect(describeRange({})).toBe('');
  });

  it('accepts what is in range and returns it', () => {
    expect(checkNumber('w', 'x', 0.5, { min: 0, below: 1 })).toBe(0.5);
    expect(checkInteger('w', 'n', 3, { min: 1, max: 3 })).toBe(3);
    expect(checkU32('w', 's', 0xffffffff)).toBe(0xffffffff);
    expect(checkOneOf('w', 'k', 'b', ['a', 'b'])).toBe('b');
  });

  it('throws one error type, in one shape: where: field must be expected, got value', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => checkNumber('w', 'x', 1, { min: 0, below: 1 }), /^w: x must be a number in \[0, 1\), got 1$/],
      [() => checkNumber('w', 'x', Number.NaN), /^w: x must be a number, got NaN$/],
      [() => checkNumber('w', 'x', Infinity, { min: 0 }), /^w: x must be a number ≥ 0, got Infinity$/],
      [() => checkNumber('w', 'x', '1', { min: 0 }), /^w: x must be a number ≥ 0, got "1"$/],
      [() => checkInteger('w', 'n', 1.5, { min: 1 }), /^w: n must be an integer ≥ 1, got 1.5$/],
      [() => checkInteger('w', 'n', 2 ** 53, { min: 1 }), /^w: n must be an integer ≥ 1, got 9007199254740992$/],
      [() => checkU32('w', 's', 2 ** 32), /^w: s must be a u32, got 4294967296$/],
      [() => checkOneOf('w', 'k', 'c', ['a', 'b']), /^w: k must be one of a, b, got "c"$/],
      [() => checkKnownKeys('w', { a: 1, bb: 2, cc: 3 }, ['a']), /^w: unknown fields "bb", "cc" \(known: a\)$/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(ValidationError);
      expect(call).toThrow(RangeError);
      expect(call).toThrow(message);
    }
  });
});

describe('describeValue on what a hostile file holds (found by test/reliability/fuzz.test.ts)', () => {
  it('shows an array nested 100,000 deep without overflowing the stack', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(describeValue(deep)).toBe('[[[[…]]]]');
    expect(() => checkU32('spec.json', 'seed', deep)).toThrow(/^spec\.json: seed must be a u32, got \[\[\[\[…\]\]\]\]$/);
    expect(describeValue([1, 'a', [2, { b: 3 }], null])).toBe('[1,"a",[2,{…}],null]');
    expect(describeValue(Array.from({ length: 12 }, (_, i) => i))).toBe('[0,1,2,3,4,5,6,7,8,9,…]');
  });

  it('shows an object whose "constructor" is not a class by its kind', () => {
    const hostile = JSON.parse('{"constructor": {"name": {"toString": 0}}}');
    expect(describeValue(hostile)).toBe('object');
    expect(() => checkU32('spec.json', 'seed', hostile)).toThrow(/^spec\.json: seed must be a u32, got object$/);
    expect(describeValue(new Map())).toBe('Map');
  });
});

describe('command-line numbers', () => {
  it('parse decimal notation only', () => {
    expect(nonNegativeNumber('--epsilon')('1.5')).toBe(1.5);
    expect(nonNegativeNumber('--epsilon')('.5')).toBe(0.5);
    expect(nonNegativeNumber('--epsilon')('1e-3')).toBe(0.001);
    expect(integerAtLeast('--epochs', 1)('12')).toBe(12);
    for (const text of ['', ' 1.5 ', '0x10', '1.5.2', 'abc', 'Infinity', '1e309', '1,5']) {
      expect(() => nonNegativeNumber('--epsilon')(text), JSON.stringify(text)).toThrow(InvalidArgumentError);
    }
    expect(() => nonNegativeNumber('--epsilon')('')).toThrow(/^--epsilon must be a number ≥ 0, got ""$/);
    expect(() => integerAtLeast('--epochs', 1)('2.5')).toThrow(/^--epochs must be an integer ≥ 1, got "2.5"$/);
    expect(() => numberArgument('--p', { min: 0, max: 1 })('2')).toThrow(/^--p must be a number in \[0, 1\], got "2"$/);
  });
});
