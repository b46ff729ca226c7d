// The package as npm publishes it, in an app that installs it: `npm pack` of the built tree
// (npm test builds dist/ first), then in a fresh folder `npm install` of the tarball with
// TypeScript, webgpu and @types/node (from the local npm cache where it has them), a strict
// NodeNext program with no skipLibCheck that trains a few steps on embeddedDataset(),
// evaluates and saves the weights, type-checked with tsc --noEmit, compiled and run.
// A browser app's view of the types (Bundler resolution) is checked too. About 30 s with a
// warm npm cache (2 cores, lavapipe): it runs in the normal suite.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MAX_UNPACKED = 3_000_000;
let work: string;
let app: string;
let tarball: string;
let packed: { size: number; unpackedSize: number; files: { path: string; size: number }[] };

/** The environment without what `npm test` sets for its own project (npm_config_local_prefix, ...). */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env, timeout: 240_000, ...options });
  const output = `${command} ${args.join(' ')}\n${String(result.stdout)}\n${String(result.stderr)}`;
  return { ...result, stdout: String(result.stdout), stderr: String(result.stderr), output };
}

const versionOf = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true,
    noImplicitOverride: true, verbatimModuleSyntax: true, skipLibCheck: false, types: ['node'], outDir: 'out',
  },
  include: ['main.ts'],
};

const PROGRAM = `// An app that embeds espgpu: a few ESP training steps on the embedded Fashion-MNIST subset,
// an evaluation, and the weights saved as safetensors.
import { writeFile } from 'node:fs/promises';
import { acquireDevice, AugmentationPipeline, Classifier, embeddedDataset, Gpu, imageBytes, labelsAt, mnistCnn, saveWeights, sliceDataset, type ErrorRate, type StepResult } from 'espgpu';
import { nodeFileStore } from 'espgpu/node';

const train = embeddedDataset('train');
const test = sliceDataset(embeddedDataset('test'), 0, 200);
const device = await acquireDevice();
const gpu = new Gpu(device);
const classifier = new Classifier(gpu, mnistCnn({ seed: 0 }), 0, { momentum: 0.9, nesterov: false, weightDecay: 0, schedule: () => 0.05 });
const pipeline = await AugmentationPipeline.create(gpu, { image: [1, 28, 28], classes: 10, batch: 32, seed: 0 }, { method: 'esp', esp: { epsilon: 1.5, gamma: 10 } });
let last: StepResult | undefined;
for (let step = 0; step < 10; step++) {
  const indices = Uint32Array.from({ length: 32 }, (_, i) => step * 32 + i);
  const batch = await pipeline.augment(step, imageBytes(train, indices), labelsAt(train, indices));
  last = await classifier.trainStep(step, batch.x, batch.targets);
}
const { loss, accuracy } = await last!.read();
const clean: ErrorRate = await classifier.evaluate(test);
const weights = await saveWeights(gpu, classifier, 'mnist-cnn');
await writeFile('mnist-cnn.safetensors', weights);
await nodeFileStore.append('run.jsonl', JSON.stringify({ loss, accuracy, error: clean.error }) + '\\n');
console.log(JSON.stringify({ loss, accuracy, error: clean.error, count: clean.count, weightBytes: weights.length }));
pipeline.dispose();
classifier.dispose();
gpu.dispose();
device.dispose();
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'espgpu-package-'));
  app = join(work, 'app');
  mkdirSync(app);
  // The built tree as it is (prepack would rebuild it): npm test built it.
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root });
  if (pack.status !== 0) throw new Error(pack.output);
  const [info] = JSON.parse(pack.stdout) as [typeof packed & { filename: string }];
  packed = info;
  tarball = join(work, info.filename);
  console.log(`[package] ${info.filename}: ${(info.size / 1e6).toFixed(2)} MB packed, ${(info.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${info.files.length} files`);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it(`holds the library, its types, the command, the embedded data and the licence, in at most ${MAX_UNPACKED / 1e6} MB`, () => {
    const paths = packed.files.map((f) => f.path);
    for (const path of ['LICENSE', 'README.md', 'package.json', 'dist/node/index.js', 'dist/node/worker.js', 'dist/node/cli.js', 'dist/cli.js', 'dist/browser/index.js', 'dist/browser/worker.js', 'dist/types/index.d.ts', 'dist/types/node.d.ts', 'data/fashion-mnist-subset/train-images-idx3-ubyte.gz']) {
      expect(paths, path).toContain(path);
    }
    expect(paths.filter((p) => p.endsWith('.map') || /^dist\/(bench|experiments|web)\//.test(p) || /^(src|test|bench|experiments|web|scripts|shaders|assembly)\//.test(p))).toEqual([]);
    expect(packed.unpackedSize).toBeLessThanOrEqual(MAX_UNPACKED);
    expect(statSync(tarball).size).toBe(packed.size);
  });

  it('installs into a fresh app, whose strict NodeNext program type-checks without skipLibCheck, trains, evaluates and saves weights', () => {
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'espgpu-app', private: true, type: 'module' }, null, 2));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(join(app, 'main.ts'), PROGRAM);
    const deps = [tarball, `typescript@${versionOf('typescript')}`, `webgpu@${versionOf('webgpu')}`, `@types/node@${versionOf('@types/node')}`];
    const install = run('npm', ['install', ...deps, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });
    expect(install.status, install.output).toBe(0);
    const tsc = join(app, 'node_modules/typescript/bin/tsc');
    const check = run(process.execPath, [tsc, '--noEmit', '-p', '.'], { cwd: app });
    expect(check.status, check.output).toBe(0);
    const emit = run(process.execPath, [tsc, '-p', '.'], { cwd: app });
    expect(emit.status, emit.output).toBe(0);
    const program = run(process.execPath, ['out/main.js'], { cwd: app, env: { ...env, ESPGPU_TUNE: '0' } });
    expect(program.status, program.output).toBe(0);
    const result = JSON.parse(program.stdout.trim().split('\n').at(-1)!) as { loss: number; accuracy: number; error: number; count: number; weightBytes: number };
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.count).toBe(200);
    expect(result.error).toBeGreaterThanOrEqual(0);
    expect(statSync(join(app, 'mnist-cnn.safetensors')).size).toBe(result.weightBytes);
    expect(readFileSync(join(app, 'run.jsonl'), 'utf8')).toMatch(/^\{"loss":/);
    // The command came with it.
    const version = run(join(app, 'node_modules/.bin/espgpu'), ['--version'], { cwd: app });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  }, 300_000);

  it('gives a browser app (Bundler resolution) the library without the Node helpers, and espgpu/node with them', () => {
    writeFileSync(join(app, 'browser.ts'), "import { Classifier, startTrainerWorker } from 'espgpu';\nimport { embeddedDataset } from 'espgpu/node';\nexport const used: unknown[] = [Classifier, startTrainerWorker, embeddedDataset];\n");
    writeFileSync(join(app, 'browser-only.ts'), "// @ts-expect-error: Node's file helpers are not in the browser's types\nimport { embeddedDataset } from 'espgpu';\nexport const used: unknown = embeddedDataset;\n");
    const config = { compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, skipLibCheck: false, noEmit: true, types: [] }, include: ['browser.ts', 'browser-only.ts'] };
    writeFileSync(join(app, 'tsconfig.browser.json'), JSON.stringify(config, null, 2));
    const check = run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.browser.json'], { cwd: app });
    expect(check.status, check.output).toBe(0);
  }, 120_000);

  it('says to install webgpu when the app has not', () => {
    const away = join(app, 'node_modules/.webgpu-away');
    renameSync(join(app, 'node_modules/webgpu'), away);
    try {
      writeFileSync(join(app, 'no-webgpu.mjs'), "import { acquireDevice } from 'espgpu';\nawait acquireDevice();\n");
      const script = run(process.execPath, ['no-webgpu.mjs'], { cwd: app });
      expect(script.status).not.toBe(0);
      expect(script.stderr).toMatch(/optional peer dependency `webgpu` \(Dawn\), which is not installed: run `npm install webgpu`/);
      const command = run(join(app, 'node_modules/.bin/espgpu'), ['info'], { cwd: app });
      expect(command.status).toBe(1);
      expect(command.stderr).toMatch(/^espgpu: WebGPU in Node comes from espgpu's optional peer dependency `webgpu`/m);
    } finally {
      renameSync(away, join(app, 'node_modules/webgpu'));
    }
  });
});
