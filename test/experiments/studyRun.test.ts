// A miniature Table 1 run end to end through the real `espgpu` command (Fashion-MNIST, a few
// steps, a 100-image suite), so the experiment scripts cannot rot. Full test tier.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, planStudy, type Choice } from '../../experiments/study/plan.ts';
import { flatnessChart, flatnessTable, methodTable, perCorruptionTable, scoreOf, type RunRecord } from '../../experiments/study/report.ts';
import { prepareSuites, readResults, resultFile, runAll, suiteDir, type StudyPaths } from '../../experiments/study/runner.ts';

const choice: Choice = { esp: { epsilon: 1.5, gamma: 10 }, l2: { epsilon: 2 } };

describe('miniature Table 1 through espgpu', () => {
  const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
  const root = mkdtempSync(join(tmpdir(), 'espgpu-study-'));
  const paths: StudyPaths = { cli, results: join(root, 'results'), work: join(root, 'work') };

  it('generates the suites, trains Naive and ESP, scores them, and skips finished runs when rerun', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm test does)`);
    const settings = { ...DEFAULT_SETTINGS, epochs: 1, seeds: [0], trainLimit: 2048, evalLimit: 500, flatness: { radii: [1, 4], directions: 2, samples: 64 } };
    const runs = planStudy('table1', settings, choice).filter((r) => r.method === 'none' || r.method === 'esp');
    const log = () => {};
    await prepareSuites(paths, { validation: 5000, testLimit: 100, validationLimit: 100 }, log);
    expect(existsSync(join(suiteDir(paths, 'validation'), 'suite.json'))).toBe(true);
    await runAll(paths, runs, 1, log);
    const scored = readResults<RunRecord>(paths, runs).map(({ record }) => scoreOf(record));
    expect(scored.map((s) => s.run.method)).toEqual(['none', 'esp']);
    for (const s of scored) {
      expect(Object.keys(s.perCorruption)).toHaveLength(15);
      expect(s.clean).toBeGreaterThan(0);
      expect(s.clean).toBeLessThan(88); // 16 steps already beat chance (90% error)
    }
    expect(methodTable(scored)).toMatch(/\| Naive \| 0 \|[\s\S]*\| Naive \+ ESP \| 0 \|/);
    expect(perCorruptionTable(scored).split('\n')).toHaveLength(2 + 15);
    // Both are flatness methods (Naive, ESP): their records hold the measurement.
    for (const s of scored) {
      expect(s.flatness!.radii.map((r) => r.radius)).toEqual([1, 4]);
      expect(s.flatness!.directions).toBe(2);
      expect(Number.isFinite(s.flatness!.baseLoss)).toBe(true);
    }
    expect(flatnessTable(scored).split('\n')).toHaveLength(2 + 2);
    expect(flatnessChart(scored).match(/<polyline/g)).toHaveLength(2);
    const written = statSync(resultFile(paths, runs[0]!)).mtimeMs;
    await runAll(paths, runs, 1, log);
    expect(statSync(resultFile(paths, runs[0]!)).mtimeMs).toBe(written);
    const record = JSON.parse(readFileSync(resultFile(paths, runs[1]!), 'utf8')) as RunRecord;
    expect(record.output.corruption!.clean!.count).toBe(500);
  }, 600_000);
});
