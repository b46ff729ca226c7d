// The request handler of scripts/serve.mjs, apart so tests can run it on temporary folders.
// No request may kill the server: every request runs inside one try/catch that answers
// 400 (a path that cannot name a file), 404 (no such file, not a regular file, outside the
// roots, a type we do not serve), 405 (method), 421 (Host) or 500, and read errors after the
// headers cut that one response off. A file is served only when its real path (symlinks
// resolved) lies inside the real path of a root, and only for the types of TYPES.
import { closeSync, constants, createReadStream, fstatSync, openSync, realpathSync } from 'node:fs';
import { createServer, STATUS_CODES } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';

// .gz files go out as they are (no Content-Encoding): the pages parse the gzip themselves.
// Anything else is a 404, never application/octet-stream for the browser to sniff.
export const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.gz': 'application/gzip', '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
};

// Why a file system call failed, as the status to answer; other codes are 500s.
const FS_STATUS = { ENOENT: 404, ENOTDIR: 404, ELOOP: 404, EACCES: 404, EPERM: 404, EISDIR: 404, ENXIO: 404, ENAMETOOLONG: 400 };
// O_NONBLOCK: opening a FIFO must not wait for a writer (that would hang the event loop);
// O_NOFOLLOW: the file we open is the real path we checked, not a symlink swapped in since.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

const httpError = (status) => Object.assign(new Error(STATUS_CODES[status]), { status });

/** The real path of a folder, or undefined while it does not exist (dist/web before a build). */
function realFolder(folder) {
  try {
    return realpathSync.native(folder) + sep;
  } catch {
    return undefined;
  }
}

/**
 * A request listener serving `roots` ({ '/': folder, '/data/': folder }: URL prefix to
 * folder, longest prefix wins). `host` is the address it listens on: on a loopback one the
 * Host header must name localhost, 127.0.0.1, [::1] or `host`, so a web page whose DNS name
 * is rebound to 127.0.0.1 cannot read the server through the browser.
 */
export function createServeHandler({ roots, host = '127.0.0.1' }) {
  const mounts = Object.entries(roots).map(([prefix, folder]) => ({ prefix, folder: resolve(folder) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]', host.includes(':') ? `[${host}]` : host].map((h) => h.toLowerCase()));
  const checkHost = LOOPBACK.test(host);

  /** The file a request names, checked as far as the path alone allows. */
  function fileFor(url) {
    const raw = url.split(/[?#]/, 1)[0];
    if (!raw.startsWith('/') || raw.length > 2048) throw httpError(400);
    const path = decodeURIComponent(raw === '/' ? '/index.html' : raw); // URIError: a malformed %-escape
    if (path.includes('\0') || path.split('/').some((part) => Buffer.byteLength(part) > 255)) throw httpError(400);
    const mount = mounts.find((m) => path.startsWith(m.prefix));
    if (!mount) throw httpError(404);
    const file = normalize(join(mount.folder, path.slice(mount.prefix.length)));
    if (!file.startsWith(mount.folder + sep)) throw httpError(404); // .. or an encoded %2f..
    return file;
  }

  function handle(request, response) {
    // Set first, so every answer carries it, errors included.
    response.setHeader('X-Content-Type-Options', 'nosniff');
    const name = /^(\[[^\]]*\]|[^:]*)(:\d*)?$/.exec(request.headers.host ?? '')?.[1].toLowerCase();
    if (checkHost && !hosts.has(name)) throw httpError(421);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      throw httpError(405);
    }
    const real = realpathSync.native(fileFor(request.url ?? '/'));
    if (!mounts.some((m) => real.startsWith(realFolder(m.folder) ?? '\0'))) throw httpError(404); // a symlink out
    const type = TYPES[extname(real).toLowerCase()];
    if (!type) throw httpError(404);
    const fd = openSync(real, OPEN_FLAGS);
    let size;
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw httpError(404); // a directory, FIFO, device
      size = stat.size;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    response.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Cache-Control': 'no-store' });
    if (request.method === 'HEAD' || size === 0) {
      closeSync(fd);
      return void response.end();
    }
    // pipeline closes the file when the client goes away; a read error after the headers
    // can only cut the response off (the client sees fewer bytes than Content-Length).
    pipeline(createReadStream('', { fd, start: 0, end: size - 1 }), response, (error) => {
      if (error) fail(response, error);
    });
  }

  return (request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      fail(response, error);
    }
  };
}

/** Answers an error, or cuts the response off when its headers are out already. */
function fail(response, error) {
  try {
    const status = error.status ?? (error instanceof URIError ? 400 : FS_STATUS[error.code] ?? 500);
    if (status === 500 && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') console.error(`serve: ${error.stack ?? error}`);
    if (response.headersSent) return void response.destroy();
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(`${status} ${STATUS_CODES[status]}\n`);
  } catch {
    response.destroy();
  }
}

/** An http.Server for createServeHandler; requests Node cannot parse get a 400 with nosniff too. */
export function createServeServer(options) {
  const server = createServer(createServeHandler(options));
  server.on('clientError', (error, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  return server;
}
