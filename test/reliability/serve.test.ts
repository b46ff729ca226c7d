// scripts/serve.mjs must survive any request: its handler (scripts/serveHandler.mjs) on
// temporary roots gets the known attacks and a few hundred seeded random paths, sent as raw
// bytes over a socket so that nothing normalises them first; then the real CLI gets a few.
// Both servers run in child processes: a request that crashed or blocked one (a FIFO opened
// without O_NONBLOCK blocks the event loop) fails a test instead of taking vitest with it.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestRandom } from '../helpers/random.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
type Reply = { status: number; headers: Record<string, string>; body: Buffer };

/** One request written byte for byte (latin1), answered with Connection: close. */
function raw(port: number, request: string, timeoutMs = 3000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(request.slice(0, 120))}`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? NaN), headers, body: all.subarray(split + 4) });
    });
    socket.write(request, 'latin1');
  });
}

const get = (port: number, path: string, { method = 'GET', host = `127.0.0.1:${port}` } = {}) =>
  raw(port, `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

/** Starts `node args` and waits for the port in its `espgpu demo: http://127.0.0.1:PORT/` line. */
async function start(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; port: number; output: () => string }> {
  const child = spawn(process.execPath, args, { cwd: repo });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within 10 s:\n${output}`)), 10_000);
    const read = (chunk: Buffer) => {
      output += chunk;
      const match = /espgpu demo: http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match) clearTimeout(timer), resolve(Number(match[1]));
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, port, output: () => output };
}

// The handler on temporary roots, in the shape of serve.mjs: node -e SERVER handler web data.
const SERVER = `
const [handler, web, data] = process.argv.slice(1);
const { createServeServer } = await import(handler);
const server = createServeServer({ roots: { '/': web, '/data/': data }, host: '127.0.0.1' });
server.listen(0, '127.0.0.1', () => console.log('espgpu demo: http://127.0.0.1:' + server.address().port + '/'));
`;

/** A path as an attacker might write it: pieces of traversal, escapes, long names, raw bytes. */
function randomPath(random: TestRandom): string {
  const pick = <T>(items: T[]) => items[random.int(0, items.length)];
  // Pieces a file name may hold; the broken ones (a 400 for the whole path) come more rarely.
  const pieces = [
    () => pick(['..', '%2e%2e', '.%2E', '.', '%2f', '%2F', '%5c', '\\', '//', '.html', '?x=../../etc/passwd', '#frag']),
    () => pick(['etc/passwd', 'index.html', 'passwd.html', 'loop.html', 'a.html', 'dir.html', 'fifo.html', 'up/secret.html', 'data/', 'set.json']),
    () => 'a'.repeat(random.int(1, 300)), // past 255 bytes a name is too long
    () => String.fromCharCode(random.int(0x21, 0x7f)).replace('%', '%25'), // printable ASCII, as is
    () => encodeURIComponent(pick(['é', '☃', '𝄞', '\u202e'])),
  ];
  const broken = [
    () => pick(['%00', '%', '%zz', '%c0%ae', '%e2%82']),
    () => `%${random.int(0, 256).toString(16).padStart(2, '0')}`, // over %7f alone: not UTF-8
    () => String.fromCharCode(random.int(1, 0x20)), // a control byte: Node's parser rejects these,
    () => String.fromCharCode(random.int(0x80, 0x100)), // a raw byte over 0x7f,
    () => Buffer.from(pick(['é', '☃', '𝄞', '\u202e', '\ufeff', 'ﬁ'])).toString('latin1'), // and raw UTF-8
  ];
  let path = random.next() < 0.95 ? '/' : '';
  for (let i = random.int(1, 7); i > 0; i--) path += pick(random.next() < 0.08 ? broken : pieces)() + (random.next() < 0.5 ? '/' : '');
  return path.replace(/[\r\n ]/g, '_'); // keep the request line one line
}

describe('scripts/serveHandler.mjs on temporary roots', () => {
  const top = mkdtempSync(join(tmpdir(), 'espgpu-serve-'));
  const web = join(top, 'web');
  const data = join(top, 'data');
  const index = '<!doctype html><title>espgpu</title>\n';
  const served = new Set<string>();
  let server: Awaited<ReturnType<typeof start>>;
  let port: number;

  beforeAll(async () => {
    mkdirSync(web);
    mkdirSync(data);
    const file = (path: string, text: string) => (writeFileSync(path, text), served.add(text));
    file(join(web, 'index.html'), index);
    file(join(web, 'app.js'), 'export {};\n');
    file(join(web, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    file(join(data, 'set.json'), '{"n": 1}\n');
    writeFileSync(join(web, 'blob.bin'), 'unknown type\n');
    writeFileSync(join(top, 'secret.html'), 'outside the roots\n');
    symlinkSync('/etc/passwd', join(web, 'passwd.html'));
    symlinkSync('/etc/passwd', join(web, 'passwd'));
    symlinkSync('..', join(web, 'up')); // /up/secret.html resolves to top/secret.html
    symlinkSync('loop.html', join(web, 'loop.html'));
    symlinkSync('b.html', join(web, 'a.html'));
    symlinkSync('a.html', join(web, 'b.html'));
    // chmod 000 stops nobody when tests run as root, so the file may well be served: both
    // answers are fine. Reads that fail another way: a directory named dir.html, and a FIFO,
    // whose open would wait for a writer forever without O_NONBLOCK.
    writeFileSync(join(web, 'unreadable.html'), 'unreadable\n');
    chmodSync(join(web, 'unreadable.html'), 0o000);
    served.add('unreadable\n');
    mkdirSync(join(web, 'dir.html'));
    execFileSync('mkfifo', [join(web, 'fifo.html')]);

    const handler = pathToFileURL(join(repo, 'scripts', 'serveHandler.mjs')).href;
    server = await start(['--input-type=module', '-e', SERVER, handler, web, data]);
    port = server.port;
  });

  afterEach(() => {
    // Still up, and no 500 logged.
    expect(server.child.exitCode).toBe(null);
    expect(server.output()).not.toContain('serve:');
  });

  afterAll(() => {
    server?.child.kill();
    rmSync(top, { recursive: true, force: true });
  });

  const passwd = readFileSync('/etc/passwd', 'latin1').split('\n')[0];
  /** What every answer must be, whatever was asked. */
  function expectSafe(reply: Reply, what: string) {
    expect([200, 400, 404, 405, 421], what).toContain(reply.status);
    expect(reply.headers['x-content-type-options'], what).toBe('nosniff');
    expect(reply.body.toString('latin1'), what).not.toContain(passwd);
    if (reply.status === 200) expect(served, what).toContain(reply.body.toString('utf8'));
  }

  it('serves files, HEAD and typed content', async () => {
    for (const path of ['/', '/index.html']) {
      const reply = await get(port, path);
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.body.toString()).toBe(index);
    }
    expect((await get(port, '/icon.svg')).headers['content-type']).toBe('image/svg+xml');
    expect((await get(port, '/data/set.json')).body.toString()).toBe('{"n": 1}\n');
    const head = await get(port, '/index.html', { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(Buffer.byteLength(index)), 0]);
  });

  it('answers the known attacks with 400 or 404 and keeps serving', async () => {
    const attacks: [string, number][] = [
      ['/%00', 400], ['/index.html%00.js', 400], ['/%', 400], ['/%zz', 400], ['/%e0%80', 400], [`/${'a'.repeat(256)}.html`, 400],
      [`/${'a/'.repeat(1100)}`, 400], ['/index.html/x', 404], ['/loop.html', 404], ['/a.html', 404], ['/passwd.html', 404],
      ['/passwd', 404], ['/up/secret.html', 404], ['/../secret.html', 404], ['/..%2fsecret.html', 404], ['/%2e%2e/%2e%2e/etc/passwd', 404],
      ['/data/../../../../etc/passwd', 404], ['/data/..%2f..%2f..%2f..%2fetc%2fpasswd', 404], ['/..\\..\\..\\etc\\passwd', 404],
      ['/blob.bin', 404], ['/dir.html', 404], ['/fifo.html', 404], ['/missing.html', 404], ['/data', 404], ['*', 400],
      ['http://evil.example/etc/passwd', 400],
    ];
    for (const [path, status] of attacks) {
      const reply = await get(port, path);
      expectSafe(reply, path);
      expect(reply.status, path).toBe(status);
    }
    expectSafe(await get(port, '/unreadable.html'), 'unreadable.html'); // 200 as root, 404 otherwise
    expect((await get(port, '/index.html')).body.toString()).toBe(index);
  });

  it('refuses other methods (405) and foreign Host headers (421)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']) {
      const reply = await get(port, '/index.html', { method });
      expect([reply.status, reply.headers.allow, reply.headers['x-content-type-options']], method).toEqual([405, 'GET, HEAD', 'nosniff']);
    }
    for (const host of ['localhost', `localhost:${port}`, 'LOCALHOST:1', '127.0.0.1', `[::1]:${port}`]) {
      expect((await get(port, '/index.html', { host })).status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.1.nip.io', '::1', '', 'localhost:80:80']) {
      const reply = await get(port, '/index.html', { host });
      expect([reply.status, reply.headers['x-content-type-options']], host).toEqual([421, 'nosniff']);
    }
    const noHost = await raw(port, 'GET /index.html HTTP/1.0\r\n\r\n');
    expect(noHost.status).toBe(421);
  });

  it('survives a few hundred seeded random paths', async () => {
    const random = new TestRandom(20240611);
    const paths = Array.from({ length: 400 }, () => randomPath(random));
    const started = Date.now();
    const statuses = new Map<number, number>();
    for (let i = 0; i < paths.length; i += 8) {
      const batch = paths.slice(i, i + 8);
      const replies = await Promise.all(batch.map((path) => get(port, path)));
      replies.forEach((reply, j) => expectSafe(reply, JSON.stringify(batch[j])));
      for (const reply of replies) statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].sort()).toEqual([200, 400, 404]); // the paths reach every branch
    expect(Date.now() - started).toBeLessThan(20_000);
    const after = await get(port, '/index.html');
    expect([after.status, after.body.toString()]).toEqual([200, index]);
  });
});

describe('scripts/serve.mjs', () => {
  it('prints its address and survives bad requests', async () => {
    const { child, port, output } = await start(['scripts/serve.mjs', '--port', '0', '--no-build']);
    try {
      for (const path of ['/%00', '/index.html/x', `/${'x'.repeat(300)}`, '/%zz', '/../package.json', '/data/../package.json']) {
        const reply = await get(port, path);
        expect([400, 404], path).toContain(reply.status);
        expect(reply.headers['x-content-type-options'], path).toBe('nosniff');
      }
      expect((await get(port, '/', { host: 'evil.example' })).status).toBe(421);
      expect((await get(port, '/', { method: 'POST' })).status).toBe(405);
      // README.md of the data set is always there, dist/web only after a build.
      expect((await get(port, '/data/fashion-mnist-subset/README.md')).status).toBe(200);
      expect(child.exitCode).toBe(null);
      expect(output()).not.toContain('serve:');
    } finally {
      child.kill();
    }
  });
});
