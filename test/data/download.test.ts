// downloadFile and `espgpu download` against a local HTTP server serving files made here.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { addDownloadCommand } from '../../src/cli/downloadCommand.ts';
import { DATASET_SOURCES, downloadFile, UnverifiedDownloadError, type Catalogue } from '../../src/data/download.ts';
import { loadDataset } from '../../src/data/datasets.ts';
import { gzip, idxFile, randomBytes } from './fixtures.ts';
import { TestRandom } from '../helpers/random.ts';

interface Served {
  body: Uint8Array;
  /** answer Range requests with 206 (default true) */
  ranges?: boolean;
}

const served = new Map<string, Served>();
const requests: { path: string; headers: IncomingHttpHeaders }[] = [];
let server: Server;
let base: string;

/** Serves `served`; honours `Range: bytes=N-` with 206 or 416 like S3 and Zenodo do. */
function handle(path: string, range: string | undefined): { status: number; headers: Record<string, string>; body?: Uint8Array } {
  const file = served.get(path);
  if (!file) return { status: 404, headers: {} };
  const match = /^bytes=(\d+)-$/.exec(range ?? '');
  if (!match || file.ranges === false) return { status: 200, headers: { 'content-length': String(file.body.length) }, body: file.body };
  const start = Number(match[1]);
  if (start >= file.body.length) return { status: 416, headers: { 'content-range': `bytes */${file.body.length}` } };
  const rest = file.body.subarray(start);
  return { status: 206, headers: { 'content-length': String(rest.length), 'content-range': `bytes ${start}-${file.body.length - 1}/${file.body.length}` }, body: rest };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ path: request.url!, headers: request.headers });
    const answer = handle(request.url!, request.headers.range);
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

const root = mkdtempSync(join(tmpdir(), 'espgpu-download-'));
afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  served.clear();
  requests.length = 0;
  vi.restoreAllMocks();
});

const random = new TestRandom(7);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
let counter = 0;
/** A fresh empty folder for one test. */
function folder(): string {
  const dir = join(root, `case-${counter++}`);
  mkdirSync(dir);
  return dir;
}

describe('downloadFile', () => {
  it('(a) verifies the SHA-256 and renames into place, leaving no .part', async () => {
    const body = randomBytes(100_000, random);
    served.set('/a.bin', { body });
    const dest = join(folder(), 'a.bin');
    const progress: number[] = [];
    const result = await downloadFile(`${base}/a.bin`, dest, { sha256: sha256(body), onProgress: (p) => progress.push(p.received) });
    expect(Buffer.compare(readFileSync(dest), body)).toBe(0);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(result).toMatchObject({ bytes: body.length, sha256: sha256(body), md5: md5(body), verified: true, resumedFrom: 0 });
    expect(progress.at(-1)).toBe(body.length);
    expect(requests[0]!.headers.range).toBeUndefined();
  });

  it('(b) rejects bytes that do not match the digest, naming file, expected and actual; nothing is left', async () => {
    const good = randomBytes(5_000, random);
    const bad = good.slice();
    bad[1234] ^= 1;
    served.set('/b.bin', { body: bad });
    const dir = folder();
    const dest = join(dir, 'b.bin');
    await expect(downloadFile(`${base}/b.bin`, dest, { sha256: sha256(good) })).rejects.toThrow(
      new RegExp(`b\\.bin: SHA256 mismatch .*expected ${sha256(good)}, got ${sha256(bad)}`),
    );
    expect(readdirSync(dir)).toEqual([]);
    // A wrong MD5 alone is caught too.
    await expect(downloadFile(`${base}/b.bin`, dest, { md5: md5(good) })).rejects.toThrow(`expected ${md5(good)}, got ${md5(bad)}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('(c) resumes from a .part with a Range request and a 206 answer', async () => {
    const body = randomBytes(64_001, random);
    served.set('/c.bin', { body });
    const dest = join(folder(), 'c.bin');
    const half = 32_000;
    writeFileSync(`${dest}.part`, body.subarray(0, half));
    const result = await downloadFile(`${base}/c.bin`, dest, { sha256: sha256(body) });
    expect(requests.map((r) => r.headers.range)).toEqual([`bytes=${half}-`]);
    expect(Buffer.compare(readFileSync(dest), body)).toBe(0);
    expect(result).toMatchObject({ resumedFrom: half, bytes: body.length, verified: true });
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('(d) restarts from byte 0 when the server ignores Range and answers 200', async () => {
    const body = randomBytes(20_000, random);
    served.set('/d.bin', { body, ranges: false });
    const dest = join(folder(), 'd.bin');
    // A stale .part whose bytes are not the file's start: appending to it would fail the check.
    writeFileSync(`${dest}.part`, randomBytes(15_000, random));
    const result = await downloadFile(`${base}/d.bin`, dest, { sha256: sha256(body) });
    expect(requests[0]!.headers.range).toBe('bytes=15000-');
    expect(result.resumedFrom).toBe(0);
    expect(Buffer.compare(readFileSync(dest), body)).toBe(0);
  });

  it('(e) reports HTTP 404 with the URL', async () => {
    const dest = join(folder(), 'missing.bin');
    await expect(downloadFile(`${base}/missing.bin`, dest, { sha256: '0'.repeat(64) })).rejects.toThrow(`${base}/missing.bin: HTTP 404 Not Found`);
    expect(existsSync(dest)).toBe(false);
  });

  it('keeps an unverifiable file only with acceptUnverified; the second run reuses the complete .part (416)', async () => {
    const body = randomBytes(3_000, random);
    served.set('/u.bin', { body });
    const dest = join(folder(), 'u.bin');
    const error = await downloadFile(`${base}/u.bin`, dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnverifiedDownloadError);
    expect((error as Error).message).toContain(`computed sha256 ${sha256(body)}`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(true);
    const result = await downloadFile(`${base}/u.bin`, dest, { acceptUnverified: true });
    expect(requests.at(-1)!.headers.range).toBe(`bytes=${body.length}-`);
    expect(result).toMatchObject({ verified: false, sha256: sha256(body), resumedFrom: body.length });
    expect(Buffer.compare(readFileSync(dest), body)).toBe(0);
  });

  it('throws and keeps the .part when the connection ends early, after its retries', async () => {
    const body = randomBytes(1_000, random);
    let calls = 0;
    const shortFetch: typeof fetch = async () => {
      calls++;
      return new Response(new Uint8Array(body.subarray(0, 400)), { status: 200, headers: { 'content-length': '1000' } });
    };
    const dest = join(folder(), 'short.bin');
    await expect(downloadFile('http://example.invalid/short.bin', dest, { sha256: sha256(body), fetch: shortFetch, retryDelayMs: 1 })).rejects.toThrow(
      /^download http:\/\/example\.invalid\/short\.bin: connection closed after 400 of 1000 bytes; gave up after 4 attempts \(kept 400 bytes in .*short\.bin\.part; run again to resume\)$/,
    );
    expect(calls).toBe(4);
    expect(readFileSync(`${dest}.part`).length).toBe(400);
  });
});

describe('the catalogue', () => {
  it('names the sets datasets.ts loads, with well-formed digests', () => {
    expect(Object.keys(DATASET_SOURCES).sort()).toEqual(['cifar10', 'cifar10-c', 'cifar100', 'fashion-mnist', 'mnist', 'mnist-c']);
    for (const source of Object.values(DATASET_SOURCES)) {
      for (const f of source.files) {
        if (f.sha256 !== undefined) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        if (f.md5 !== undefined) expect(f.md5).toMatch(/^[0-9a-f]{32}$/);
        if (f.bytes !== undefined) expect(Number.isSafeInteger(f.bytes) && f.bytes > 0).toBe(true);
        expect(f.sha256 ?? f.md5).toBeDefined();
      }
    }
  });
});

describe('espgpu download', () => {
  /** Runs `espgpu download …` against `catalogue`; resolves to what it printed. */
  async function download(args: string[], catalogue: Catalogue): Promise<string> {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const program = new Command('espgpu').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    addDownloadCommand(program, catalogue);
    await program.parseAsync(['download', ...args], { from: 'user' });
    return printed.join('\n');
  }

  const images = gzip(idxFile([3, 28, 28], randomBytes(3 * 784, random)));
  const labels = gzip(idxFile([3], randomBytes(3, random, 10)));
  const catalogue = (): Catalogue => ({
    mnist: {
      files: [
        { url: `${base}/mnist/t10k-images-idx3-ubyte.gz`, file: 't10k-images-idx3-ubyte.gz', sha256: sha256(images) },
        { url: `${base}/mnist/t10k-labels-idx1-ubyte.gz`, file: 't10k-labels-idx1-ubyte.gz', sha256: sha256(labels) },
      ],
    },
    'mnist-c': { files: [{ url: `${base}/mnist_c.zip`, file: 'mnist_c.zip', md5: md5(labels) }], extract: 'unzip -q {archive} -d {dir}' },
  });

  it('(f) writes DIR/<name>/ in the layout loadDataset reads, and skips verified files on a rerun', async () => {
    served.set('/mnist/t10k-images-idx3-ubyte.gz', { body: images });
    served.set('/mnist/t10k-labels-idx1-ubyte.gz', { body: labels });
    const dir = folder();
    const printed = await download(['mnist', '--dir', dir], catalogue());
    expect(printed).toContain(`downloading mnist into ${join(dir, 'mnist')}`);
    expect(printed).toMatch(new RegExp(`t10k-images-idx3-ubyte.gz: ${images.length} bytes, sha256 ${sha256(images)}, verified`));
    const data = loadDataset('mnist', { split: 'test', env: { ESPGPU_DATA_DIR: dir } });
    expect(data.shape).toEqual([3, 1, 28, 28]);
    expect(readdirSync(join(dir, 'mnist')).sort()).toEqual(['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    requests.length = 0;
    const again = JSON.parse(await download(['mnist', '--dir', dir, '--json'], catalogue()));
    expect(requests).toEqual([]);
    expect(again.files.map((f: { skipped: boolean; verified: boolean }) => [f.skipped, f.verified])).toEqual([[true, true], [true, true]]);
  });

  it('prints the unpack command for an archive, and rejects unknown names in one line', async () => {
    served.set('/mnist_c.zip', { body: labels });
    const dir = folder();
    const printed = await download(['mnist-c', '--dir', dir], catalogue());
    expect(printed).toContain(`unpack with: unzip -q ${join(dir, 'mnist-c', 'mnist_c.zip')} -d ${join(dir, 'mnist-c')}`);
    await expect(download(['imagenet', '--dir', dir], catalogue())).rejects.toThrow(/^error: command-argument value 'imagenet' is invalid for argument 'name'\. Allowed choices are mnist, mnist-c\.$/);
  });
});
