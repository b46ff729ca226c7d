// What a dispatch may bind, per kernel: the storage bindings come as a record of WGSL variable
// names in binding order (`{ out, a, b }`), checked against the layout the kernel's source
// declares (bindingLayout.ts), so a wrong order or a wrong tensor fails with the binding's
// name instead of with wrong numbers. Names are checked once per (kernel, name list) and
// cached: the steady state costs a trie walk and a dtype comparison per binding.
import { describeDeclaration, type BindingDeclaration, type BindingLayout } from './bindingLayout.ts';
import { KeyTrie } from './keyTrie.ts';
import { Tensor } from './tensor.ts';

export type Binding = Tensor | GPUBuffer;

/** Storage bindings by WGSL variable name, in binding order (object keys keep insertion order). */
export type NamedBindings = Readonly<Record<string, Binding>>;

/** One (kernel, uniform or not, name list), checked: the declaration each position fills. */
export interface BindingContract {
  /** Per storage binding in order, the declaration its name picked. */
  readonly declarations: readonly BindingDeclaration[];
  /** Binding index of the first storage binding: 1 after a uniform block, else 0. */
  readonly first: number;
}

export class KernelBindings {
  private readonly withUniform = new KeyTrie<BindingContract>();
  private readonly withoutUniform = new KeyTrie<BindingContract>();

  /** `kernel`: "file.wgsl:entryPoint", the prefix of every error. */
  constructor(readonly kernel: string, readonly layout: BindingLayout) {}

  /** The contract of binding `names` in order (after a uniform block when `uniform`); throws if they do not fit. */
  contract(uniform: boolean, names: readonly string[]): BindingContract {
    const cache = uniform ? this.withUniform : this.withoutUniform;
    let contract = cache.get(names);
    if (!contract) {
      contract = this.check(uniform, names);
      cache.set(names, contract);
    }
    return contract;
  }

  /** Each tensor holds the scalar its declaration reads (raw buffers carry no dtype). Per dispatch: no allocation. */
  checkDtypes(contract: BindingContract, bindings: readonly Binding[]): void {
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      const want = contract.declarations[i]!.scalar;
      if (b instanceof Tensor && want !== undefined && b.dtype !== want) this.wrongDtype(contract.declarations[i]!, b);
    }
  }

  /**
   * WebGPU refuses, in one dispatch, a buffer bound read-only and read_write (whatever the
   * ranges) and two read_write bindings whose ranges overlap. Checked when a bind group is
   * made, since the bind group cache is keyed by the buffers and ranges.
   */
  checkAliasing(contract: BindingContract, bindings: readonly Binding[]): void {
    const { declarations: d } = contract;
    for (let i = 0; i < bindings.length; i++) {
      for (let j = i + 1; j < bindings.length; j++) {
        const [a, b] = [bindings[i]!, bindings[j]!];
        if (bufferOf(a) !== bufferOf(b)) continue;
        const writes = (d[i]!.access === 'read_write' ? 1 : 0) + (d[j]!.access === 'read_write' ? 1 : 0);
        if (writes === 1) throw this.aliasing(contract, i, j, 'are one buffer, read through one and written through the other');
        if (writes === 2 && overlap(a, b)) throw this.aliasing(contract, i, j, 'overlap in one buffer, both written');
      }
    }
  }

  private check(uniform: boolean, names: readonly string[]): BindingContract {
    this.checkUniform(uniform);
    const first = uniform ? 1 : 0;
    const declarations = names.map((name, i) => this.declarationAt(first + i, name));
    return { declarations, first };
  }

  private checkUniform(uniform: boolean): void {
    const atZero = this.layout.byIndex.get(0) ?? [];
    const declared = atZero.find((d) => d.space === 'uniform');
    if (declared && !uniform) throw new Error(`${this.kernel}: binding 0 is the uniform ${describeDeclaration(declared)}, got no params`);
    if (!declared && uniform) throw new Error(`${this.kernel}: got params, but binding 0 is ${this.describeIndex(0)}, not a uniform`);
  }

  private declarationAt(index: number, name: string): BindingDeclaration {
    const declared = this.layout.byName.get(name);
    if (declared?.binding === index && declared.space === 'storage') return declared;
    const where = !declared ? 'which the shader does not declare' : declared.space === 'uniform' ? 'the uniform' : `declared at binding ${declared.binding}`;
    throw new Error(`${this.kernel}: binding ${index} is ${this.describeIndex(index)}, got "${name}" (${where})`);
  }

  private describeIndex(index: number): string {
    const aliases = this.layout.byIndex.get(index);
    return aliases ? aliases.map(describeDeclaration).join(' or ') : 'not declared';
  }

  private wrongDtype(d: BindingDeclaration, t: Tensor): never {
    throw new Error(`${this.kernel}: binding ${d.binding} "${d.name}" is ${d.elementType}, got ${t.dtype === 'f32' ? 'an' : 'a'} ${t.dtype} tensor`);
  }

  private aliasing(contract: BindingContract, i: number, j: number, what: string): Error {
    const describe = (k: number) => `binding ${contract.first + k} "${contract.declarations[k]!.name}" (${contract.declarations[k]!.access})`;
    return new Error(`${this.kernel}: ${describe(i)} and ${describe(j)} ${what}, which WebGPU refuses in one dispatch`);
  }
}

function bufferOf(b: Binding): GPUBuffer {
  return b instanceof Tensor ? b.buffer : b;
}

/** Byte ranges as bound (an empty tensor binds 4 bytes; a raw buffer binds whole). */
function overlap(a: Binding, b: Binding): boolean {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) return true;
  return a.byteOffset < b.byteOffset + boundBytes(b) && b.byteOffset < a.byteOffset + boundBytes(a);
}

export function boundBytes(t: Tensor): number {
  return Math.max(4, t.byteLength);
}
