#!/usr/bin/env node
// Bundles the demo pages of web/ and the worker entry for browsers into dist/web/, and copies
// the pages' HTML and CSS beside them: dist/web/ is a static site (scripts/serve.mjs serves it,
// with data/ under /data/). Run on its own or from scripts/build.mjs.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGES = ['web/spiral.ts', 'web/fashion.ts', 'web/bench.ts'];
const STATIC = /\.(html|css)$/;

export async function buildWeb() {
  // The worker embeds rng.wasm's bytes; the AssemblyScript step of scripts/build.mjs makes it.
  if (!existsSync(join(root, 'build', 'rng.wasm'))) throw new Error('[buildWeb] build/rng.wasm is missing: run `node scripts/build.mjs` first');
  const out = join(root, 'dist', 'web');
  mkdirSync(out, { recursive: true });
  const browser = {
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, logLevel: 'warning', absWorkingDir: root,
    loader: { '.wgsl': 'text', '.wasm': 'binary' },
  };
  await Promise.all([
    build({ ...browser, entryPoints: PAGES, outdir: out }),
    // Pages start their workers from ./worker.js beside them (client.ts's default URL).
    build({ ...browser, entryPoints: ['src/worker/worker.ts'], outfile: join(out, 'worker.js') }),
  ]);
  for (const name of readdirSync(join(root, 'web'))) if (STATIC.test(name)) copyFileSync(join(root, 'web', name), join(out, name));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildWeb().then(
    (out) => console.log(`[buildWeb] ${out} ready`),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
