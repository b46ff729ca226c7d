#!/usr/bin/env node
// Prepares a fresh machine: npm dependencies, a WebGPU adapter, and the build.
// Idempotent: each step checks first and does nothing when already done.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { debianMirror } from './debianMirror.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (message) => console.log(`[setup] ${message}`);

function run(command, args, options = {}) {
  log(`$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd: root, stdio: 'inherit', ...options });
}

function installDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

/** Asks Dawn for an adapter in a child process: a broken driver must not take setup down. */
function probeAdapter() {
  const probe = `
    const { create } = await import('webgpu');
    const adapter = await create([]).requestAdapter();
    console.log(adapter ? 'ADAPTER ' + adapter.info.vendor + ' ' + adapter.info.description : 'NO_ADAPTER');
    process.exit(0);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('ADAPTER') || l === 'NO_ADAPTER');
  return line?.startsWith('ADAPTER') ? line.slice('ADAPTER '.length) : undefined;
}

function isDebianLike() {
  if (existsSync('/etc/debian_version')) return true;
  try {
    return /ID(_LIKE)?=.*debian/.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

function debianCodename() {
  try {
    return /VERSION_CODENAME=(\w+)/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

// Dawn rejects Mesa 22's lavapipe (bookworm); Mesa 25 from bookworm-backports works.
function installLavapipe() {
  const codename = debianCodename() ?? 'bookworm';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (codename === 'bookworm') {
    const mirror = debianMirror('bookworm');
    if (!mirror) throw new Error('[setup] no apt source for bookworm found in /etc/apt: add bookworm-backports by hand, then install mesa-vulkan-drivers from it');
    writeFileSync('/etc/apt/sources.list.d/espgpu-backports.list', `deb ${mirror} bookworm-backports main\n`);
    log(`added bookworm-backports from ${mirror}`);
    run('apt-get', ['update', '-q'], { env });
    run('apt-get', ['install', '-y', '-q', '-t', 'bookworm-backports', 'mesa-vulkan-drivers'], { env });
  } else {
    run('apt-get', ['update', '-q'], { env });
    run('apt-get', ['install', '-y', '-q', 'mesa-vulkan-drivers'], { env });
  }
}

function ensureAdapter() {
  let adapter = probeAdapter();
  if (adapter) return log(`WebGPU adapter: ${adapter}`);
  const isRoot = process.getuid?.() === 0;
  if (process.platform === 'linux' && isDebianLike() && isRoot) {
    log('no WebGPU adapter found; installing Mesa lavapipe (a CPU Vulkan driver)');
    installLavapipe();
    adapter = probeAdapter();
    if (adapter) return log(`WebGPU adapter: ${adapter}`);
  }
  console.error(
    [
      '[setup] No WebGPU adapter found. espgpu needs a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver.',
      '  Linux without a GPU: install Mesa 25+ lavapipe, e.g. on Debian bookworm as root:',
      "    echo 'deb <the URI of your bookworm source> bookworm-backports main' > /etc/apt/sources.list.d/backports.list",
      '    apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers',
      '  (Mesa 22, bookworm\'s own, is rejected by Dawn.) Other distributions: mesa-vulkan-drivers / vulkan-swrast.',
    ].join('\n'),
  );
  process.exit(1);
}

/**
 * With --for-tests (npm test): what the tests use beyond the library, on a Debian-like system
 * as root — Debian's Chromium (headless WebGPU for test/browser), its Fashion-MNIST package
 * (the real-data reader tests) and Redis (the study queue's tests, test/distributed: they start
 * their own redis-server). Elsewhere it says what is missing; the tests say it again.
 */
function ensureTestPrerequisites() {
  const wanted = [
    ['/usr/lib/chromium/chromium', 'chromium'],
    ['/usr/share/datasets/fashion-mnist', 'dataset-fashion-mnist'],
    ['/usr/bin/redis-server', 'redis-server'],
  ].filter(([path]) => !existsSync(path)).map(([, pkg]) => pkg);
  if (wanted.length === 0) return;
  if (!(isDebianLike() && process.getuid?.() === 0)) return log(`for the tests, install: ${wanted.join(', ')} (Debian package names)`);
  log(`installing what the tests use: ${wanted.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], { env });
  run('apt-get', ['install', '-y', '-q', ...wanted], { env });
}

installDependencies();
ensureAdapter();
if (process.argv.includes('--for-tests')) ensureTestPrerequisites();
run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
