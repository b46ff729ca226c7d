#!/usr/bin/env node
// The demo in one command: builds dist/web/ (scripts/buildWeb.mjs) and serves it on
// http://127.0.0.1:8080/, with the embedded data set under /data/. WebGPU needs a secure
// context, which localhost and 127.0.0.1 are.
//   node scripts/serve.mjs [--port N] [--host H] [--no-build]      (--port 0: any free port)
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildWeb } from './buildWeb.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = join(root, 'dist', 'web');
const data = join(root, 'data');

// .gz files go out as they are (no Content-Encoding): the pages parse the gzip themselves.
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.gz': 'application/gzip', '.md': 'text/plain; charset=utf-8',
};

/** The file a URL path names, or undefined when it would leave its folder. */
function fileFor(urlPath) {
  const path = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
  const [base, rest] = path.startsWith('/data/') ? [data, path.slice('/data/'.length)] : [site, path.slice(1)];
  const file = normalize(join(base, rest));
  return file.startsWith(base + sep) ? file : undefined;
}

function serveFile(request, response) {
  let file;
  try {
    file = fileFor(new URL(request.url ?? '/', 'http://localhost').pathname);
  } catch {
    file = undefined; // a malformed %-escape
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { Allow: 'GET, HEAD' }).end();
  const stat = file && statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) return void response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${request.url}\n`);
  response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': stat.size, 'Cache-Control': 'no-store' });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file).pipe(response);
}

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, 'no-build': { type: 'boolean', default: false } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port must be an integer in 0..65535, got ${values.port}`);
  process.exit(1);
}
if (!values['no-build']) {
  try {
    await buildWeb();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
const server = createServer(serveFile);
server.on('error', (error) => {
  console.error(`serve: ${error.message}`);
  process.exit(1);
});
server.listen(port, values.host, () => {
  const { port: bound } = server.address();
  // Tests read this line to find a --port 0 server.
  console.log(`espgpu demo: http://${values.host}:${bound}/ (spiral.html, fashion.html); Ctrl-C stops`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
