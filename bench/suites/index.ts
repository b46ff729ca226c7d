// The benchmark suites in the order a full run takes them.
import { augmentSuite } from './augment.ts';
import { epochSuite } from './epoch.ts';
import { kernelSuite } from './kernels.ts';
import type { Suite } from './suite.ts';
import { trainSuite } from './train.ts';

export const SUITES: readonly Suite[] = [kernelSuite, augmentSuite, trainSuite, epochSuite];

/** The named suites, in SUITES' order; an unknown name is an error listing the known ones. */
export function selectSuites(names: readonly string[]): Suite[] {
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown suite ${unknown.join(', ')}; expected ${SUITES.map((s) => s.name).join(', ')}`);
  return names.length ? SUITES.filter((s) => names.includes(s.name)) : [...SUITES];
}
