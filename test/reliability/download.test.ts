// The downloader against a real HTTP server on 127.0.0.1 that misbehaves on purpose: each case
// must end in bounded time and a bounded number of requests, with an error naming the URL.
// Files are fetched through downloadDataset's base URL (the --base-url / ESPGPU_MIRROR path), so
// the catalogue's own addresses (example.invalid) are never asked.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { addDownloadCommand } from '../../src/cli/downloadCommand.ts';
import { downloadDataset, downloadErrorCode, type Catalogue, type DatasetDownloadOptions } from '../../src/data/download.ts';

/** How the server answers one request; `hit` counts the requests for that path, from 1. */
type Behaviour = (request: IncomingMessage, response: ServerResponse, hit: number) => void;

const behaviours = new Map<string, Behaviour>();
const requests: { path: string; range: string | undefined }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url!;
    requests.push({ path, range: request.headers.range });
    const hit = requests.filter((r) => r.path === path).length;
    const behaviour = behaviours.get(path) ?? status(404);
    behaviour(request, response, hit);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

const root = mkdtempSync(join(tmpdir(), 'espgpu-download-reliability-'));
afterEach(() => {
  behaviours.clear();
  requests.length = 0;
  // Stalled and endless answers would otherwise hold their sockets into the next case.
  server.closeAllConnections();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  rmSync(root, { recursive: true, force: true });
});

// ---- behaviours ----

/** A correct server: 200, or 206 / 416 for `Range: bytes=N-`, like S3 and Zenodo. */
function serve(body: Uint8Array): Behaviour {
  return (request, response) => {
    const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (!match) return void response.writeHead(200, { 'content-length': body.length }).end(body);
    const start = Number(match[1]);
    if (start >= body.length) return void response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    const rest = body.subarray(start);
    response.writeHead(206, { 'content-length': rest.length, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` }).end(rest);
  };
}

function status(code: number): Behaviour {
  return (_request, response) => void response.writeHead(code).end();
}

/** `first` for the first `count` requests, `then` afterwards. */
function sequence(count: number, first: Behaviour, then: Behaviour): Behaviour {
  return (request, response, hit) => (hit <= count ? first : then)(request, response, hit);
}

/** Announces the whole body, sends its first `at` bytes, then drops the connection. */
function cutAt(body: Uint8Array, at: number): Behaviour {
  return (_request, response) => {
    response.writeHead(200, { 'content-length': body.length });
    // Drop it a moment after the bytes are flushed: a fetch body stream that errors discards
    // the chunks it has queued but not yet handed out, so an instant drop loses them at random.
    response.write(body.subarray(0, at), () => setTimeout(() => response.destroy(), 100));
  };
}

/** Sends 16 KiB chunks until the client goes away; with `length`, claims that Content-Length. */
function endless(length?: number): Behaviour {
  return (_request, response) => {
    response.writeHead(200, length === undefined ? {} : { 'content-length': length });
    const chunk = Buffer.alloc(16_384, 7);
    const pump = () => {
      while (!response.destroyed && response.write(chunk));
      if (!response.destroyed) response.once('drain', pump);
    };
    pump();
  };
}

/** Sends `sent` bytes of a `length`-byte body, then nothing, keeping the connection open. */
function stallAfter(sent: number, length: number): Behaviour {
  return (_request, response) => {
    response.writeHead(200, { 'content-length': length });
    response.write(Buffer.alloc(sent, 1));
  };
}

/** Never answers at all. */
const silent: Behaviour = () => {};

// ---- helpers ----

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let counter = 0;

/** A fresh folder and URL path for one case, so neither files nor request counts mix. */
function fresh(): { dir: string; mirror: string; path: string } {
  const name = `case-${counter++}`;
  const dir = join(root, name);
  mkdirSync(dir);
  return { dir, mirror: `${base}/${name}/`, path: `/${name}/file.bin` };
}

/** A one-file catalogue whose canonical URL must never be used. */
function catalogue(body: Uint8Array, bytes?: number): Catalogue {
  return { set: { files: [{ url: 'http://example.invalid/canonical/file.bin', file: 'file.bin', sha256: sha256(body), bytes }] } };
}

/** Quick limits, so every hostile case ends in well under a second or two. */
const FAST: DatasetDownloadOptions = { connectTimeoutMs: 2_000, idleTimeoutMs: 200, retryDelayMs: 10 };

/** Runs `work`, failing the case if it takes longer than `ms`; resolves to what it settled with. */
async function within<T>(ms: number, work: Promise<T>): Promise<{ value?: T; error?: Error; elapsed: number }> {
  const start = performance.now();
  const settled = await work.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );
  const elapsed = performance.now() - start;
  expect(elapsed).toBeLessThan(ms);
  return { ...settled, elapsed };
}

// ---- cases ----

describe('downloadDataset against a hostile local server', () => {
  it('serves correctly: fetched from the base URL, verified, no .part left', async () => {
    const body = randomBytes(200_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, serve(body));
    const result = await downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body, body.length), baseUrl: mirror });
    expect(result.files[0]).toMatchObject({ verified: true, bytes: body.length, resumedFrom: 0, skipped: false });
    expect(Buffer.compare(readFileSync(join(dir, 'file.bin')), body)).toBe(0);
    expect(readdirSync(dir)).toEqual(['file.bin']);
    expect(requests).toEqual([{ path, range: undefined }]);
  });

  it('a tampered byte fails the digest, naming the URL; nothing is kept', async () => {
    const body = randomBytes(10_000);
    const tampered = Buffer.from(body);
    tampered[4321]! ^= 0xff;
    const { dir, mirror, path } = fresh();
    behaviours.set(path, serve(tampered));
    const { error } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body), baseUrl: mirror }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_DIGEST_MISMATCH');
    expect(error!.message).toMatch(new RegExp(`^download ${base}${path}: SHA256 mismatch \\(expected ${sha256(body)}, got ${sha256(tampered)}\\)`));
    expect(readdirSync(dir)).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('a connection cut mid-body is resumed with a Range request within the same call', async () => {
    const body = randomBytes(100_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, sequence(1, cutAt(body, 40_000), serve(body)));
    const { value } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body), baseUrl: mirror }));
    expect(value!.files[0]).toMatchObject({ verified: true, bytes: body.length, resumedFrom: 40_000 });
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=40000-']);
    expect(Buffer.compare(readFileSync(join(dir, 'file.bin')), body)).toBe(0);
  });

  it('with no retries left, a cut names the URL, keeps the .part and says a rerun resumes; the rerun does', async () => {
    const body = randomBytes(100_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, sequence(1, cutAt(body, 40_000), serve(body)));
    const options = { ...FAST, catalogue: catalogue(body), baseUrl: mirror };
    const { error } = await within(3_000, downloadDataset('set', dir, { ...options, retries: 0 }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_NETWORK');
    expect(error!.message).toMatch(new RegExp(`^download ${base}${path}: connection closed after 40000 of 100000 bytes \\(.+\\) \\(kept 40000 bytes in .*file\\.bin\\.part; run again to resume\\)$`));
    expect(readFileSync(join(dir, 'file.bin.part')).length).toBe(40_000);
    const rerun = await downloadDataset('set', dir, options);
    expect(rerun.files[0]).toMatchObject({ verified: true, resumedFrom: 40_000 });
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=40000-']);
  });

  it('416 to every request: one restart from byte 0, then a named error (2 requests, not thousands)', async () => {
    const body = randomBytes(5_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, (_request, response) => void response.writeHead(416, { 'content-range': 'bytes */9999' }).end());
    writeFileSync(join(dir, 'file.bin.part'), body.subarray(0, 1_000));
    const { error } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body), baseUrl: mirror }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_RANGE_NOT_SATISFIABLE');
    expect(error!.message).toBe(`download ${base}${path}: the server answered 416 Range Not Satisfiable again after a restart from byte 0`);
    expect(requests.length).toBeLessThanOrEqual(4);
    expect(requests.map((r) => r.range)).toEqual(['bytes=1000-', undefined]);
    expect(existsSync(join(dir, 'file.bin.part'))).toBe(false);
  });

  it('416 for a stale .part longer than the file: restarts from byte 0 once and succeeds', async () => {
    const body = randomBytes(3_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, serve(body));
    writeFileSync(join(dir, 'file.bin.part'), randomBytes(5_000));
    const { value } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body), baseUrl: mirror }));
    expect(value!.files[0]).toMatchObject({ verified: true, resumedFrom: 0, bytes: body.length });
    expect(requests.map((r) => r.range)).toEqual(['bytes=5000-', undefined]);
  });

  it('an endless body stops at the known size, with a named error and nothing kept', async () => {
    const body = randomBytes(100_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, endless());
    const { error } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body, body.length), baseUrl: mirror }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_TOO_LARGE');
    expect(error!.message).toBe(`download ${base}${path}: the server sent more than the file's known size of 100000 bytes; deleted the download`);
    expect(readdirSync(dir)).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('an endless body of unknown size stops at maxBytes', async () => {
    const body = randomBytes(1_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, endless());
    const { error } = await within(3_000, downloadDataset('set', dir, { ...FAST, maxBytes: 1 << 20, catalogue: catalogue(body), baseUrl: mirror }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_TOO_LARGE');
    expect(error!.message).toContain(`download ${base}${path}: the server sent more than the cap for a file of unknown size (maxBytes) of 1048576 bytes`);
    expect(readdirSync(dir)).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('a Content-Length above the known size fails before a byte is written', async () => {
    const body = randomBytes(1_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, endless(10 ** 12));
    const { error } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body, body.length), baseUrl: mirror }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_TOO_LARGE');
    expect(error!.message).toContain(`the server announces 1000000000000 bytes, more than the file's known size of 1000`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a stalled body trips the idle timeout; the .part is kept for a rerun', async () => {
    const body = randomBytes(1_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, stallAfter(100, body.length));
    const { error, elapsed } = await within(3_000, downloadDataset('set', dir, { ...FAST, retries: 1, catalogue: catalogue(body), baseUrl: mirror }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_TIMEOUT');
    expect(error!.message).toMatch(new RegExp(`^download ${base}${path}: no data for 200 ms after 100 bytes \\(idle timeout\\); gave up after 2 attempts \\(kept 100 bytes in .*; run again to resume\\)$`));
    expect(elapsed).toBeGreaterThanOrEqual(2 * 200);
    // The second attempt asked for the rest (the server ignores Range here, so it restarts at 0).
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=100-']);
  });

  it('a server that never answers trips the connect timeout', async () => {
    const body = randomBytes(1_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, silent);
    const { error } = await within(3_000, downloadDataset('set', dir, { ...FAST, connectTimeoutMs: 200, retries: 1, catalogue: catalogue(body), baseUrl: mirror }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_TIMEOUT');
    expect(error!.message).toBe(`download ${base}${path}: no answer within 200 ms (connect timeout); gave up after 2 attempts`);
    expect(requests).toHaveLength(2);
  });

  it.each([500, 503, 408, 429])('%i, then 200: the retry succeeds', async (code) => {
    const body = randomBytes(2_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, sequence(1, status(code), serve(body)));
    const { value } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body), baseUrl: mirror }));
    expect(value!.files[0]).toMatchObject({ verified: true, bytes: body.length });
    expect(requests).toHaveLength(2);
  });

  it('500 for ever: 3 retries with backoff, then the URL and the status', async () => {
    const body = randomBytes(2_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, status(500));
    const { error, elapsed } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body), baseUrl: mirror }));
    expect(error!.message).toBe(`download ${base}${path}: HTTP 500 Internal Server Error; gave up after 4 attempts`);
    expect(error).toMatchObject({ code: 'DOWNLOAD_HTTP', status: 500, url: `${base}${path}` });
    expect(requests).toHaveLength(4);
    expect(elapsed).toBeGreaterThanOrEqual(10 + 20 + 40);
  });

  it.each([404, 403, 400])('%i: no retry, the URL in the error', async (code) => {
    const body = randomBytes(2_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, status(code));
    const { error } = await within(3_000, downloadDataset('set', dir, { ...FAST, catalogue: catalogue(body), baseUrl: mirror }));
    expect(error!.message).toMatch(new RegExp(`^download ${base}${path}: HTTP ${code} \\w`));
    expect(error).toMatchObject({ code: 'DOWNLOAD_HTTP', status: code });
    expect(requests).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a refused connection is retried, then named with its cause', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const body = randomBytes(100);
    const { error } = await within(3_000, downloadDataset('set', fresh().dir, { ...FAST, retries: 1, catalogue: catalogue(body), baseUrl: `http://127.0.0.1:${port}/x` }));
    expect(downloadErrorCode(error)).toBe('DOWNLOAD_NETWORK');
    expect(error!.message).toMatch(new RegExp(`^download http://127\\.0\\.0\\.1:${port}/x/file\\.bin: could not connect \\(fetch failed: .*ECONNREFUSED.*\\); gave up after 2 attempts$`));
  });

  it('rejects a base URL that is not http(s), naming the option', async () => {
    const body = randomBytes(100);
    await expect(downloadDataset('set', fresh().dir, { catalogue: catalogue(body), baseUrl: 'ftp://mirror.example/' })).rejects.toThrow(/^baseUrl: "ftp:\/\/mirror\.example\/" is not an http\(s\) URL/);
    await expect(downloadDataset('set', fresh().dir, { catalogue: catalogue(body), baseUrl: 'mirror' })).rejects.toThrow(/^baseUrl: "mirror" is not a URL/);
    expect(requests).toEqual([]);
  });
});

describe('espgpu download --base-url / ESPGPU_MIRROR', () => {
  /** Runs `espgpu download …`; resolves to what it printed. */
  async function download(args: string[], list: Catalogue): Promise<string> {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const program = new Command('espgpu').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    addDownloadCommand(program, list);
    await program.parseAsync(['download', ...args], { from: 'user' });
    return printed.join('\n');
  }

  it('--base-url fetches from the mirror, and says so', async () => {
    const body = randomBytes(3_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, serve(body));
    const printed = await download(['set', '--dir', dir, '--base-url', mirror], catalogue(body));
    expect(printed).toContain(`downloading set into ${join(dir, 'set')} from ${mirror}`);
    expect(printed).toContain(`file.bin: ${body.length} bytes, sha256 ${sha256(body)}, verified`);
    expect(requests).toEqual([{ path, range: undefined }]);
  });

  it('ESPGPU_MIRROR does the same; --base-url wins over it', async () => {
    const body = randomBytes(3_000);
    const { dir, mirror, path } = fresh();
    behaviours.set(path, serve(body));
    vi.stubEnv('ESPGPU_MIRROR', mirror.slice(0, -1)); // without the trailing slash
    await download(['set', '--dir', dir], catalogue(body));
    expect(requests).toEqual([{ path, range: undefined }]);
    vi.stubEnv('ESPGPU_MIRROR', 'http://example.invalid/');
    const other = fresh();
    behaviours.set(other.path, serve(body));
    await download(['set', '--dir', other.dir, '--base-url', other.mirror], catalogue(body));
    expect(requests.at(-1)!.path).toBe(other.path);
  });

  it('a bad --base-url or ESPGPU_MIRROR is refused in one line naming it', async () => {
    const body = randomBytes(100);
    const dir = fresh().dir;
    await expect(download(['set', '--dir', dir, '--base-url', 'file:///tmp/x'], catalogue(body))).rejects.toThrow(
      /^error: option '--base-url <url>' argument 'file:\/\/\/tmp\/x' is invalid\. "file:\/\/\/tmp\/x" is not an http\(s\) URL/,
    );
    vi.stubEnv('ESPGPU_MIRROR', 'not a url');
    await expect(download(['set', '--dir', dir], catalogue(body))).rejects.toThrow(/^error: option '--base-url <url>' value 'not a url' from env 'ESPGPU_MIRROR' is invalid\. "not a url" is not a URL/);
    expect(requests).toEqual([]);
  });

  it('--help documents the option and the variable', () => {
    const program = new Command('espgpu');
    addDownloadCommand(program, catalogue(randomBytes(1)));
    // Commander wraps long lines; compare the words.
    const help = program.commands[0]!.helpInformation().replace(/\s+/g, ' ');
    expect(help).toMatch(/--base-url <url>\s+fetch each file from <url>\/<file name>/);
    expect(help).toContain('env: ESPGPU_MIRROR');
  });
});
