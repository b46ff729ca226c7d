// What the browser tests stand on: Debian's Chromium (headless, WebGPU through its bundled
// SwiftShader; the flags of shared/README.md) driven by playwright-core, and the demo served by
// `node scripts/serve.mjs` on a free port of 127.0.0.1 (WebGPU needs a secure context).
// A missing Chromium is a failure that says how to install it, never a skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Debian's chromium package puts the browser here; ESPGPU_CHROMIUM overrides. */
export const CHROMIUM = process.env.ESPGPU_CHROMIUM || '/usr/lib/chromium/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-webgpu-developer-features', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Screenshots and other outputs of the browser tests (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser tests need it. Install Debian's package as root ` +
        '(`apt-get install -y chromium`; `npm test` does this as root on Debian) or point ESPGPU_CHROMIUM at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export interface DemoServer {
  /** e.g. http://127.0.0.1:39123/ */
  url: string;
  close(): Promise<void>;
}

/** Starts `node scripts/serve.mjs --port 0` (which builds dist/web first) and waits for its address. */
export function startDemoServer(timeoutMs = 90_000): Promise<DemoServer> {
  const child = spawn(process.execPath, ['scripts/serve.mjs', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`scripts/serve.mjs printed no address within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(error);
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[0], close: () => stop(child) });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => fail(new Error(`scripts/serve.mjs exited with ${code} before serving:\n${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Page errors and console errors, to put in a failing test's message. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/**
 * Waits until document.body.dataset.state is one of `states` or 'error'; throws with the
 * page's error (and what it logged) on 'error' or on timeout.
 */
export async function waitForState(page: Page, states: readonly string[], timeoutMs: number, errors: string[]): Promise<string> {
  try {
    await page.waitForFunction((wanted) => [...wanted, 'error'].includes(document.body.dataset.state ?? ''), states, { timeout: timeoutMs, polling: 250 });
  } catch {
    const state = await page.evaluate(() => document.body.dataset.state);
    throw new Error(`${page.url()}: state still "${state}" after ${timeoutMs / 1000} s (wanted ${states.join(' or ')})\n${errors.join('\n')}`);
  }
  const { state, error } = await page.evaluate(() => ({ state: document.body.dataset.state!, error: document.body.dataset.error }));
  if (state === 'error') throw new Error(`${page.url()}: ${error}\n${errors.join('\n')}`);
  return state;
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return `${ARTIFACTS}${name}`;
}
