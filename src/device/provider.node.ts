// Node: WebGPU comes from Dawn's native addon, the `webgpu` npm package — an optional peer
// dependency, loaded on first use so that importing espgpu never fails for want of it.
// Its constructor globals (GPUBufferUsage, GPUMapMode, ...) are installed once so
// code above `device/` can use the standard names. `navigator` is never touched:
// assigning it hangs webgpu 0.6.x.
import { closeSync, constants, fstatSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Dawn = typeof import('webgpu');

let dawn: Promise<Dawn> | undefined;
let installed = false;

export const runtime = 'node' as const;

/** The `webgpu` package, or an error that says how to install it. */
function loadDawn(): Promise<Dawn> {
  dawn ??= import('webgpu').catch((error: NodeJS.ErrnoException) => {
    dawn = undefined;
    const missing = error.code === 'ERR_MODULE_NOT_FOUND' && /['"]webgpu['"]/.test(error.message);
    throw new Error(
      missing
        ? "WebGPU in Node comes from espgpu's optional peer dependency `webgpu` (Dawn), which is not installed: run `npm install webgpu`."
        : `The \`webgpu\` package (Dawn's native addon, espgpu's WebGPU in Node) failed to load: ${error.message}. Reinstalling it (\`npm install webgpu\`) fetches the addon for this platform.`,
      { cause: error },
    );
  });
  return dawn;
}

export async function gpuEntry(adapterName?: string): Promise<GPU> {
  const { create, globals } = await loadDawn();
  if (!installed) {
    for (const [name, value] of Object.entries(globals)) {
      if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    }
    installed = true;
  }
  // Dawn's `adapter=` flag picks the adapter whose name contains the substring.
  return create(adapterName ? [`adapter=${adapterName}`] : []);
}

// ---- Dawn's notices on stderr ----
// Dawn writes two lines from native code to file descriptor 2 whenever it enumerates an adapter
// whose driver reports more dynamic buffers than Dawn supports (lavapipe, RADV, ...):
//   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 ...
// They are harmless, Dawn offers no flag or toggle to turn them off, and process.stderr never
// sees them. hideDawnNotices() (the CLI calls it unless --verbose) makes requestAdapter run with
// descriptor 2 pointing at a temporary file when stderr is a terminal or a pipe, then writes back
// to stderr everything else that arrived meanwhile. Off by default: swapping descriptor 2 is for a
// process that owns its stderr (the CLI), not for a library inside someone else's app.
const NOTICE = /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;
let hideNotices = false;

/** Hide (true) or show (false, the default) Dawn's limit notices while an adapter is requested. */
export function hideDawnNotices(hide = true): void {
  hideNotices = hide;
}

/** Runs `request` (Dawn's adapter enumeration) with Dawn's limit notices filtered out of stderr when asked to. */
export async function quietAdapterRequest<T>(request: () => Promise<T>): Promise<T> {
  if (!hideNotices || process.platform === 'win32') return request();
  const redirect = redirectStderr();
  if (!redirect) return request();
  try {
    return await request();
  } finally {
    redirect.restore();
  }
}

/**
 * Points descriptor 2 at a temporary file; restore() points it back and replays what is not a
 * notice. Only for a terminal or a pipe: reopening either through /proc/self/fd (/dev/fd) gives
 * the same stream back, whereas a regular file would come back with an offset of its own (and
 * overwrite what a shell writes after us), and a socket cannot be reopened. Those keep the notices.
 */
function redirectStderr(): { restore(): void } | undefined {
  let kind: 'tty' | 'pipe';
  try {
    const stat = fstatSync(2);
    if (stat.isCharacterDevice()) kind = 'tty';
    else if (stat.isFIFO()) kind = 'pipe';
    else return undefined;
  } catch {
    return undefined;
  }
  const path = join(tmpdir(), `.espgpu-stderr-${process.pid}-${Date.now().toString(36)}.tmp`);
  let saved: number;
  try {
    // A second descriptor for the real stderr. A pipe nobody reads any more would block the open: fail instead.
    saved = openSync(selfFd(2), constants.O_WRONLY | constants.O_NOCTTY | (kind === 'pipe' ? constants.O_NONBLOCK : 0));
  } catch {
    return undefined;
  }
  let capture: number;
  try {
    // The lowest free descriptor is the one just closed: the capture becomes descriptor 2.
    closeSync(2);
    capture = openSync(path, 'w+', 0o600);
  } catch {
    reopenAsStderr(saved);
    return undefined;
  }
  if (capture !== 2) {
    // Something took descriptor 2 in between (another thread opening a file): give up quietly.
    closeSync(capture);
    rmSync(path, { force: true });
    reopenAsStderr(saved);
    return undefined;
  }
  return {
    restore() {
      closeSync(2);
      reopenAsStderr(saved);
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } finally {
        rmSync(path, { force: true });
      }
      const kept = text.split('\n').filter((line, i, lines) => !NOTICE.test(line) && !(line === '' && i === lines.length - 1));
      if (kept.length > 0) writeSync(2, kept.join('\n') + '\n');
    },
  };
}

function selfFd(fd: number): string {
  return process.platform === 'linux' ? `/proc/self/fd/${fd}` : `/dev/fd/${fd}`;
}

/** Makes `saved`'s stream descriptor 2 again (opening it anew lands on 2, the lowest free descriptor), blocking as stderr is. */
function reopenAsStderr(saved: number): void {
  try {
    const fd = openSync(selfFd(saved), constants.O_WRONLY | constants.O_NOCTTY);
    if (fd !== 2) closeSync(fd);
  } finally {
    closeSync(saved);
  }
}
