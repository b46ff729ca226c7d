// Tile shapes are WGSL `const` declarations with working defaults, so each .wgsl file is
// valid on its own; a kernel wrapper rewrites the ones it tunes. (Overrides cannot size
// the per-invocation register arrays that register blocking needs, consts can.)
export type Specialization = Record<string, number | boolean>;

export function specialize(source: string, shaderName: string, values: Specialization = {}): string {
  let out = source;
  for (const [name, value] of Object.entries(values)) {
    const pattern = new RegExp(`^const ${name}\\s*:\\s*(u32|i32|f32|bool)\\s*=\\s*[^;]+;`, 'm');
    const match = pattern.exec(out);
    if (!match) throw new Error(`${shaderName}: no top-level "const ${name}: <type> = ...;" to specialize`);
    out = out.replace(pattern, `const ${name}: ${match[1]} = ${literal(match[1]!, value, shaderName, name)};`);
  }
  return out;
}

function literal(type: string, value: number | boolean, shaderName: string, name: string): string {
  const bad = () => new Error(`${shaderName}: const ${name} is ${type}, cannot take ${String(value)}`);
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw bad();
    return String(value);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad();
  if (type === 'f32') return `${value}f`;
  if (!Number.isInteger(value) || (type === 'u32' && value < 0)) throw bad();
  return type === 'u32' ? `${value}u` : `${value}i`;
}
