// What a user who cannot afford to lose a day of training relies on, through the real
// command: bad settings and paths fail before any step, a diverged run stops with a named
// error and never writes non-finite weights, SIGTERM checkpoints and resumes bit for bit, and
// temporaries a killed process left behind are cleaned up.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/checkpoint.ts';
import { removeStaleTemporaries, writeFileAtomicSync } from '../../src/io/atomicFile.ts';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
let root = '';
// The embedded subset, cut small: 96 training images in 3 steps of 32 an epoch.
const tiny = ['--dataset', 'embedded', '--train-limit', '96', '--eval-limit', '32', '--batch', '32', '--lr', '0.05'];

function espgpu(...args: string[]) {
  const started = performance.now();
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, cwd: root });
  return { ...run, seconds: (performance.now() - started) / 1000 };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm test does)`);
  root = mkdtempSync(join(tmpdir(), 'espgpu-guards-'));
  writeFileSync(join(root, 'a-file'), 'not a folder');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pre-flight: refused before the data is read or the device set up', () => {
  const cases: [string, string[], RegExp][] = [
    // A folder that is a file: unwritable even for root (tests run as root here).
    ['an unwritable checkpoint path', ['--checkpoint', 'a-file/run.safetensors'], /--checkpoint a-file\/run.safetensors: cannot be written \((EEXIST|ENOTDIR)\)/],
    ['an unwritable curve path', ['--curve', 'a-file/curve.svg'], /--curve a-file\/curve.svg: cannot be written/],
    ['a missing suite folder', ['--suite', 'mnist-c', '--suite-dir', '/nonexistent/suite'], /--suite-dir \/nonexistent\/suite: no such folder/],
    ['a missing checkpoint to resume', ['--resume', 'absent.safetensors'], /--resume absent.safetensors: no such checkpoint/],
    ['an ESP setting out of range', ['--method', 'esp', '--epsilon', '1', '--gamma', '0.5'], /ESP settings: gamma \(γ\) must be a number > 1, got 0.5/],
    ['a method that does not exist', ['--method', 'bogus'], /augmentation method "bogus" is not one of/],
    ['an empty number', ['--epsilon', ''], /--epsilon must be a number ≥ 0, got ""/],
    ['a hexadecimal number', ['--lr', '0x10'], /--lr must be a number > 0, got "0x10"/],
    ['a number with blanks', ['--lr', ' 0.1 '], /--lr must be a number > 0, got " 0.1 "/],
    ['an ESP size that overflows', ['--method', 'esp', '--epsilon', '1e308'], /the largest size must be a finite number, got Infinity/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: a named error within 5 s, and no training step`, () => {
      const run = espgpu('train', ...tiny, ...args);
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).not.toMatch(/step \d/);
      expect(run.seconds).toBeLessThan(5);
    });
  }

  it('an existing checkpoint is not overwritten by a fresh run', () => {
    writeFileSync(join(root, 'taken.safetensors'), 'precious');
    const run = espgpu('train', ...tiny, '--checkpoint', 'taken.safetensors');
    expect(run.stderr).toMatch(/--checkpoint taken.safetensors already exists: resume from it/);
    expect(readFileSync(join(root, 'taken.safetensors'), 'utf8')).toBe('precious');
  });
});

describe('non-finite values', () => {
  it('a diverged run stops with a named error and a non-zero exit, and writes no checkpoint', () => {
    const run = espgpu('train', ...tiny, '--lr', '1e30', '--epochs', '1', '--checkpoint', 'diverged.safetensors');
    expect(run.status, run.stdout).toBe(1);
    expect(run.stderr).toMatch(/training diverged/);
    expect(run.stdout).not.toMatch(/completed/);
    expect(existsSync(join(root, 'diverged.safetensors'))).toBe(false);
  });

  it('a checkpoint with one NaN weight is refused for resuming and evaluation unless allowed', () => {
    const good = espgpu('train', ...tiny, '--epochs', '1', '--checkpoint', 'good.safetensors', '--json');
    expect(good.status, good.stderr).toBe(0);
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(join(root, 'good.safetensors'))), 'good');
    const { checksum: _checksum, ...rest } = metadata;
    tensors[0]!.data[3] = Number.NaN;
    writeFileAtomicSync(join(root, 'nan.safetensors'), encodeSafetensors(tensors, rest));
    const resumed = espgpu('train', ...tiny, '--epochs', '2', '--resume', 'nan.safetensors');
    expect(resumed.status).toBe(1);
    expect(resumed.stderr).toMatch(new RegExp(`checkpoint nan.safetensors holds parameters ${tensors[0]!.name.replace('.', '\\.')}\\[3\\] = NaN`));
    const evaluated = espgpu('eval', '--checkpoint', 'nan.safetensors', '--dataset', 'embedded');
    expect(evaluated.status).toBe(1);
    expect(evaluated.stderr).toMatch(/nan.safetensors: holds parameters .*\[3\] = NaN: its predictions would mean nothing/);
    expect(espgpu('eval', '--checkpoint', 'nan.safetensors', '--dataset', 'embedded', '--allow-non-finite').status).toBe(0);
  });
});

describe('signals', () => {
  /** Starts a run and sends `signal` once it reports its first checkpoint. */
  function trainAndSignal(signal: NodeJS.Signals, args: string[]): Promise<{ code: number | null; stdout: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'train', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let sent = false;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (!sent && /checkpoint \S+ at step 1\b/.test(stdout)) {
          sent = true;
          child.kill(signal);
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout }));
    });
  }

  const weightsOf = (file: string) => decodeSafetensors(new Uint8Array(readFileSync(join(root, file))), file).tensors;

  it('SIGTERM checkpoints at the step boundary and exits 143; the resumed run ends bit for bit as an uninterrupted one', async () => {
    const run = ['--epochs', '2', '--checkpoint-every', '1', '--seed', '5', ...tiny];
    const whole = espgpu('train', ...run, '--checkpoint', 'whole.safetensors');
    expect(whole.status, whole.stderr).toBe(0);
    const stopped = await trainAndSignal('SIGTERM', [...run, '--checkpoint', 'stopped.safetensors']);
    expect(stopped.code).toBe(143);
    expect(stopped.stdout).toMatch(/aborted at step \d/);
    const resumed = espgpu('train', ...run, '--resume', 'stopped.safetensors');
    expect(resumed.status, resumed.stderr).toBe(0);
    const [a, b] = [weightsOf('whole.safetensors'), weightsOf('stopped.safetensors')];
    expect(b.map((t) => t.name)).toEqual(a.map((t) => t.name));
    a.forEach((t, i) => expect(Buffer.from(b[i]!.data.buffer).equals(Buffer.from(t.data.buffer)), t.name).toBe(true));
  });

  it('SIGHUP does the same, with exit code 129', async () => {
    const stopped = await trainAndSignal('SIGHUP', ['--epochs', '2', '--checkpoint-every', '1', ...tiny, '--checkpoint', 'hup.safetensors']);
    expect(stopped.code).toBe(129);
    expect(decodeSafetensors(new Uint8Array(readFileSync(join(root, 'hup.safetensors'))), 'hup').tensors.length).toBeGreaterThan(0);
  });
});

describe('temporaries of killed writers', () => {
  it('are removed at the next write to their folder; a live process keeps its own', () => {
    const folder = mkdtempSync(join(root, 'tmp-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const stale = `.run.safetensors.${dead}.0123abcd.tmp`;
    const live = `.run.safetensors.${process.ppid}.89abcdef.tmp`;
    writeFileSync(join(folder, stale), 'half a checkpoint');
    writeFileSync(join(folder, live), 'being written');
    writeFileSync(join(folder, '.unrelated.tmp'), 'not ours');
    writeFileAtomicSync(join(folder, 'run.safetensors'), new Uint8Array([1, 2, 3]));
    expect(readdirSync(folder).sort()).toEqual([live, '.unrelated.tmp', 'run.safetensors'].sort());
    expect(removeStaleTemporaries(folder)).toEqual([]);
  });
});

describe('a long evaluation', () => {
  it('scores the sets it can read, names the one it cannot, and exits 2', () => {
    const suite = join(root, 'suite');
    const made = espgpu('corrupt', '--dataset', 'embedded', '--suite', 'mnist-c', '--out', suite, '--limit', '40', '--json');
    expect(made.status, made.stderr).toBe(0);
    // The 14th of the 15 corruptions loses half its labels file.
    const labels = join(suite, 'canny_edges', 'test_labels.npy');
    writeFileSync(labels, readFileSync(labels).subarray(0, 100));
    expect(espgpu('train', ...tiny, '--epochs', '1', '--checkpoint', 'scored.safetensors').status).toBe(0);
    const run = espgpu('eval', '--checkpoint', 'scored.safetensors', '--dataset', 'embedded', '--suite', 'mnist-c', '--suite-dir', suite, '--json');
    expect(run.status, run.stderr).toBe(2);
    const report = JSON.parse(run.stdout).corruption;
    expect(report.corruptions).toHaveLength(14);
    expect(report.unscored).toEqual([{ corruption: 'canny_edges', severity: null, problem: expect.stringMatching(/canny_edges[/\\]test_labels\.npy/) }]);
    expect(run.stderr).toMatch(/1 corruption set\(s\) could not be read and are not in the means: canny_edges/);
  });

  it('a missing suite file is found before the device is set up', () => {
    const suite = join(root, 'suite-missing');
    expect(espgpu('corrupt', '--dataset', 'embedded', '--suite', 'mnist-c', '--out', suite, '--limit', '8').status).toBe(0);
    rmSync(join(suite, 'fog', 'test_images.npy'));
    const run = espgpu('train', ...tiny, '--suite', 'mnist-c', '--suite-dir', suite);
    expect(run.stderr).toMatch(/mnist-c: missing .*fog[/\\]test_images\.npy/);
    expect(run.stdout).not.toMatch(/step \d/);
    expect(run.seconds).toBeLessThan(5);
  });
});

