// Seeded mutations for the fuzz corpus. Each mutation takes the PRNG and returns a changed
// copy, never touching its input, so a failing mutant can be rebuilt from (seed, index).
import { TestRandom } from '../helpers/random.ts';

export type Mutation<T> = (input: T, random: TestRandom) => T;

/** Numbers on the edges readers get wrong: 0, 1, around powers of two, the largest u32. */
export const EDGE_U32 = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
export const EDGE_BYTES = [0, 1, 0x7f, 0x80, 0xfe, 0xff];

export function pick<T>(random: TestRandom, list: readonly T[]): T {
  return list[random.int(0, list.length)]!;
}

/** A u32 that is usually an edge value, else any. */
export function edgeU32(random: TestRandom): number {
  return random.next() < 0.7 ? pick(random, EDGE_U32) : Math.floor(random.next() * 2 ** 32);
}

/** Half the positions land in the first 64 bytes, where headers live. */
function position(random: TestRandom, length: number): number {
  return random.next() < 0.5 ? random.int(0, Math.min(64, length)) : random.int(0, length);
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

export function randomBytes(random: TestRandom, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, () => random.int(0, 256));
}

/** Format-blind damage: what a bad disk, a cut download or a careless edit does to a file. */
export const BYTE_MUTATIONS: Record<string, Mutation<Uint8Array>> = {
  'bit flips': (bytes, random) => {
    const out = bytes.slice();
    const flips = random.int(1, 9);
    for (let i = 0; i < flips && out.length > 0; i++) out[position(random, out.length)]! ^= 1 << random.int(0, 8);
    return out;
  },
  'edge bytes': (bytes, random) => {
    const out = bytes.slice();
    const count = random.int(1, 5);
    for (let i = 0; i < count && out.length > 0; i++) out[position(random, out.length)] = pick(random, EDGE_BYTES);
    return out;
  },
  'edge u32': (bytes, random) => {
    if (bytes.length < 4) return bytes.slice();
    const out = bytes.slice();
    new DataView(out.buffer).setUint32(Math.min(position(random, out.length), out.length - 4), edgeU32(random), random.next() < 0.5);
    return out;
  },
  'insert bytes': (bytes, random) => splice(bytes, position(random, bytes.length + 1), 0, randomBytes(random, random.int(1, 33))),
  'delete bytes': (bytes, random) => {
    const at = position(random, bytes.length);
    return splice(bytes, at, Math.min(bytes.length - at, random.int(1, 33)));
  },
  truncate: (bytes, random) => bytes.slice(0, random.int(0, bytes.length)),
  'duplicate range': (bytes, random) => {
    const start = random.int(0, bytes.length);
    const range = bytes.slice(start, start + random.int(1, 257));
    return splice(bytes, random.int(0, bytes.length + 1), 0, range);
  },
  'append garbage': (bytes, random) => splice(bytes, bytes.length, 0, random.next() < 0.5 ? new Uint8Array(random.int(1, 4096)) : randomBytes(random, random.int(1, 64))),
};

/**
 * 1 to 3 mutations; each picks a family first (so a few format-aware mutations weigh as much as
 * the many format-blind ones), then a mutation in it. Returns the mutant and what was done.
 */
export function mutateWith<T>(input: T, random: TestRandom, ...families: Record<string, Mutation<T>>[]): { mutant: T; how: string[] } {
  const how: string[] = [];
  let mutant = input;
  for (let i = random.int(1, 4); i > 0; i--) {
    const family = pick(random, families);
    const name = pick(random, Object.keys(family));
    mutant = family[name]!(mutant, random);
    how.push(name);
  }
  return { mutant, how };
}

// ---- JSON values ----

/** What a hand-edited or hostile JSON file puts where a setting belongs. */
export function garbageValue(random: TestRandom, depth = 0): unknown {
  const pool: (() => unknown)[] = [
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => -0,
    () => 0.5,
    () => 1e308,
    () => -1e308,
    () => 2 ** 53 + 2,
    () => 2 ** 32,
    () => 4294967295,
    () => random.int(-5, 300),
    () => '',
    () => 'NaN',
    () => 'Infinity',
    () => '-1',
    () => '1e309',
    () => '0x10',
    () => 'x'.repeat(random.int(1, 5000)),
    () => 'esp',
    () => 'augmix+esp+l2',
    () => '__proto__',
    () => [],
    () => [1, 0],
    () => Array.from({ length: random.int(1, 5) }, () => (depth < 3 ? garbageValue(random, depth + 1) : 0)),
    () => ({}),
    () => (depth < 3 ? { [pick(random, ['a', 'kind', 'epsilon', 'mean', 'std', 'padding', '__proto__', 'constructor'])]: garbageValue(random, depth + 1) } : {}),
    // 100,000 levels: past where JSON.stringify (and any recursive checker) overflows the stack.
    () => deeplyNested(random.next() < 0.5 ? random.int(1, 200) : 100_000),
    // What error messages must not trust: a "constructor" whose "name" is not a string.
    () => ({ constructor: { name: { toString: 0 } } }),
  ];
  return pick(random, pool)();
}

/** [[[…]]] `depth` deep: a parser or checker that recurses must not overflow. */
export function deeplyNested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

type Json = Record<string, unknown> | unknown[];

/** Every (container, key) in a JSON tree, the root's own keys included; iterative, as trees may nest 100,000 deep. */
function slots(root: Json): [Json, string | number][] {
  const out: [Json, string | number][] = [];
  const pending: Json[] = [root];
  while (pending.length > 0 && out.length < 10_000) {
    const node = pending.pop()!;
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      out.push([node, key]);
      const child = (node as Record<string | number, unknown>)[key];
      if (typeof child === 'object' && child !== null) pending.push(child as Json);
    }
  }
  return out;
}

/** Field names a user might mistype or a hostile file might add. */
const FIELD_NAMES = ['epoch', 'epochs', 'lr', 'seed', 'data', 'outputs', 'augmentation', 'method', 'esp', 'schedule', 'kind', 'extra', '__proto__', 'constructor', 'toString', 'normalization', 'mean', 'std', 'range'];

/** Structural edits of a JSON object (a copy; the input is kept). */
export const JSON_MUTATIONS: Record<string, Mutation<unknown>> = {
  'replace a value': (value, random) => editSlot(value, random, (node, key) => ((node as Record<string | number, unknown>)[key] = garbageValue(random))),
  'delete a field': (value, random) => editSlot(value, random, (node, key) => (Array.isArray(node) ? node.splice(Number(key), 1) : delete (node as Record<string, unknown>)[key])),
  'add a field': (value, random) => {
    const copy = clone(value);
    const targets = [copy, ...slots(isContainer(copy) ? copy : {}).map(([n, k]) => (n as Record<string | number, unknown>)[k])].filter(isPlainObject);
    if (targets.length > 0) defineField(pick(random, targets), pick(random, FIELD_NAMES), garbageValue(random));
    return copy;
  },
  'wrap in a list': (value, random) => editSlot(value, random, (node, key) => ((node as Record<string | number, unknown>)[key] = [(node as Record<string | number, unknown>)[key]])),
  'stringify a value': (value, random) => editSlot(value, random, (node, key) => ((node as Record<string | number, unknown>)[key] = text((node as Record<string | number, unknown>)[key]))),
  'replace the root': (_value, random) => garbageValue(random),
};

/** String(value) for what it prints well; arrays and objects as JSON (String recurses into arrays). */
function text(value: unknown): string {
  return typeof value === 'object' && value !== null ? jsonText(value) : String(value);
}

function editSlot(value: unknown, random: TestRandom, edit: (node: Json, key: string | number) => void): unknown {
  const copy = clone(value);
  if (!isContainer(copy)) return copy;
  const all = slots(copy);
  if (all.length === 0) return garbageValue(random);
  const [node, key] = pick(random, all);
  edit(node, key);
  return copy;
}

/** Through JSON, as a file would arrive: own "__proto__" keys stay plain fields. */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(jsonText(value));
}

/**
 * JSON.stringify without recursion: the mutants nest 100,000 deep, past where JSON.stringify
 * overflows the stack, and a file may hold such text.
 */
export function jsonText(value: unknown): string {
  const out: string[] = [];
  // Each task is a value to write, or (boxed) text to copy.
  const tasks: ({ text: string } | { value: unknown })[] = [{ value }];
  while (tasks.length > 0) {
    const task = tasks.pop()!;
    if ('text' in task) {
      out.push(task.text);
      continue;
    }
    const v = task.value;
    if (typeof v !== 'object' || v === null) {
      out.push(JSON.stringify(v) ?? 'null');
      continue;
    }
    const entries = Array.isArray(v) ? v.map((item) => ['', item] as const) : Object.entries(v).filter(([, item]) => item !== undefined);
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    tasks.push({ text: close });
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!;
      tasks.push({ value: item });
      const prefix = i > 0 ? ',' : '';
      tasks.push({ text: Array.isArray(v) ? prefix : `${prefix}${JSON.stringify(key)}:` });
    }
    out.push(open);
  }
  return out.join('');
}

/** As JSON.parse makes fields: even "__proto__" becomes an own property. */
function defineField(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function isContainer(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isContainer(value) && !Array.isArray(value);
}
