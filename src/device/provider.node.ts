// Node: WebGPU comes from Dawn's native addon (the `webgpu` npm package).
// Its constructor globals (GPUBufferUsage, GPUMapMode, ...) are installed once so
// code above `device/` can use the standard names. `navigator` is never touched:
// assigning it hangs webgpu 0.6.x.
import { create, globals } from 'webgpu';

let installed = false;

export const runtime = 'node' as const;

export function gpuEntry(adapterName?: string): GPU {
  if (!installed) {
    for (const [name, value] of Object.entries(globals)) {
      if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    }
    installed = true;
  }
  // Dawn's `adapter=` flag picks the adapter whose name contains the substring.
  return create(adapterName ? [`adapter=${adapterName}`] : []);
}
