// Downloads the public data sets into the folder layout loadDataset / loadCorruptionSuite read
// (Node only). A file streams into `<dest>.part`, is hashed as it arrives, and is renamed to
// `<dest>` only once its digest matches the published one, so `<dest>` is always whole and right.
// An interrupted download resumes from the .part with an HTTP Range request.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface RemoteFile {
  url: string;
  /** the name it is saved under inside the data set's folder */
  file: string;
  /** published SHA-256 (hex); undefined where we do not know it for certain */
  sha256?: string;
  /** published MD5 (hex), a second check where the authors publish one */
  md5?: string;
}

export interface DatasetSource {
  files: readonly RemoteFile[];
  /** for archives: how to unpack, with {archive} and {dir} to fill in */
  extract?: string;
}

export type Catalogue = Readonly<Record<string, DatasetSource>>;

const FASHION_MNIST = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
const MNIST = 'https://ossci-datasets.s3.amazonaws.com/mnist/';

/**
 * The canonical files. SHA-256 values agree across several independent downloaders; MD5 values
 * are the ones the authors (Zalando's README, the CIFAR page, Zenodo) publish.
 * Names are those of datasets.ts (DatasetName, CorruptionSuiteName).
 */
export const DATASET_SOURCES: Catalogue = {
  'fashion-mnist': {
    files: [
      { url: `${FASHION_MNIST}train-images-idx3-ubyte.gz`, file: 'train-images-idx3-ubyte.gz', sha256: '08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { url: `${FASHION_MNIST}train-labels-idx1-ubyte.gz`, file: 'train-labels-idx1-ubyte.gz', sha256: 'b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc', md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { url: `${FASHION_MNIST}t10k-images-idx3-ubyte.gz`, file: 't10k-images-idx3-ubyte.gz', sha256: '78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229', md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { url: `${FASHION_MNIST}t10k-labels-idx1-ubyte.gz`, file: 't10k-labels-idx1-ubyte.gz', sha256: '42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
  },
  mnist: {
    files: [
      { url: `${MNIST}train-images-idx3-ubyte.gz`, file: 'train-images-idx3-ubyte.gz', sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609' },
      { url: `${MNIST}train-labels-idx1-ubyte.gz`, file: 'train-labels-idx1-ubyte.gz', sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c' },
      { url: `${MNIST}t10k-images-idx3-ubyte.gz`, file: 't10k-images-idx3-ubyte.gz', sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6' },
      { url: `${MNIST}t10k-labels-idx1-ubyte.gz`, file: 't10k-labels-idx1-ubyte.gz', sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6' },
    ],
  },
  cifar10: {
    files: [{ url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz', file: 'cifar-10-binary.tar.gz', sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd', md5: 'c32a1d4ab5d03f1284b67883e8d87530' }],
    extract: 'tar -xzf {archive} -C {dir}',
  },
  cifar100: {
    files: [{ url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz', file: 'cifar-100-binary.tar.gz', sha256: '58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec', md5: '03b5dce01913d631647c71ecec9e9cb8' }],
    extract: 'tar -xzf {archive} -C {dir}',
  },
  'mnist-c': {
    files: [{ url: 'https://zenodo.org/records/3239543/files/mnist_c.zip', file: 'mnist_c.zip', sha256: 'af9ee8c6a815870c7fdde5af84c7bf8db0bcfa1f41056db83871037fba70e493', md5: '4b34b33045869ee6d424616cd3a65da3' }],
    extract: 'unzip -q {archive} -d {dir}',
  },
  'cifar10-c': {
    // SHA-256 not known for certain; Zenodo's MD5 checks it.
    files: [{ url: 'https://zenodo.org/records/2535967/files/CIFAR-10-C.tar', file: 'CIFAR-10-C.tar', sha256: undefined, md5: '56bf5dcef84df0e2308c6dcbcbbd8499' }],
    extract: 'tar -xf {archive} -C {dir}',
  },
};

export interface DownloadProgress {
  url: string;
  /** bytes of the file on disk so far, the resumed part included */
  received: number;
  /** the whole file's size when the server says, else undefined */
  total: number | undefined;
}

export interface DownloadOptions {
  sha256?: string;
  md5?: string;
  /** keep a file no published digest checks (default: leave it as .part and throw) */
  acceptUnverified?: boolean;
  fetch?: typeof fetch;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  md5: string;
  /** true when a published digest was checked and matched */
  verified: boolean;
  /** bytes reused from an earlier .part (0 when it started afresh) */
  resumedFrom: number;
}

/** A file downloaded whole but with no published digest to check it against. */
export class UnverifiedDownloadError extends Error {
  constructor(
    readonly partPath: string,
    readonly sha256: string,
    readonly md5: string,
  ) {
    super(`${basename(partPath, '.part')}: no published digest to check it against; computed sha256 ${sha256}, md5 ${md5}. Kept as ${partPath}; rerun with --accept-unverified to keep it`);
  }
}

/** Streams `url` to `dest` through `dest.part`, resuming, hashing and verifying; see the file comment. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  const hashes = { sha256: createHash('sha256'), md5: createHash('md5') };
  const { bytes, resumedFrom } = await fetchInto(url, part, hashes, options);
  const actual = { sha256: hashes.sha256.digest('hex'), md5: hashes.md5.digest('hex') };
  const expected = { sha256: options.sha256?.toLowerCase(), md5: options.md5?.toLowerCase() };
  for (const kind of ['sha256', 'md5'] as const) {
    if (expected[kind] !== undefined && expected[kind] !== actual[kind]) {
      await rm(part, { force: true });
      throw new Error(`${basename(dest)}: ${kind.toUpperCase()} mismatch for ${url}: expected ${expected[kind]}, got ${actual[kind]} (download deleted)`);
    }
  }
  const verified = expected.sha256 !== undefined || expected.md5 !== undefined;
  if (!verified && !options.acceptUnverified) throw new UnverifiedDownloadError(part, actual.sha256, actual.md5);
  await rename(part, dest);
  await syncFolder(dirname(dest));
  return { path: dest, bytes, ...actual, verified, resumedFrom };
}

/** Appends the rest of `url` to `part` (or rewrites it), feeding every byte of the file to `hashes`. */
async function fetchInto(url: string, part: string, hashes: Record<string, Hash>, options: DownloadOptions): Promise<{ bytes: number; resumedFrom: number }> {
  const fetchImpl = options.fetch ?? fetch;
  const existing = (await stat(part).catch(() => undefined))?.size ?? 0;
  const response = await fetchImpl(url, { headers: existing > 0 ? { Range: `bytes=${existing}-` } : {} }).catch((error: Error) => {
    throw new Error(`${url}: could not connect (${error.message})`);
  });
  if (response.status === 416 && existing > 0 && rangeTotal(response) === existing) {
    // The .part is already the whole file (an earlier run stopped before verifying).
    await response.body?.cancel();
    await hashFile(part, Object.values(hashes));
    return { bytes: existing, resumedFrom: existing };
  }
  if (response.status === 416) {
    await response.body?.cancel();
    await rm(part, { force: true });
    return fetchInto(url, part, hashes, options);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  const resuming = response.status === 206;
  if (resuming && rangeStart(response) !== existing) {
    throw new Error(`${url}: asked for bytes from ${existing}, the server sent "${response.headers.get('content-range')}"`);
  }
  if (resuming) await hashFile(part, Object.values(hashes));
  const offset = resuming ? existing : 0;
  const length = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? offset + length : undefined;
  let received = offset;
  const handle = await open(part, resuming ? 'a' : 'w');
  try {
    const reader = response.body?.getReader();
    for (let next = await reader?.read(); next && !next.done; next = await reader!.read()) {
      const chunk = next.value;
      await handle.write(chunk);
      for (const hash of Object.values(hashes)) hash.update(chunk);
      received += chunk.length;
      options.onProgress?.({ url, received, total });
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (total !== undefined && received !== total) throw new Error(`${url}: connection closed after ${received} of ${total} bytes (kept ${part}; run again to resume)`);
  return { bytes: received, resumedFrom: offset };
}

/** "bytes 100-199/200" → 100 */
function rangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** "bytes *\/200" (on a 416) → 200 */
function rangeTotal(response: Response): number | undefined {
  const match = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

async function hashFile(path: string, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(path)) for (const hash of hashes) hash.update(chunk as Buffer);
}

async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Windows cannot open a folder this way; its renames are journaled anyway.
  }
}

export interface DatasetDownload {
  name: string;
  dir: string;
  files: (DownloadResult & { file: string; skipped: boolean })[];
  /** the command that unpacks an archive into `dir`, when the set ships as one */
  extract?: string;
}

export interface DatasetDownloadOptions extends Pick<DownloadOptions, 'acceptUnverified' | 'fetch'> {
  catalogue?: Catalogue;
  onProgress?: (file: string, progress: DownloadProgress) => void;
}

/** Downloads every file of `name` into `dir` (the set's own folder); files already there and right are kept. */
export async function downloadDataset(name: string, dir: string, options: DatasetDownloadOptions = {}): Promise<DatasetDownload> {
  const catalogue = options.catalogue ?? DATASET_SOURCES;
  const source = catalogue[name];
  if (!source) throw new Error(`unknown dataset "${name}" (expected one of ${Object.keys(catalogue).join(', ')})`);
  const files: DatasetDownload['files'] = [];
  for (const remote of source.files) {
    const dest = join(dir, remote.file);
    const kept = await checkExisting(dest, remote);
    if (kept) {
      files.push({ ...kept, file: remote.file, skipped: true });
      continue;
    }
    const result = await downloadFile(remote.url, dest, {
      sha256: remote.sha256,
      md5: remote.md5,
      acceptUnverified: options.acceptUnverified,
      fetch: options.fetch,
      onProgress: options.onProgress && ((p) => options.onProgress!(remote.file, p)),
    });
    files.push({ ...result, file: remote.file, skipped: false });
  }
  const archive = source.files[0] && join(dir, source.files[0].file);
  const extract = source.extract && archive ? source.extract.replace('{archive}', quote(archive)).replace('{dir}', quote(dir)) : undefined;
  return { name, dir, files, extract };
}

/** A file already at `dest`: its digests, or undefined when absent; throws when it contradicts a published digest. */
async function checkExisting(dest: string, remote: RemoteFile): Promise<DownloadResult | undefined> {
  const size = (await stat(dest).catch(() => undefined))?.size;
  if (size === undefined) return undefined;
  const hashes = { sha256: createHash('sha256'), md5: createHash('md5') };
  await hashFile(dest, Object.values(hashes));
  const actual = { sha256: hashes.sha256.digest('hex'), md5: hashes.md5.digest('hex') };
  for (const kind of ['sha256', 'md5'] as const) {
    if (remote[kind] !== undefined && remote[kind] !== actual[kind]) {
      throw new Error(`${dest}: already exists but its ${kind.toUpperCase()} is ${actual[kind]}, expected ${remote[kind]}; delete it and run again`);
    }
  }
  return { path: dest, bytes: size, ...actual, verified: remote.sha256 !== undefined || remote.md5 !== undefined, resumedFrom: size };
}

function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
