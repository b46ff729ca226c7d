// The import graph points down only: each folder of src/ may import the folders below it in
// LAYERS and nothing above, so a change low in the stack cannot depend on what is built on it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Lowest first. data sits below nn: models read MAX_CLASSES, the byte labels' limit. node.ts is index.ts plus the Node-only helpers. */
const LAYERS = ['validate', 'device', 'gpu', 'rng', 'io', 'data', 'kernels', 'nn', 'optim', 'augment', 'tuning', 'train', 'worker', 'distributed', 'cli', 'index', 'node'];

const src = fileURLToPath(new URL('../../src', import.meta.url));

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** "kernels" for src/kernels/conv2d.ts, "validate" for src/validate.ts. */
const layerOf = (path: string) => relative(src, path).split('/')[0]!.replace(/\.ts$/, '');

describe('the layers of src/', () => {
  it('every folder is in the list', () => {
    const folders = [...new Set(sourceFiles(src).map(layerOf))];
    expect(folders.filter((f) => !LAYERS.includes(f))).toEqual([]);
  });

  it('no module imports a layer above its own', () => {
    const upward: string[] = [];
    for (const file of sourceFiles(src)) {
      const from = layerOf(file);
      for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = normalize(join(dirname(file), match[1]!));
        if (!target.startsWith(src)) continue;
        const to = layerOf(target);
        if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) upward.push(`${relative(src, file)} imports ${relative(src, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
