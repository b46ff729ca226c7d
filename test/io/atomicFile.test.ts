import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileStore, writeFileAtomic } from '../../src/io/atomicFile.ts';

let folder = '';
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'espgpu-atomic-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('atomic file replacement', () => {
  it('creates the file and its folders, then replaces it whole, leaving no temporary file', async () => {
    const path = join(folder, 'a', 'b', 'ckpt.safetensors');
    await writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, Uint8Array.from([9]));
    expect([...(await readFile(path))]).toEqual([9]);
    expect(await readdir(join(folder, 'a', 'b'))).toEqual(['ckpt.safetensors']);
  });

  it('leaves the target untouched and removes the temporary file when the rename fails', async () => {
    // Renaming a file over a non-empty folder fails after the temporary file is written and synced.
    const blocked = join(folder, 'blocked');
    await mkdir(join(blocked, 'inside'), { recursive: true });
    await expect(writeFileAtomic(blocked, Uint8Array.from([1]))).rejects.toThrow();
    expect(await readdir(blocked)).toEqual(['inside']);
    expect(await readdir(folder)).toEqual(['blocked']);
  });

  it('serves a FileStore: read, exists, replace, append', async () => {
    const path = join(folder, 'x.bin');
    expect(await nodeFileStore.exists(path)).toBe(false);
    await nodeFileStore.replace(path, Uint8Array.from([5, 6]));
    expect(await nodeFileStore.exists(path)).toBe(true);
    expect([...(await nodeFileStore.read(path))]).toEqual([5, 6]);
    const log = join(folder, 'logs', 'm.jsonl');
    await nodeFileStore.append(log, 'a\n');
    await nodeFileStore.append(log, 'b\n');
    expect(await readFile(log, 'utf8')).toBe('a\nb\n');
    await expect(nodeFileStore.read(join(folder, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
