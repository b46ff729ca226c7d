// The study queue's pieces that need no Redis: a plan checked whole before anything is
// submitted, job ids from the run's settings, the Redis URL's password kept out of every
// message, the store's result.json written once.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, jobIdOf } from '../../src/distributed/jobId.ts';
import { parseRedisUrl } from '../../src/distributed/redisUrl.ts';
import { jobFiles, specForStore, writeFileOnce } from '../../src/distributed/runStore.ts';
import { checkPlan, readPlanFile } from '../../src/distributed/studyPlan.ts';
import type { RunSpec } from '../../src/train/runSpec.ts';

const folders: string[] = [];
const tempFolder = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const spec: RunSpec = { preset: 'mnist', epochs: 1, batchSize: 32, seed: 1, data: { dataset: 'embedded', trainLimit: 64, evalLimit: 32 } };

describe('a study plan', () => {
  it('becomes one job per run, its id from the study, id and spec whatever the key order', () => {
    const jobs = checkPlan({ runs: [{ study: 's', id: 'a', method: 'none', spec }, { id: 'b', spec: { ...spec, seed: 2 } }] }, 'plan');
    expect(jobs.map((j) => j.jobId)).toEqual([expect.stringMatching(/^s\.a\.[0-9a-f]{12}$/), expect.stringMatching(/^b\.[0-9a-f]{12}$/)]);
    expect(jobs[0]!.run).toMatchObject({ study: 's', id: 'a', method: 'none' });
    const reordered = JSON.parse(JSON.stringify({ data: spec.data, seed: 1, batchSize: 32, epochs: 1, preset: 'mnist' })) as RunSpec;
    expect(jobIdOf({ study: 's', id: 'a', spec: reordered })).toBe(jobs[0]!.jobId);
    expect(jobIdOf({ study: 's', id: 'a', spec: { ...spec, seed: 3 } })).not.toBe(jobs[0]!.jobId);
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined })).toBe('{"b":[{"c":2,"d":1}]}');
  });

  it("takes a run's flatness arguments into its job id (none: the id as before) and refuses --checkpoint, --json and non-strings", () => {
    const flatness = ['--dataset', 'embedded', '--radii', '1,4'];
    const [plain, measured] = checkPlan({ runs: [{ id: 'a', spec }, { study: 'm', id: 'a', spec, flatness }] }, 'plan');
    expect(plain!.jobId).toBe(jobIdOf({ id: 'a', spec }));
    expect(measured!.run.flatness).toEqual(flatness);
    expect(measured!.jobId).not.toBe(jobIdOf({ study: 'm', id: 'a', spec }));
    expect(measured!.jobId).not.toBe(jobIdOf({ study: 'm', id: 'a', spec, flatness: ['--dataset', 'embedded', '--radii', '1,8'] }));
    const runs = [
      { id: 'ckpt', spec, flatness: ['--checkpoint', 'x'] },
      { id: 'json', spec, flatness: ['--radii', '1', '--json=true'] },
      { id: 'numbers', spec, flatness: ['--radii', 1] },
      { id: 'text', spec, flatness: '--radii 1' },
    ];
    expect(() => checkPlan({ runs }, 'plan')).toThrow(
      /4 of 4 runs are wrong[^]*run ckpt: flatness must not give --checkpoint[^]*run json: flatness must not give --json[^]*run numbers: flatness must be a list of strings[^]*run text: flatness must be a list of strings/,
    );
  });

  it('is refused whole, naming every bad run and field', () => {
    const plan = {
      runs: [
        { id: 'good', spec },
        { id: 'zero-epochs', spec: { ...spec, epochs: 0 } },
        { id: 'own-checkpoint', spec: { ...spec, outputs: { checkpoint: 'x.safetensors' } } },
        { id: '../escape', spec },
        { id: 'good', spec: { ...spec, seed: 5 } },
        { id: 'typo', spec: { ...spec, lrr: 0.1 } },
      ],
    };
    let message = '';
    try {
      checkPlan(plan, 'plan p.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^plan p\.json: 5 of 6 runs are wrong, nothing submitted/);
    expect(message).toMatch(/run zero-epochs: epochs must be/);
    expect(message).toMatch(/run own-checkpoint: spec\.outputs\.checkpoint is the worker's to set/);
    expect(message).toMatch(/run \.\.\/escape: id must be a name/);
    expect(message).toMatch(/run good: id good is also runs\[0\]'s/);
    expect(message).toMatch(/run typo: .*lrr/);
    expect(() => checkPlan({ runs: [] }, 'plan')).toThrow(/"runs" is empty/);
    expect(() => checkPlan([], 'plan')).toThrow(/must be an object with "runs"/);
  });

  it('reads a file, naming it when it cannot; --suite fills in the suite where a spec has none', () => {
    const dir = tempFolder('espgpu-plan-');
    const path = join(dir, 'plan.json');
    writeFileSync(path, JSON.stringify({ settings: {}, runs: [{ id: 'a', spec }, { id: 'b', spec: { ...spec, outputs: { suite: 'cifar10-c' } } }] }));
    const jobs = readPlanFile(path, { suite: 'mnist-c' });
    expect(jobs.map((j) => j.run.spec.outputs?.suite)).toEqual(['mnist-c', 'cifar10-c']);
    expect(jobs[0]!.jobId).not.toBe(readPlanFile(path)[0]!.jobId);
    writeFileSync(path, '{ not json');
    expect(() => readPlanFile(path)).toThrow(new RegExp(`plan ${path}: not JSON`));
    expect(() => readPlanFile(join(dir, 'missing.json'))).toThrow(/cannot read it \(ENOENT\)/);
  });

  it("runs in its store folder: the worker's checkpoint, resume and metrics, the spec's own checkpointEvery and data dir kept", () => {
    const files = jobFiles('/store', 's.a.0123456789ab');
    expect(specForStore(spec, files, { checkpointEvery: 50, dataDir: '/data' }, false)).toMatchObject({
      data: { dataset: 'embedded', dir: '/data' },
      outputs: { checkpoint: '/store/s.a.0123456789ab/checkpoint.safetensors', checkpointEvery: 50, metrics: '/store/s.a.0123456789ab/metrics.jsonl' },
    });
    const own = specForStore({ ...spec, data: { ...spec.data, dir: '/mine' }, outputs: { checkpointEvery: 7 } }, files, { checkpointEvery: 50, dataDir: '/data' }, true);
    expect(own.data?.dir).toBe('/mine');
    expect(own.outputs).toMatchObject({ resume: files.checkpoint, checkpointEvery: 7 });
    expect(own.outputs?.checkpoint).toBeUndefined();
    expect(() => jobFiles('/store', '../x')).toThrow(/cannot name a store folder/);
    expect(() => jobFiles('/store', 'a/b')).toThrow(/cannot name a store folder/);
    // The study's AugMix methods: table1.augmix+esp-seed0.<hash>.
    expect(jobFiles('/store', 'table1.augmix+esp-seed0.0123456789ab').folder).toBe('/store/table1.augmix+esp-seed0.0123456789ab');
  });
});

describe('the Redis URL', () => {
  it('is shown and quoted in errors without its password, as given or URL-encoded', () => {
    const target = parseRedisUrl('rediss://worker:p%40ss%3Aword@redis.example:6380/2');
    expect(target.shown).toBe('rediss://worker:***@redis.example:6380/2');
    expect(target.redact('AUTH failed for p@ss:word and p%40ss%3Aword')).toBe('AUTH failed for *** and ***');
    expect(parseRedisUrl('redis://127.0.0.1:6379').shown).toBe('redis://127.0.0.1:6379');
    expect(() => parseRedisUrl('http://:secret@host')).toThrow(/http:\/\/:\*\*\*@host\/? is not a Redis URL/);
    expect(() => parseRedisUrl('redis://:secret@host/x')).toThrow(/redis:\/\/:\*\*\*@host\/x: the database/);
    expect(() => parseRedisUrl('not a url:secret@host')).not.toThrow(/secret/);
    expect(() => parseRedisUrl(undefined)).toThrow(/ESPGPU_REDIS_URL/);
    for (const bad of ['http://:secret@host', 'not a url:secret@host', 'redis://:secret@host/x']) {
      expect(() => parseRedisUrl(bad)).toThrow();
      try {
        parseRedisUrl(bad);
      } catch (error) {
        expect((error as Error).message).not.toContain('secret');
      }
    }
  });
});

describe("the store's result.json", () => {
  it('is written once: a second writer leaves the first record', () => {
    const dir = tempFolder('espgpu-store-');
    const path = join(dir, 'job', 'result.json');
    expect(writeFileOnce(path, new TextEncoder().encode('first'))).toBe(true);
    expect(writeFileOnce(path, new TextEncoder().encode('second'))).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('first');
  });
});
