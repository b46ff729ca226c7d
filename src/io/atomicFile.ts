// Files the way a training run writes them, in Node (this file imports node:fs: keep it out of
// browser bundles). A checkpoint replaces the previous one atomically: written to a temporary
// file beside it, flushed to disk, then renamed over it, so a crash or a kill at any moment
// leaves the old checkpoint or the new one, never a mix. A metrics line is one append.
// The Trainer sees only the FileStore interface; a browser can implement it over OPFS.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { access, appendFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FileStore {
  read(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  /** Replaces (or creates) the file with `bytes`: readers see the old file or the new one, whole. */
  replace(path: string, bytes: Uint8Array): Promise<void>;
  /** Appends `text`, whole lines, in one write; creates the file (and its folder) if needed. */
  append(path: string, text: string): Promise<void>;
}

/**
 * Writes `bytes` to a temporary file in the same folder (a rename is only atomic within
 * one file system), syncs it, and renames it over `path`. Creates the folder if needed.
 * On failure the temporary file is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  removeStaleTemporaries(folder);
  const temporary = temporaryName(path);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncFolder(folder);
}

/** The same, synchronously, for command-line writers (datasets, galleries) that have no loop to yield to. */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const temporary = writeTemporarySync(path, bytes);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

// The name ends in .tmp (git-ignored), and is unique per process and call; the pid in it
// tells a temporary of a live writer from one a killed process left behind.
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries that processes no longer alive left in `folder` (a kill -9 between
 * the write and the rename): the next write there cleans up after it. Best effort: a folder
 * that cannot be listed is left as it is.
 */
export function removeStaleTemporaries(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    const pid = Number(TEMPORARY.exec(name)?.[1] ?? Number.NaN);
    return Number.isSafeInteger(pid) && pid !== process.pid && !processIsAlive(pid);
  });
  for (const name of stale) rmSync(join(folder, name), { force: true });
  return stale;
}

/**
 * Checks, before a run starts, that `path` could be written: creates its folder and a probe
 * file in it, then removes the probe. Errors name the path and the system's reason.
 */
export function checkWritable(path: string, what: string): void {
  const probe = temporaryName(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    throw new Error(`${what} ${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    try {
      rmSync(probe, { force: true });
    } catch {
      // The probe was never made (its folder is not one): nothing to remove.
    }
  }
}

/**
 * Writes `bytes` to a new temporary file beside `path` (its folder made, dead writers'
 * temporaries removed) and syncs it; returns its name, for the caller to rename or link into
 * place. On failure nothing is left behind.
 */
export function writeTemporarySync(path: string, bytes: Uint8Array): string {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  removeStaleTemporaries(folder);
  const temporary = temporaryName(path);
  try {
    const fd = openSync(temporary, 'wx');
    try {
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return temporary;
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Makes the rename itself durable; some platforms cannot open a folder for syncing, which is fine. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows: directories cannot be opened this way; NTFS renames are journaled anyway.
  }
}

/** Opens in append mode and writes `text` with one write call. */
export async function appendText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, text, 'utf8');
}

export const nodeFileStore: FileStore = {
  async read(path) {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  async exists(path) {
    return access(path).then(
      () => true,
      () => false,
    );
  },
  replace: writeFileAtomic,
  append: appendText,
};
