// The GEMM tuning cache as one JSON file, for Node (this file imports node:fs: keep it out of
// browser bundles). A cache must never stop a run: a missing, unreadable or damaged file reads
// as empty, entries that are not valid configs are ignored, and the next `set` rewrites the
// file whole (atomically, so a crash or a second process racing leaves one whole file).
//   { "format": "espgpu-gemm-tuning", "version": 1, "entries": { "<tuning key>": GemmConfig } }
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { GemmConfig } from '../kernels/gemmConfig.ts';
import { parseGemmConfig, type TuningStore } from './tuningStore.ts';
import { writeFileAtomicSync } from '../io/atomicFile.ts';

export const TUNING_CACHE_FORMAT = 'espgpu-gemm-tuning';
export const TUNING_CACHE_VERSION = 1;

/**
 * `$XDG_CACHE_HOME/espgpu/gemm-tuning.json`, or `~/.cache/espgpu/gemm-tuning.json` when the
 * variable is unset or relative (the XDG spec says to ignore relative paths).
 */
export function defaultTuningCachePath(env: Record<string, string | undefined> = process.env, home: string = homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(home, '.cache');
  return join(base, 'espgpu', 'gemm-tuning.json');
}

export function fileTuningStore(path: string): TuningStore {
  if (typeof path !== 'string' || path === '') throw new Error(`fileTuningStore: path must be a file path, got ${JSON.stringify(path)}`);
  return {
    async get(key) {
      return (await readEntries(path)).get(key);
    },
    async set(key, config) {
      const entries = await readEntries(path);
      entries.set(key, config);
      const json = { format: TUNING_CACHE_FORMAT, version: TUNING_CACHE_VERSION, entries: Object.fromEntries(entries) };
      writeFileAtomicSync(path, new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
    },
  };
}

/** The valid entries of the file; empty when it is missing, unreadable or not this format. */
async function readEntries(path: string): Promise<Map<string, GemmConfig>> {
  const entries = new Map<string, GemmConfig>();
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return entries;
  }
  if (!isRecord(data) || data.format !== TUNING_CACHE_FORMAT || data.version !== TUNING_CACHE_VERSION || !isRecord(data.entries)) return entries;
  for (const [key, value] of Object.entries(data.entries)) {
    const config = parseGemmConfig(value);
    if (config) entries.set(key, config);
  }
  return entries;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
