// The checks every layer runs on what it is given — integers, numbers in a range, choices,
// known fields — with one error type and one argument order: (where, field, value, …).
// Messages read `<where>: <field> must be <expected>, got <value>`, so a bad setting names
// the call or file it came from, the field, and what would have been accepted.

/** A setting, argument or field that is out of range or of the wrong kind. */
export class ValidationError extends RangeError {
  override name = 'ValidationError';
}

export function fail(where: string, field: string, expected: string, value: unknown): never {
  throw new ValidationError(`${where}: ${field} must be ${expected}, got ${describeValue(value)}`);
}

/** Bounds of a number: inclusive (min, max) or exclusive (above, below). */
export interface NumberRange {
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

/** " ≥ 0", " > 0", " in [0, 1)", " in (0, 1]" … (empty without bounds). */
export function describeRange({ min, max, above, below }: NumberRange): string {
  const lower = min !== undefined ? `[${min}` : above !== undefined ? `(${above}` : undefined;
  const upper = max !== undefined ? `${max}]` : below !== undefined ? `${below})` : undefined;
  if (lower && upper) return ` in ${lower}, ${upper}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (above !== undefined) return ` > ${above}`;
  if (max !== undefined) return ` ≤ ${max}`;
  if (below !== undefined) return ` < ${below}`;
  return '';
}

export function inRange(x: number, { min, max, above, below }: NumberRange): boolean {
  return (min === undefined || x >= min) && (max === undefined || x <= max) && (above === undefined || x > above) && (below === undefined || x < below);
}

/** A finite number within `range`. */
export function checkNumber(where: string, field: string, value: unknown, range: NumberRange = {}): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && inRange(value, range))) fail(where, field, `a number${describeRange(range)}`, value);
  return value;
}

/** A safe integer within `range`. */
export function checkInteger(where: string, field: string, value: unknown, range: NumberRange = {}): number {
  if (!(Number.isSafeInteger(value) && inRange(value as number, range))) fail(where, field, `an integer${describeRange(range)}`, value);
  return value as number;
}

/** What WGSL and Philox take as a counter or key: an integer in 0..2³²−1. */
export function checkU32(where: string, field: string, value: unknown): number {
  if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff)) fail(where, field, 'a u32', value);
  return value as number;
}

export function checkBoolean(where: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(where, field, 'true or false', value);
  return value;
}

export function checkString(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(where, field, 'a non-empty string', value);
  return value;
}

export function checkOneOf<T extends string>(where: string, field: string, value: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value)) fail(where, field, `one of ${choices.join(', ')}`, value);
  return value as T;
}

/** A plain object (not null, not an array). */
export function checkObject(where: string, field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, field, 'an object', value);
  return value as Record<string, unknown>;
}

/** Catches misspelt fields (`epoch` for `epochs`), which would otherwise be silently ignored. */
export function checkKnownKeys(where: string, object: object, known: readonly string[]): void {
  const unknown = Object.keys(object).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new ValidationError(`${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
  }
}

/** A value as an error message shows it: numbers and strings as they are, objects by their kind. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return previewArray(value, 0).slice(0, 80);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  // A parsed file may hold {"constructor": …}: only a real class name is shown.
  const name: unknown = value.constructor?.name;
  return typeof name === 'string' ? name : 'object';
}

/**
 * An array as JSON-like text, at most three levels and ten items a level deep: a value from a
 * file may nest 100,000 levels, where JSON.stringify overflows the stack.
 */
function previewArray(items: readonly unknown[], depth: number): string {
  if (depth >= 3) return '[…]';
  const shown = items.slice(0, 10).map((v) => (Array.isArray(v) ? previewArray(v, depth + 1) : typeof v === 'string' ? JSON.stringify(v.slice(0, 80)) : v !== null && typeof v === 'object' ? '{…}' : String(v)));
  return `[${shown.join(',')}${items.length > 10 ? ',…' : ''}]`;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A number typed by a person (a flag, a form field): decimal notation only — no blanks, no
 * hex, no empty string, nothing that overflows to Infinity — within `range`, and an integer
 * when `integer`. The error quotes the text as it was given.
 */
export function parseDecimal(field: string, text: string, range: NumberRange = {}, integer = false): number {
  const x = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isFinite(x) && inRange(x, range) && (!integer || Number.isSafeInteger(x)))) {
    throw new ValidationError(`${field} must be ${integer ? 'an integer' : 'a number'}${describeRange(range)}, got ${JSON.stringify(text)}`);
  }
  return x;
}

