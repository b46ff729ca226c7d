// A private redis-server for the queue tests and the queue bench: the binary's path (empty when
// not installed: the tests skip, saying so), a free port, and a server on it with its files in
// a folder of the caller's, resolved once it accepts connections.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';

export const redisServer = (spawnSync('which', ['redis-server'], { encoding: 'utf8' }).stdout ?? '').trim();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `child` has printed a line matching `pattern` (or rejects when it exits first). */
export function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk;
      if (pattern.test(text)) resolve();
    };
    child.stdout!.on('data', onData);
    child.once('error', (error) => reject(new Error(`cannot start ${what}: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before printing ${pattern}: ${text}`)));
  });
}

/** redis-server on 127.0.0.1:`port` with its files in `dir`, append-only or not, with `password` if given. */
export async function startRedis(port: number, dir: string, appendOnly: 'yes' | 'no', password?: string): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', appendOnly, '--appendfsync', 'always'];
  if (password !== undefined) args.push('--requirepass', password);
  const server = spawn(redisServer, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForOutput(server, /Ready to accept connections/, 'redis-server');
  return server;
}
