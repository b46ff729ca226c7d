// Suites of corruptions at five severities (CIFAR-10/100-C, Tiny-ImageNet-C): how a generator walks
// them, and the random stream each (corruption, severity) pair gets, so any image of any pair can be
// made alone and comes out the same.
import { corruptImage, type Corruption, type ImageShape } from './corruption.ts';

export const SEVERITIES = [1, 2, 3, 4, 5] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SeverityCorruption {
  name: string;
  /** One line; says so where the corruption is a substitute for, or an emulation of, the reference's. */
  description: string;
  /** levels[s − 1] is severity s, a Corruption named like this one with `severity` set. */
  levels: readonly Corruption[];
}

/**
 * The CorruptionRandom corruption index of corruption c (its position in the suite) at severity s:
 * c·5 + s − 1, so the 75 pairs of a 15-corruption suite draw from 75 distinct streams.
 */
export function severityStream(corruptionIndex: number, severity: number): number {
  if (!Number.isInteger(corruptionIndex) || corruptionIndex < 0) throw new Error(`corruptionIndex must be an integer ≥ 0, got ${corruptionIndex}`);
  if (!SEVERITIES.includes(severity as Severity)) throw new Error(`severity must be one of 1…5, got ${severity}`);
  return corruptionIndex * SEVERITIES.length + severity - 1;
}

export interface SuiteEntry {
  corruption: SeverityCorruption;
  corruptionIndex: number;
  severity: Severity;
  level: Corruption;
  /** severityStream(corruptionIndex, severity): pass it to corruptImage as its corruptionIndex. */
  stream: number;
}

/** Every (corruption, severity) pair in the released files' order: corruption by corruption, severities 1…5 within each. */
export function suiteEntries(suite: readonly SeverityCorruption[]): SuiteEntry[] {
  return suite.flatMap((corruption, corruptionIndex) =>
    SEVERITIES.map((severity) => ({ corruption, corruptionIndex, severity, level: corruption.levels[severity - 1]!, stream: severityStream(corruptionIndex, severity) })),
  );
}

/** Image `imageIndex` of a set under corruption `corruptionIndex` of the suite at `severity`, with the randomness of (seed, imageIndex, stream). */
export function corruptAtSeverity(
  suite: readonly SeverityCorruption[],
  corruptionIndex: number,
  severity: number,
  image: Uint8Array,
  shape: ImageShape,
  seed: number,
  imageIndex: number,
): Uint8Array {
  const corruption = suite[corruptionIndex];
  if (!corruption) throw new Error(`corruptionIndex must be in [0, ${suite.length}), got ${corruptionIndex}`);
  const stream = severityStream(corruptionIndex, severity);
  return corruptImage(corruption.levels[severity - 1]!, image, shape, seed, imageIndex, stream);
}
