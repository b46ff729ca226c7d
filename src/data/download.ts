// Downloads the public data sets into the folder layout loadDataset / loadCorruptionSuite read
// (Node only). A file streams into `<dest>.part`, is hashed as it arrives, and is renamed to
// `<dest>` only once its digest matches the published one, so `<dest>` is always whole and right.
// An interrupted download resumes from the .part with an HTTP Range request.
//
// Servers and networks misbehave, so every transfer is bounded: a connect and an idle timeout,
// a byte cap (the file's known size, else its Content-Length, else maxBytes), a small retry
// budget with exponential backoff for failures that may pass (network, timeouts, 5xx, 408, 429),
// and one restart from byte 0 on a 416. Errors are plain Errors reading `download <url>: ...`,
// with a `code` (DownloadErrorCode) to tell them apart and a resume hint while a .part is kept.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RemoteFile {
  url: string;
  /** the name it is saved under inside the data set's folder */
  file: string;
  /** published SHA-256 (hex); undefined where we do not know it for certain */
  sha256?: string;
  /** published MD5 (hex), a second check where the authors publish one */
  md5?: string;
  /** the file's exact size in bytes where known for certain; caps what a server may send */
  bytes?: number;
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
      { url: `${FASHION_MNIST}train-images-idx3-ubyte.gz`, file: 'train-images-idx3-ubyte.gz', sha256: '08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', bytes: 26421880 },
      { url: `${FASHION_MNIST}train-labels-idx1-ubyte.gz`, file: 'train-labels-idx1-ubyte.gz', sha256: 'b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc', md5: '25c81989df183df01b3e8a0aad5dffbe', bytes: 29515 },
      { url: `${FASHION_MNIST}t10k-images-idx3-ubyte.gz`, file: 't10k-images-idx3-ubyte.gz', sha256: '78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229', md5: 'bef4ecab320f06d8554ea6380940ec79', bytes: 4422102 },
      { url: `${FASHION_MNIST}t10k-labels-idx1-ubyte.gz`, file: 't10k-labels-idx1-ubyte.gz', sha256: '42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf', md5: 'bb300cfdad3c16e7a12a480ee83cd310', bytes: 5148 },
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
  /** the whole file's size when known (catalogue or server), else undefined */
  total: number | undefined;
}

/** How one transfer is bounded; every field has a default fit for real servers. */
export interface TransferOptions {
  fetch?: typeof fetch;
  /** ms to wait for the response headers (default 30 s) */
  connectTimeoutMs?: number;
  /** ms to wait for the next chunk of the body before giving up on it (default 60 s) */
  idleTimeoutMs?: number;
  /** the most bytes accepted for a file whose size neither we nor the server know (default 4 GiB) */
  maxBytes?: number;
  /** further attempts after a network error, a timeout, a 5xx, 408 or 429 (default 3) */
  retries?: number;
  /** wait before the first retry, doubled before each further one (default 1 s) */
  retryDelayMs?: number;
}

export interface DownloadOptions extends TransferOptions {
  sha256?: string;
  md5?: string;
  /** the file's exact size when known: a server sending more fails at once */
  bytes?: number;
  /** keep a file no published digest checks (default: leave it as .part and throw) */
  acceptUnverified?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
}

const TRANSFER_DEFAULTS: Required<Omit<TransferOptions, 'fetch'>> = {
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  // Above the largest catalogue file (CIFAR-10-C.tar, about 2.9 GB), so the cap only stops runaways.
  maxBytes: 4 * 2 ** 30,
  retries: 3,
  retryDelayMs: 1_000,
};

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

/** What went wrong, for callers that act on it; the message says it for people. */
export type DownloadErrorCode =
  /** could not connect, or the connection dropped mid-body */
  | 'DOWNLOAD_NETWORK'
  /** no response headers within connectTimeoutMs, or no body bytes for idleTimeoutMs */
  | 'DOWNLOAD_TIMEOUT'
  /** an HTTP error status (the error's `status` has it) */
  | 'DOWNLOAD_HTTP'
  /** the server sent, or announced, more than the size cap */
  | 'DOWNLOAD_TOO_LARGE'
  /** 416 again after restarting from byte 0 */
  | 'DOWNLOAD_RANGE_NOT_SATISFIABLE'
  /** a 206 answer for other bytes than those asked for */
  | 'DOWNLOAD_BAD_RANGE'
  /** the bytes contradict a published digest */
  | 'DOWNLOAD_DIGEST_MISMATCH'
  /** no published digest to check the file against (UnverifiedDownloadError) */
  | 'DOWNLOAD_UNVERIFIED'
  /** anything else, such as a full disk */
  | 'DOWNLOAD_FAILED';

export type DownloadError = Error & { code: DownloadErrorCode; url: string; status?: number };

/** The code of an error this module threw, else undefined. */
export function downloadErrorCode(error: unknown): DownloadErrorCode | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('DOWNLOAD_') ? (code as DownloadErrorCode) : undefined;
}

function downloadError(url: string, code: DownloadErrorCode, detail: string, extra: { cause?: unknown; status?: number } = {}): DownloadError {
  const error = Object.assign(new Error(`download ${url}: ${detail}`, { cause: extra.cause }), { code, url });
  return extra.status === undefined ? error : Object.assign(error, { status: extra.status });
}

/** A file downloaded whole but with no published digest to check it against. */
export class UnverifiedDownloadError extends Error {
  readonly code = 'DOWNLOAD_UNVERIFIED';
  constructor(
    readonly url: string,
    readonly partPath: string,
    readonly sha256: string,
    readonly md5: string,
  ) {
    super(`download ${url}: no published digest to check it against; computed sha256 ${sha256}, md5 ${md5}. Kept as ${partPath}; rerun with --accept-unverified to keep it`);
  }
}

/** Streams `url` to `dest` through `dest.part`, resuming, hashing and verifying; see the file comment. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  const transfer = await transferWithRetries(url, part, options).catch(async (error: unknown) => {
    throw await publicError(url, part, error);
  });
  const { bytes, resumedFrom, ...actual } = transfer;
  const expected = { sha256: options.sha256?.toLowerCase(), md5: options.md5?.toLowerCase() };
  for (const kind of ['sha256', 'md5'] as const) {
    if (expected[kind] !== undefined && expected[kind] !== actual[kind]) {
      await rm(part, { force: true });
      const detail = `${kind.toUpperCase()} mismatch (expected ${expected[kind]}, got ${actual[kind]}); deleted the download, run again to fetch it afresh`;
      throw downloadError(url, 'DOWNLOAD_DIGEST_MISMATCH', detail);
    }
  }
  const verified = expected.sha256 !== undefined || expected.md5 !== undefined;
  if (!verified && !options.acceptUnverified) throw new UnverifiedDownloadError(url, part, actual.sha256, actual.md5);
  await rename(part, dest);
  await syncFolder(dirname(dest));
  return { path: dest, bytes, ...actual, verified, resumedFrom };
}

/** The file's bytes in `part`, with their digests. */
interface Transfer {
  bytes: number;
  resumedFrom: number;
  sha256: string;
  md5: string;
}

/**
 * Why one attempt failed, before downloadFile adds the URL and the resume hint. `retryable` says
 * whether another attempt may fare better (a dropped connection may; a 404 will not).
 */
class AttemptFailure extends Error {
  attempts = 1;
  constructor(
    readonly code: DownloadErrorCode,
    detail: string,
    readonly retryable: boolean,
    readonly extra: { cause?: unknown; status?: number } = {},
  ) {
    super(detail);
  }
}

/** A 416 that did not show the .part to be complete: the caller decides whether to restart. */
const RANGE_NOT_SATISFIABLE = Symbol('416');

type Settings = Required<Omit<TransferOptions, 'fetch'>> & { fetch: typeof fetch; bytes: number | undefined; onProgress?: DownloadOptions['onProgress'] };

/** Runs attempts until one completes, the retry budget is spent, or a failure that cannot pass. */
async function transferWithRetries(url: string, part: string, options: DownloadOptions): Promise<Transfer> {
  const settings: Settings = {
    ...TRANSFER_DEFAULTS,
    ...definedOnly(options),
    fetch: options.fetch ?? globalThis.fetch,
    bytes: options.bytes,
    onProgress: options.onProgress,
  };
  let restartedAfter416 = false;
  for (let attempt = 0; ; ) {
    try {
      const outcome = await attemptTransfer(url, part, settings);
      if (outcome !== RANGE_NOT_SATISFIABLE) return outcome;
      // Without this bound a server answering 416 to everything was asked forever.
      if (restartedAfter416) throw new AttemptFailure('DOWNLOAD_RANGE_NOT_SATISFIABLE', 'the server answered 416 Range Not Satisfiable again after a restart from byte 0', false);
      // A .part from another version of the file, or longer than it: start again from byte 0, once.
      restartedAfter416 = true;
      await rm(part, { force: true });
    } catch (error) {
      const failure = error instanceof AttemptFailure ? error : new AttemptFailure('DOWNLOAD_FAILED', describe(error), false, { cause: error });
      failure.attempts = attempt + 1;
      if (!failure.retryable || attempt >= settings.retries) throw failure;
      await sleep(settings.retryDelayMs * 2 ** attempt);
      attempt++;
    }
  }
}

/** `options` without its undefined fields, so they do not hide the defaults. */
function definedOnly(options: TransferOptions): Partial<TransferOptions> {
  return Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && key in TRANSFER_DEFAULTS));
}

/** The error downloadFile throws: the URL first, and the resume hint while a .part is kept. */
async function publicError(url: string, part: string, error: unknown): Promise<DownloadError> {
  if (!(error instanceof AttemptFailure)) return downloadError(url, 'DOWNLOAD_FAILED', describe(error), { cause: error });
  const tries = error.attempts > 1 ? `; gave up after ${error.attempts} attempts` : '';
  const kept = await fileSize(part);
  const hint = kept > 0 ? ` (kept ${kept} bytes in ${part}; run again to resume)` : '';
  return downloadError(url, error.code, `${error.message}${tries}${hint}`, error.extra);
}

/** One request: appends the rest of the file to `part` (or rewrites it) and hashes the whole file. */
async function attemptTransfer(url: string, part: string, settings: Settings): Promise<Transfer | typeof RANGE_NOT_SATISFIABLE> {
  const existing = await fileSize(part);
  const controller = new AbortController();
  try {
    const response = await request(url, existing, settings, controller);
    if (response.status === 416) {
      // The .part is already the whole file (an earlier run stopped before verifying).
      if (existing > 0 && rangeTotal(response) === existing) return { ...(await hashFile(part)), bytes: existing, resumedFrom: existing };
      return RANGE_NOT_SATISFIABLE;
    }
    checkStatus(response);
    return await receiveBody(url, part, response, bodyOffset(response, existing), settings, controller);
  } finally {
    // Closes the connection whenever we stop reading early (a cap, a timeout, an error, a 416).
    controller.abort();
  }
}

/** The response headers, asking for the bytes after `existing` when there are some. */
async function request(url: string, existing: number, settings: Settings, controller: AbortController): Promise<Response> {
  const headers: Record<string, string> = existing > 0 ? { Range: `bytes=${existing}-` } : {};
  const timeout = () => new AttemptFailure('DOWNLOAD_TIMEOUT', `no answer within ${settings.connectTimeoutMs} ms (connect timeout)`, true);
  try {
    return await withDeadline(settings.fetch(url, { headers, signal: controller.signal }), settings.connectTimeoutMs, controller, timeout);
  } catch (error) {
    if (error instanceof AttemptFailure) throw error;
    throw new AttemptFailure('DOWNLOAD_NETWORK', `could not connect (${describe(error)})`, true, { cause: error });
  }
}

/** Throws for an HTTP error status, retryable where waiting may help (5xx, 408 timeout, 429 too many requests). */
function checkStatus(response: Response): void {
  if (response.ok) return;
  const { status } = response;
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new AttemptFailure('DOWNLOAD_HTTP', `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`, retryable, { status });
}

/** Where the body starts in the file: `existing` on a 206 that honours our Range, 0 on a 200 (the server ignored it). */
function bodyOffset(response: Response, existing: number): number {
  if (response.status !== 206) return 0;
  if (rangeStart(response) === existing) return existing;
  throw new AttemptFailure('DOWNLOAD_BAD_RANGE', `asked for bytes from ${existing}, the server sent "${response.headers.get('content-range')}"`, false);
}

/** The most bytes the file may have, and the phrase that says why, for the error. */
interface SizeCap {
  limit: number;
  reason: string;
}

/** The file's known size, else the size the server announces, never above maxBytes when unknown. */
function sizeCap(settings: Settings, announced: number | undefined): SizeCap {
  if (settings.bytes !== undefined) return { limit: settings.bytes, reason: "the file's known size" };
  if (announced !== undefined && announced <= settings.maxBytes) return { limit: announced, reason: 'its Content-Length' };
  return { limit: settings.maxBytes, reason: 'the cap for a file of unknown size (maxBytes)' };
}

/** Streams the body into `part` from `offset`, within the idle timeout and the size cap. */
async function receiveBody(url: string, part: string, response: Response, offset: number, settings: Settings, controller: AbortController): Promise<Transfer> {
  const length = Number(response.headers.get('content-length') ?? NaN);
  const announced = Number.isFinite(length) ? offset + length : undefined;
  const cap = sizeCap(settings, announced);
  if (announced !== undefined && announced > cap.limit) return discardTooLarge(part, `the server announces ${announced} bytes, more than ${cap.reason} of ${cap.limit}`);
  const end = announced ?? settings.bytes;
  const hashes = [createHash('sha256'), createHash('md5')] as const;
  if (offset > 0) await feedFile(part, hashes);
  let received = offset;
  let overflow = false;
  const handle = await open(part, offset > 0 ? 'a' : 'w');
  try {
    const reader = response.body?.getReader();
    while (reader) {
      const next = await readChunk(reader, settings, controller, received, end);
      if (next.done) break;
      const chunk = next.value;
      // Not a byte past the cap reaches the disk: an endless body stops here.
      if (received + chunk.length > cap.limit) {
        overflow = true;
        break;
      }
      await handle.write(chunk);
      for (const hash of hashes) hash.update(chunk);
      received += chunk.length;
      settings.onProgress?.({ url, received, total: settings.bytes ?? announced });
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (overflow) return discardTooLarge(part, `the server sent more than ${cap.reason} of ${cap.limit} bytes`);
  if (end !== undefined && received < end) throw new AttemptFailure('DOWNLOAD_NETWORK', `connection closed after ${received} of ${end} bytes`, true);
  return { bytes: received, resumedFrom: offset, sha256: hashes[0].digest('hex'), md5: hashes[1].digest('hex') };
}

/** The body is not the file we expect: its .part is useless, and asking again would only repeat it. */
async function discardTooLarge(part: string, detail: string): Promise<never> {
  await rm(part, { force: true });
  throw new AttemptFailure('DOWNLOAD_TOO_LARGE', `${detail}; deleted the download`, false);
}

/** The next body chunk, within the idle timeout; a dropped connection reads as a retryable failure. */
async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  settings: Settings,
  controller: AbortController,
  received: number,
  end: number | undefined,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const timeout = () => new AttemptFailure('DOWNLOAD_TIMEOUT', `no data for ${settings.idleTimeoutMs} ms after ${received} bytes (idle timeout)`, true);
  try {
    return await withDeadline(reader.read(), settings.idleTimeoutMs, controller, timeout);
  } catch (error) {
    if (error instanceof AttemptFailure) throw error;
    // undici says only "terminated" here; the cause (e.g. "other side closed") is the useful part.
    const of = end === undefined ? '' : ` of ${end}`;
    throw new AttemptFailure('DOWNLOAD_NETWORK', `connection closed after ${received}${of} bytes (${describe(error)})`, true, { cause: error });
  }
}

/** `work`, or the error `timeout` makes if it takes over `ms`; the abort also stops the request behind it. */
async function withDeadline<T>(work: Promise<T>, ms: number, controller: AbortController, timeout: () => Error): Promise<T> {
  if (!Number.isFinite(ms)) return work; // Infinity: no deadline (setTimeout would fire at once)
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = timeout();
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** "message: cause's message", since fetch's own messages ("fetch failed", "terminated") say little. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message || (error.cause as { code?: string }).code : undefined;
  return cause ? `${error.message}: ${cause}` : error.message;
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
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

async function feedFile(path: string, hashes: readonly Hash[]): Promise<void> {
  for await (const chunk of createReadStream(path)) for (const hash of hashes) hash.update(chunk as Buffer);
}

/** The SHA-256 and MD5 of the file at `path`. */
async function hashFile(path: string): Promise<{ sha256: string; md5: string }> {
  const hashes = [createHash('sha256'), createHash('md5')] as const;
  await feedFile(path, hashes);
  return { sha256: hashes[0].digest('hex'), md5: hashes[1].digest('hex') };
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

export interface DatasetDownloadOptions extends TransferOptions, Pick<DownloadOptions, 'acceptUnverified'> {
  catalogue?: Catalogue;
  /** fetch each file from `<baseUrl>/<file>` (a mirror, or a local server) instead of its catalogue URL */
  baseUrl?: string;
  onProgress?: (file: string, progress: DownloadProgress) => void;
}

/**
 * `value` as a base URL ending in "/", ready for a file name to be appended; throws saying what is
 * wrong (without naming the option, so the CLI and the library can each name their own).
 */
export function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL; expected one like https://mirror.example/fashion-mnist/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${value}" is not an http(s) URL; expected one like https://mirror.example/fashion-mnist/`);
  // A file name appended after a query or a fragment would not name a file.
  if (url.search || url.hash) throw new Error(`"${value}" has a query or fragment; a base URL is a folder such as https://mirror.example/fashion-mnist/`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** Downloads every file of `name` into `dir` (the set's own folder); files already there and right are kept. */
export async function downloadDataset(name: string, dir: string, options: DatasetDownloadOptions = {}): Promise<DatasetDownload> {
  const { catalogue = DATASET_SOURCES, baseUrl, onProgress, ...transfer } = options;
  const source = catalogue[name];
  if (!source) throw new Error(`unknown dataset "${name}" (expected one of ${Object.keys(catalogue).join(', ')})`);
  const base = baseUrl === undefined ? undefined : parseBaseUrlOption(baseUrl);
  const files: DatasetDownload['files'] = [];
  for (const remote of source.files) {
    const url = base === undefined ? remote.url : `${base}${encodeURIComponent(remote.file)}`;
    const dest = join(dir, remote.file);
    const kept = await checkExisting(url, dest, remote);
    if (kept) {
      files.push({ ...kept, file: remote.file, skipped: true });
      continue;
    }
    const result = await downloadFile(url, dest, {
      ...transfer,
      sha256: remote.sha256,
      md5: remote.md5,
      bytes: remote.bytes,
      onProgress: onProgress && ((p) => onProgress(remote.file, p)),
    });
    files.push({ ...result, file: remote.file, skipped: false });
  }
  const archive = source.files[0] && join(dir, source.files[0].file);
  const extract = source.extract && archive ? source.extract.replace('{archive}', quote(archive)).replace('{dir}', quote(dir)) : undefined;
  return { name, dir, files, extract };
}

function parseBaseUrlOption(value: string): string {
  try {
    return parseBaseUrl(value);
  } catch (error) {
    throw new Error(`baseUrl: ${(error as Error).message}`);
  }
}

/** A file already at `dest`: its digests, or undefined when absent; throws when it contradicts a published digest. */
async function checkExisting(url: string, dest: string, remote: RemoteFile): Promise<DownloadResult | undefined> {
  const size = (await stat(dest).catch(() => undefined))?.size;
  if (size === undefined) return undefined;
  const actual = await hashFile(dest);
  for (const kind of ['sha256', 'md5'] as const) {
    if (remote[kind] !== undefined && remote[kind] !== actual[kind]) {
      const detail = `${dest} already exists but its ${kind.toUpperCase()} is ${actual[kind]}, expected ${remote[kind]}; delete it and run again`;
      throw downloadError(url, 'DOWNLOAD_DIGEST_MISMATCH', detail);
    }
  }
  return { path: dest, bytes: size, ...actual, verified: remote.sha256 !== undefined || remote.md5 !== undefined, resumedFrom: size };
}

function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
