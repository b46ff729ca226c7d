// Element-wise kernels index a flattened 2-D grid: x is capped by the per-dimension
// workgroup limit (65535 by default) and y carries the rest.
import type { Gpu } from '../gpu/gpu.ts';

export function grid1d(gpu: Gpu, count: number, workgroupSize: number): [number, number] {
  const groups = Math.ceil(count / workgroupSize);
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  const y = Math.ceil(groups / max);
  return [Math.ceil(groups / y), y];
}
