// The bindings a WGSL module declares, read from its source: for each `@group(0) @binding(N)
// var<space[, access]> name : type;` the index, name, address space, access and element type.
// Pipelines use `layout: 'auto'`, which WebGPU does not let JavaScript inspect, so this is
// how a dispatch learns what each binding must be (bindingContract.ts checks it). A shader
// may declare several variables at one index (one view as f32, another as vec4<f32>; or
// bindings of different entry points that share a file): each is an alias of that index.
export type AddressSpace = 'uniform' | 'storage';
export type Access = 'read' | 'read_write';
/** The scalar a binding's values are made of: what a tensor's dtype must match. */
export type ScalarKind = 'f32' | 'u32' | 'i32';

export interface BindingDeclaration {
  binding: number;
  name: string;
  space: AddressSpace;
  /** Uniforms are read-only; storage without an access mode is `read`, as in WGSL. */
  access: Access;
  /** T of `array<T>` (or `array<T, n>`), else the variable's own type: `f32`, `vec4<f32>`, `Params`. */
  elementType: string;
  /** undefined when the values are not of one scalar kind (a struct of mixed fields, bits packed by the caller). */
  scalar: ScalarKind | undefined;
}

export interface BindingLayout {
  /** Every declaration at each index, in source order. */
  readonly byIndex: ReadonlyMap<number, readonly BindingDeclaration[]>;
  readonly byName: ReadonlyMap<string, BindingDeclaration>;
}

// Two attributes in either order, `var`, an optional <space, access>, then `name : type;`.
const DECLARATION = /((?:@(?:group|binding)\s*\(\s*\d+\s*\)\s*){2})var\s*(?:<\s*(\w+)\s*(?:,\s*(\w+)\s*)?>)?\s*([A-Za-z_]\w*)\s*:\s*([^;]+);/g;
const STRUCT = /\bstruct\s+([A-Za-z_]\w*)\s*\{([^}]*)\}/g;

/** The @group(0) bindings of a module's source; throws on a declaration it cannot read. */
export function parseBindings(code: string, shaderName: string): BindingDeclaration[] {
  const source = stripComments(code);
  const structs = structMembers(source);
  const declarations: BindingDeclaration[] = [];
  let parsed = 0;
  for (const match of source.matchAll(DECLARATION)) {
    parsed++;
    const [text, attributes, space, access, name, type] = match as unknown as string[];
    const group = attribute(attributes!, 'group');
    if (group !== 0) continue; // the Gpu binds group 0 only
    declarations.push(declaration(text!, attribute(attributes!, 'binding'), space, access, name!, type!.trim(), structs, shaderName));
  }
  // Every @binding must have been read: one the pattern missed would go unchecked.
  const written = source.match(/@binding\s*\(/g)?.length ?? 0;
  if (written !== parsed) throw new Error(`${shaderName}: ${written - parsed} @binding declaration(s) not of the form "@group(G) @binding(N) var<space[, access]> name: type;"`);
  return declarations;
}

/** The layout of a module: its declarations by index and by name. */
export function bindingLayout(code: string, shaderName: string): BindingLayout {
  const byIndex = new Map<number, BindingDeclaration[]>();
  const byName = new Map<string, BindingDeclaration>();
  for (const d of parseBindings(code, shaderName)) {
    if (byName.has(d.name)) throw new Error(`${shaderName}: binding "${d.name}" is declared twice`);
    byName.set(d.name, d);
    const aliases = byIndex.get(d.binding);
    if (aliases) aliases.push(d);
    else byIndex.set(d.binding, [d]);
  }
  return { byIndex, byName };
}

/** `"weight" (storage, read, f32)`, as error messages show a declaration. */
export function describeDeclaration(d: BindingDeclaration): string {
  return d.space === 'uniform' ? `"${d.name}" (uniform, ${d.elementType})` : `"${d.name}" (storage, ${d.access}, ${d.elementType})`;
}

function declaration(
  text: string, binding: number, space: string | undefined, access: string | undefined, name: string, type: string,
  structs: ReadonlyMap<string, string[]>, shaderName: string,
): BindingDeclaration {
  const bad = (why: string) => new Error(`${shaderName}: binding ${binding} "${name}": ${why} in "${text.replace(/\s+/g, ' ')}"`);
  if (space !== 'uniform' && space !== 'storage') throw bad(`address space must be uniform or storage, got ${space ?? 'none'}`);
  if (space === 'uniform' && access !== undefined) throw bad('a uniform takes no access mode');
  const mode = access ?? 'read';
  if (mode !== 'read' && mode !== 'read_write') throw bad(`access must be read or read_write, got ${mode}`);
  const elementType = arrayElement(type) ?? type;
  return { binding, name, space, access: mode, elementType, scalar: scalarOf(elementType, structs, new Set()) };
}

function attribute(attributes: string, which: 'group' | 'binding'): number {
  return Number(new RegExp(`@${which}\\s*\\(\\s*(\\d+)`).exec(attributes)![1]);
}

/** Comments may hold declaration-like text (an old binding commented out): drop them first. */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

/** Each struct's member types, so a `array<SamplePlan>` binding resolves to its fields' scalar. */
function structMembers(source: string): Map<string, string[]> {
  const structs = new Map<string, string[]>();
  for (const [, name, body] of source.matchAll(STRUCT)) {
    const types = splitTopLevel(body!)
      .map((member) => member.replace(/@\w+\s*(\([^)]*\))?/g, '').trim())
      .filter((member) => member !== '')
      .map((member) => member.slice(member.indexOf(':') + 1).trim());
    structs.set(name!, types);
  }
  return structs;
}

/** T of `array<T>` or `array<T, n>`; undefined for any other type. */
function arrayElement(type: string): string | undefined {
  const inner = /^array\s*<([\s\S]+)>$/.exec(type)?.[1];
  return inner === undefined ? undefined : splitTopLevel(inner)[0]!.trim();
}

/** One scalar kind for every value of the type, or undefined (mixed, or a type this does not know). */
function scalarOf(type: string, structs: ReadonlyMap<string, string[]>, seen: Set<string>): ScalarKind | undefined {
  const t = type.trim();
  if (t === 'f32' || t === 'u32' || t === 'i32') return t;
  const shorthand = /^(?:vec[234]|mat[234]x[234])([fiu])$/.exec(t)?.[1];
  if (shorthand) return ({ f: 'f32', i: 'i32', u: 'u32' } as const)[shorthand as 'f' | 'i' | 'u'];
  const wrapped = /^(?:vec[234]|mat[234]x[234]|atomic)\s*<([\s\S]+)>$/.exec(t)?.[1];
  if (wrapped !== undefined) return scalarOf(wrapped, structs, seen);
  const element = arrayElement(t);
  if (element !== undefined) return scalarOf(element, structs, seen);
  const members = structs.get(t);
  if (!members || seen.has(t)) return undefined;
  seen.add(t);
  const kinds = new Set(members.map((m) => scalarOf(m, structs, seen)));
  const [only] = kinds;
  return kinds.size === 1 ? only : undefined;
}

/** Splits at commas outside <…> (`array<f32, 4>, u32` → two parts). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
