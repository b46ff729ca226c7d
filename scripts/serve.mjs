#!/usr/bin/env node
// The demo in one command: builds dist/web/ (scripts/buildWeb.mjs) and serves it on
// http://127.0.0.1:8080/, with the embedded data set under /data/. WebGPU needs a secure
// context, which localhost and 127.0.0.1 are.
//   node scripts/serve.mjs [--port N] [--host H] [--no-build]      (--port 0: any free port)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildWeb } from './buildWeb.mjs';
import { createServeServer } from './serveHandler.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

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
// Only dist/web/ and data/ (symlinks out of them are 404s); see serveHandler.mjs.
const roots = { '/': join(root, 'dist', 'web'), '/data/': join(root, 'data') };
const server = createServeServer({ roots, host: values.host });
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
