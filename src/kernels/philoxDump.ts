// Test hook: the GPU's Philox4x32-10 (shaders/philox.wgsl) evaluated at given
// (counter, key) pairs, so tests compare its bits with known answers and the CPU reference.
import philoxWgsl from '../../shaders/philox.wgsl';
import philoxDumpWgsl from '../../shaders/philox_dump.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import { grid1d } from './grid.ts';

const source = {
  files: [{ file: 'philox.wgsl', code: philoxWgsl }, { file: 'philox_dump.wgsl', code: philoxDumpWgsl }],
  entryPoint: 'philoxDump',
};
const WG = 64;

/** What each output word holds: the raw Philox word or its §3.3 float's bits. */
export type PhiloxDumpMode = 'bits' | 'closedOpen' | 'openClosed';
const MODE_CODE: Record<PhiloxDumpMode, number> = { bits: 0, closedOpen: 1, openClosed: 2 };

/**
 * counters: u32 [n, 4], keys: u32 [n, 2] → u32 [n, 4]: philox4x32(counters[i], keys[i]),
 * or (mode 'closedOpen' / 'openClosed') the f32 bits of the words' [0,1) / (0,1] floats.
 */
export async function philoxDump(gpu: Gpu, counters: Tensor, keys: Tensor, mode: PhiloxDumpMode = 'bits'): Promise<Tensor> {
  const n = counters.shape[0] ?? 0;
  if (counters.dtype !== 'u32' || counters.shape.length !== 2 || counters.shape[1] !== 4) {
    throw new Error(`philoxDump: counters must be u32 [n, 4], got ${counters.dtype} ${formatShape(counters.shape)}`);
  }
  if (keys.dtype !== 'u32' || keys.shape.length !== 2 || keys.shape[0] !== n || keys.shape[1] !== 2) {
    throw new Error(`philoxDump: keys must be u32 [${n}, 2], got ${keys.dtype} ${formatShape(keys.shape)}`);
  }
  const out = gpu.empty([n, 4], 'u32');
  await gpu.dispatch(source, { out, counters, keys }, grid1d(gpu, n, WG), packParams(n, MODE_CODE[mode]));
  return out;
}
