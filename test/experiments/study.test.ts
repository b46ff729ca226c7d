// The study's plan, its choice of ε from the sweep, its tables and statistics. The miniature
// Table 1 run through the real command is studyRun.test.ts (the full test tier).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chooseFromSweep, DEFAULT_SETTINGS, planStudy, selectRuns, suiteOf, type Choice } from '../../experiments/study/plan.ts';
import { isFinished, readResults, resultFile, runAll, runOne, suiteDir, suitesOf } from '../../experiments/study/runner.ts';
import { claimsChart, claimsTable, equivalenceTable, flatnessChart, formatP, holmAdjusted, digitsSection, meanStd, ORDERING_CLAIMS, powerTable, methodTable, didNotTrain, DID_NOT_TRAIN_ERROR, pairedCorruptionTable, pairedFlatnessTable, pairedInterval, pairedTable, pairRuns, perCorruptionTable, RELATIVE_CORRUPTION_ERROR, sweepChart, type Scored } from '../../experiments/study/report.ts';
import { meanTrueLabelMass, resolveEspSettings } from '../../src/augment/espSettings.ts';
import { preset } from '../../src/train/presets.ts';
import { resolveRunSpec } from '../../src/train/runSpec.ts';
import { checkPlan } from '../../src/distributed/studyPlan.ts';
import { intervalChartSvg, roundTicks, type IntervalRow } from '../../experiments/study/chart.ts';
import { equivalenceP, incompleteBeta, normalCdf, pairedTPower, pairedTTestP, pairsForPower, tCritical, twoSidedP, upperTailP } from '../../experiments/study/tTest.ts';
import { TestRandom } from '../helpers/random.ts';
import { normalCdf as seriesNormalCdf } from '../helpers/statistics.ts';

const choice: Choice = { esp: { epsilon: 1.5, gamma: 10 }, l2: { epsilon: 2 } };

describe('study plan', () => {
  it('sweeps ESP (both γ) and L2 over the ε grid plus Naive, all scored on the validation split', () => {
    const runs = planStudy('sweep', DEFAULT_SETTINGS);
    expect(runs).toHaveLength(1 + DEFAULT_SETTINGS.epsilons.length * (1 + DEFAULT_SETTINGS.gammas.length));
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    for (const run of runs) {
      expect(run.evaluatedOn).toBe('validation');
      expect(run.spec.data).toMatchObject({ dataset: 'fashion-mnist', validation: DEFAULT_SETTINGS.validation, trainLimit: DEFAULT_SETTINGS.sweepTrainLimit });
      expect(() => resolveRunSpec(run.spec)).not.toThrow();
    }
    expect(runs.filter((r) => r.method === 'esp' && r.gamma === 20).map((r) => r.epsilon)).toEqual(DEFAULT_SETTINGS.epsilons);
  });

  it('Table 1 has six methods × seeds on the test set with the chosen ε, and needs a choice', () => {
    expect(() => planStudy('table1', DEFAULT_SETTINGS)).toThrow(/needs ε and γ: run the sweep/);
    const runs = planStudy('table1', DEFAULT_SETTINGS, choice);
    expect(runs).toHaveLength(6 * DEFAULT_SETTINGS.seeds.length);
    // Seed by seed over the methods: a partial run already pairs them.
    expect(runs.slice(0, 7).map((r) => r.id)).toEqual(['none-seed0', 'l2-seed0', 'esp-seed0', 'augmix-seed0', 'augmix+l2-seed0', 'augmix+esp-seed0', 'none-seed1']);
    const esp = runs.find((r) => r.id === 'augmix+esp-seed1')!;
    expect(esp.spec).toMatchObject({ preset: 'mnist-stable', seed: 1, epochs: 5, augmentation: { method: 'augmix+esp', esp: { epsilon: 1.5, gamma: 10 } } });
    expect(runs.find((r) => r.id === 'l2-seed0')!.spec.augmentation).toEqual({ method: 'l2', l2: { epsilon: 2 } });
    expect(runs.find((r) => r.id === 'none-seed2')!.spec.augmentation).toEqual({ method: 'none' });
    expect(runs.every((r) => r.evaluatedOn === 'test' && r.spec.data?.validation === undefined)).toBe(true);
    for (const run of runs) expect(() => resolveRunSpec(run.spec), run.id).not.toThrow();
  });

  it('ablates ESP\'s smoothing two ways: hard labels, and static smoothing of the same mean label mass', () => {
    const ablation = planStudy('ablation', DEFAULT_SETTINGS, choice);
    expect(ablation.map((r) => r.id).slice(0, 4)).toEqual(['esp-hard-seed0', 'esp-static-seed0', 'esp-hard-seed1', 'esp-static-seed1']);
    expect(ablation).toHaveLength(2 * DEFAULT_SETTINGS.seeds.length);
    // The same sizes as Table 1's ESP runs; only the labels differ.
    const espSeed0 = planStudy('table1', DEFAULT_SETTINGS, choice).find((r) => r.id === 'esp-seed0')!.spec;
    expect(ablation[0]!.spec).toEqual({ ...espSeed0, augmentation: { ...espSeed0.augmentation, method: 'esp-hard' } });
    const { labelSmoothing, ...rest } = ablation[1]!.spec.augmentation!;
    expect(rest).toEqual({ ...espSeed0.augmentation, method: 'esp-hard' });
    // ε = 1.5, γ = 10, C = 10: by the closed form (test/augment/espSettings.test.ts) ESP's mean
    // true-label mass is 0.8766…; static smoothing 1 − α + α/10 of that mass needs α = 0.1371….
    expect(labelSmoothing).toBeCloseTo((1 - meanTrueLabelMass(resolveEspSettings({ epsilon: 1.5, gamma: 10 }, 10))) / 0.9, 12);
    expect(labelSmoothing).toBeGreaterThan(0.05);
    expect(labelSmoothing).toBeLessThan(0.3);
    for (const run of ablation) expect(() => resolveRunSpec(run.spec), run.id).not.toThrow();
  });

  it('every seed of Naive, ESP and AugMix also measures flatness, with 50 directions a radius by default', () => {
    const runs = planStudy('table1', DEFAULT_SETTINGS, choice);
    expect(runs.filter((r) => r.flatness).map((r) => r.id)).toEqual([0, 1, 2, 3, 4].flatMap((seed) => ['none', 'esp', 'augmix'].map((m) => `${m}-seed${seed}`)));
    expect(runs.find((r) => r.id === 'esp-seed0')!.flatness!.join(' ')).toBe('--dataset fashion-mnist --radii 2,4,8,16,32 --directions 50 --samples 2000');
    expect(planStudy('ablation', DEFAULT_SETTINGS, choice).some((r) => r.flatness)).toBe(false);
  });

  it('selects the listed methods seed by seed, in the order given within a seed, and names an unknown one', () => {
    const runs = planStudy('table1', { ...DEFAULT_SETTINGS, seeds: [0, 1, 2] }, choice);
    expect(selectRuns(runs, ['esp', 'none']).map((r) => r.id)).toEqual(['esp-seed0', 'none-seed0', 'esp-seed1', 'none-seed1', 'esp-seed2', 'none-seed2']);
    expect(() => selectRuns(runs, ['esp', 'esp-hard'])).toThrow(/no planned run has method "esp-hard"; planned: none, l2, esp, augmix/);
  });

  it('writes plans a queue accepts as they are: every study\'s runs pass espgpu study submit\'s checks', () => {
    for (const study of ['sweep', 'table1', 'ablation', 'power', 'digits', 'digits-sweep', 'digits-tuned'] as const) {
      const runs = planStudy(study, DEFAULT_SETTINGS, choice);
      const jobs = checkPlan({ settings: DEFAULT_SETTINGS, runs }, `${study}/plan.json`, { suite: 'mnist-c' });
      expect(jobs.map((j) => j.run.id)).toEqual(runs.map((r) => r.id));
    }
  });

  it('chooses, per method, the sweep point with the lowest validation corruption error', () => {
    const runs = planStudy('sweep', DEFAULT_SETTINGS);
    const error = (r: (typeof runs)[number]) => (r.method === 'esp' ? Math.abs(r.epsilon! - 2) + (r.gamma === 20 ? 0.1 : 0) : r.method === 'l2' ? Math.abs(r.epsilon! - 3) : 50);
    expect(chooseFromSweep(runs.map((run) => ({ run, meanCorruptionError: error(run) })))).toEqual({ esp: { epsilon: 2, gamma: 10 }, l2: { epsilon: 3 } });
    expect(() => chooseFromSweep(runs.filter((r) => r.method !== 'l2').map((run) => ({ run, meanCorruptionError: 1 })))).toThrow(/no finished l2 runs/);
  });

  it('plans the recipe-power study: plain training, six schedules × five seeds on the validation split, cheapest schedules first', () => {
    const runs = planStudy('power', DEFAULT_SETTINGS);
    expect(runs).toHaveLength(30);
    expect(runs.slice(0, 10).map((r) => r.id)).toEqual([0, 1, 2, 3, 4].map((s) => `none-lr0.05-ep2-seed${s}`).concat([0, 1, 2, 3, 4].map((s) => `none-lr0.1-ep2-seed${s}`)));
    expect(runs.at(-1)!.id).toBe('none-lr0.1-ep10-seed4');
    for (const run of runs) {
      const resolved = resolveRunSpec(run.spec);
      expect(resolved.method).toBe('none');
      expect(resolved.recipe.schedule).toEqual({ kind: 'cosine', lrMin: 0, warmupEpochs: 0.3 });
      expect(resolved.data.validation).toBe(DEFAULT_SETTINGS.validation);
      expect(run.evaluatedOn).toBe('validation');
    }
    expect(resolveRunSpec(runs.at(-1)!.spec).recipe).toMatchObject({ epochs: 10, sgd: { lr: 0.1, momentum: 0.9 } });
  });

  it('plans the sweep, Table 1, the ablation and the digits under the chosen preset, which is the power study\'s recipe', () => {
    // mnist-stable is exactly what the power study measured as lr0.05-ep5.
    const power = planStudy('power', DEFAULT_SETTINGS).find((r) => r.id === 'none-lr0.05-ep5-seed0')!;
    expect({ ...resolveRunSpec(power.spec).recipe, augmentation: {} }).toEqual(preset('mnist-stable'));
    for (const study of ['sweep', 'table1', 'ablation', 'digits'] as const) {
      for (const run of planStudy(study, DEFAULT_SETTINGS, choice)) {
        const { recipe } = resolveRunSpec(run.spec);
        expect({ ...recipe, augmentation: {} }, run.id).toEqual(preset('mnist-stable'));
      }
    }
    // The first study's recipe: the paper's mnist preset at 2 epochs.
    const paper = planStudy('table1', { ...DEFAULT_SETTINGS, preset: 'mnist', epochs: 2 }, choice);
    expect(resolveRunSpec(paper[0]!.spec).recipe).toMatchObject({ epochs: 2, sgd: { lr: 0.1 }, schedule: { kind: 'cosine', lrMin: 0 } });
  });

  it('plans the digits study: Naive, L2, ESP seed by seed on mnist-digits, scored on the test digits\' MNIST-C', () => {
    expect(() => planStudy('digits', DEFAULT_SETTINGS)).toThrow(/digits study needs ε and γ/);
    const seeds = [0, 1, 2, 3, 4];
    const runs = planStudy('digits', { ...DEFAULT_SETTINGS, seeds, trainLimit: 500 }, choice);
    expect(runs).toHaveLength(3 * 5);
    // A partial run already pairs the methods: every seed's three runs before the next seed.
    expect(runs.slice(0, 6).map((r) => r.id)).toEqual(['digits-none-seed0', 'digits-l2-seed0', 'digits-esp-seed0', 'digits-none-seed1', 'digits-l2-seed1', 'digits-esp-seed1']);
    expect(runs.map((r) => r.seed)).toEqual(seeds.flatMap((s) => [s, s, s]));
    const table1Ids = new Set(planStudy('table1', { ...DEFAULT_SETTINGS, seeds }, choice).map((r) => r.id));
    expect(runs.some((r) => table1Ids.has(r.id))).toBe(false);
    for (const run of runs) {
      const resolved = resolveRunSpec(run.spec, run.id);
      expect(resolved.data.dataset).toBe('mnist-digits');
      // All 8,000 training digits, the test split: no trainLimit (Table 1's), no validation.
      expect(resolved.data.trainLimit).toBeUndefined();
      expect(resolved.data.validation).toBeUndefined();
      expect(resolved.recipe.epochs).toBe(DEFAULT_SETTINGS.epochs);
      expect(run).toMatchObject({ study: 'digits', evaluatedOn: 'test', suite: { dataset: 'mnist-digits', split: 'test' } });
      expect(run.flatness).toBeUndefined();
    }
    // The Fashion-MNIST choice of ε and γ, as Table 1's.
    expect(runs[2]!.spec.augmentation).toEqual({ method: 'esp', esp: { epsilon: 1.5, gamma: 10 } });
    expect(runs[1]!.spec.augmentation).toEqual({ method: 'l2', l2: { epsilon: 2 } });
    expect(runs[0]!.spec.augmentation).toEqual({ method: 'none' });
  });

  it('plans the digits sweep: the sweep\'s grid on 6,000 training digits, scored on the other 2,000 and their MNIST-C', () => {
    const sweep = planStudy('sweep', DEFAULT_SETTINGS);
    const runs = planStudy('digits-sweep', DEFAULT_SETTINGS);
    expect(runs.map((r) => r.id)).toEqual(sweep.map((r) => r.id));
    expect(runs.map((r) => r.spec.augmentation)).toEqual(sweep.map((r) => r.spec.augmentation));
    for (const run of runs) {
      expect(run).toMatchObject({ study: 'digits-sweep', seed: 0, evaluatedOn: 'validation', suite: { dataset: 'mnist-digits', split: 'validation', validation: 2000 } });
      // All the training digits but the held-out 2,000: no trainLimit (the Fashion sweep's 20,000).
      expect(run.spec.data).toEqual({ dataset: 'mnist-digits', validation: 2000 });
      expect(resolveRunSpec(run.spec).recipe.epochs).toBe(preset('mnist-stable').epochs);
    }
    const paths = { cli: 'cli.js', results: 'results', work: 'work' };
    expect(suiteDir(paths, suiteOf(runs[0]!))).toBe(join('work', 'suites', 'mnist-digits-validation-2000'));
    const other = planStudy('digits-sweep', { ...DEFAULT_SETTINGS, digitsValidation: 1000 });
    expect(suitesOf([...runs, ...other, ...planStudy('digits', DEFAULT_SETTINGS, choice)])).toEqual([
      { dataset: 'mnist-digits', split: 'validation', validation: 2000 }, { dataset: 'mnist-digits', split: 'validation', validation: 1000 }, { dataset: 'mnist-digits', split: 'test' },
    ]);
  });

  it('plans digits-tuned: L2 and ESP seed by seed at the digits sweep\'s choice, the digits study\'s recipe otherwise', () => {
    expect(() => planStudy('digits-tuned', DEFAULT_SETTINGS)).toThrow(/run the digits-sweep and its report first/);
    const tunedChoice: Choice = { esp: { epsilon: 0.5, gamma: 10 }, l2: { epsilon: 1 } };
    const runs = planStudy('digits-tuned', DEFAULT_SETTINGS, tunedChoice);
    expect(runs.map((r) => r.id).slice(0, 4)).toEqual(['digits-tuned-l2-seed0', 'digits-tuned-esp-seed0', 'digits-tuned-l2-seed1', 'digits-tuned-esp-seed1']);
    expect(runs).toHaveLength(10);
    // Under the same choice, exactly the digits study's L2 and ESP runs: only ε and γ differ between them.
    const digits = planStudy('digits', DEFAULT_SETTINGS, tunedChoice);
    for (const run of runs) {
      const twin = digits.find((d) => d.method === run.method && d.seed === run.seed)!;
      expect(run.spec).toEqual(twin.spec);
      expect(run.suite).toEqual(twin.suite);
    }
    expect(runs[1]!.spec.augmentation).toEqual({ method: 'esp', esp: { epsilon: 0.5, gamma: 10 } });
  });

  it('scores the digits on their own suite and keeps the Fashion-MNIST-C suites\' folders', () => {
    const paths = { cli: 'cli.js', results: 'results', work: 'work' };
    const digits = planStudy('digits', DEFAULT_SETTINGS, choice);
    const table1 = planStudy('table1', DEFAULT_SETTINGS, choice);
    const sweep = planStudy('sweep', DEFAULT_SETTINGS);
    expect(suiteDir(paths, suiteOf(digits[0]!))).toBe(join('work', 'suites', 'mnist-digits-test'));
    expect(suiteDir(paths, suiteOf(table1[0]!))).toBe(join('work', 'suites', 'test'));
    expect(suiteDir(paths, suiteOf(sweep[0]!))).toBe(join('work', 'suites', 'validation'));
    expect(suiteDir(paths, 'test')).toBe(join('work', 'suites', 'test'));
    expect(suitesOf([...table1, ...digits, ...sweep])).toEqual([
      { dataset: 'fashion-mnist', split: 'test' }, { dataset: 'mnist-digits', split: 'test' }, { dataset: 'fashion-mnist', split: 'validation' },
    ]);
  });

  it('tabulates the seed std of each schedule against the 1-point target', () => {
    const scored = (id: string, corruption: number): Scored => ({
      run: { study: 'power', id, method: 'none', seed: 0, evaluatedOn: 'validation', spec: {} }, clean: 12, meanCorruptionError: corruption, perCorruption: {}, wallSeconds: 360,
    });
    const table = powerTable([scored('a-seed0', 40), scored('a-seed1', 41), scored('a-seed2', 42), scored('b-seed0', 40), scored('b-seed1', 40.5), scored('c-seed0', 30)], (run) => run.id.split('-')[0]!);
    const rows = table.split('\n');
    expect(rows[2]).toBe('| a | 3 | 12.00 ± 0.00 | 41.00 ± 1.00 | **yes** | 0.30 |');
    expect(rows[3]).toMatch(/^\| b \| 2 \| .* \| 40.25 ± 0.35 \| \*\*yes\*\* \|/);
    expect(rows[4]).toMatch(/^\| c \| 1 \| .* \| not yet \(1 of 2 seeds\) \|/);
    // With five seeds planned, three are not enough to choose by.
    expect(powerTable([scored('a-seed0', 40), scored('a-seed1', 41), scored('a-seed2', 42)], () => 'a', 1, 5).split('\n')[2]).toMatch(/\| not yet \(3 of 5 seeds\) \|/);
    expect(powerTable([scored('a-seed0', 40), scored('a-seed1', 43)], () => 'a').split('\n')[2]).toMatch(/\| no \|/);
  });

  it('reports the sample standard deviation', () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1, n: 3 });
    expect(meanStd([4]).std).toBeNaN();
  });
});

describe('paired differences', () => {
  const runs = planStudy('table1', DEFAULT_SETTINGS, choice);
  const scored = (method: string, seed: number, clean: number, meanCorruptionError: number, fog = 0): Scored => ({
    run: runs.find((r) => r.id === `${method}-seed${seed}`)!, clean, meanCorruptionError, perCorruption: { fog, rotate: meanCorruptionError }, wallSeconds: 1,
  });

  it('differences each seed against the same seed, so a shared seed effect cancels', () => {
    // Seeds shift both methods by 0, +4, +8 points; ESP is 1, 2, 3 points below Naive.
    const all = [scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('none', 2, 14, 48), scored('esp', 0, 11, 39), scored('esp', 1, 13, 42), scored('esp', 2, 15, 45)];
    const pairing = pairRuns(all, 'esp', 'none')!;
    expect(pairing.seeds).toEqual([0, 1, 2]);
    const corruption = pairedInterval(pairing, (s) => s.meanCorruptionError);
    expect(corruption.mean).toBeCloseTo(-2, 12);
    expect(corruption.std).toBeCloseTo(1, 12);
    expect(corruption.halfWidth).toBeCloseTo(4.302653 / Math.sqrt(3), 6);
    expect(pairedInterval(pairing, (s) => s.clean)).toEqual({ mean: 1, std: 0, halfWidth: 0 });
    // Unpaired, the seed spread (std 4 points) would swamp the 2-point gap.
    expect(meanStd([40, 44, 48]).std).toBe(4);
    const table = pairedTable(all, [['esp', 'none'], ['l2', 'none']]).split('\n');
    expect(table).toHaveLength(3); // no L2 runs: no row
    // t = −2 / (1/√3) = −3.46 with 2 degrees of freedom: p = 0.074; a constant +1 gives p = 0.
    expect(table[2]).toBe('| Naive + ESP − Naive | 0, 1, 2 | +1.00 ± 0.00 | +1.00 … +1.00 | < 0.001 | −2.00 ± 1.00 | −4.48 … +0.48 | 0.074 |');
    // What the corruptions add: −2, −3, −4 (the clean error rose by 1 each seed), t = −3√3 at 2 df.
    const relative = pairedTable(all, [['esp', 'none']], [RELATIVE_CORRUPTION_ERROR]).split('\n');
    expect(relative[0]).toBe('| difference | seeds | corruption − clean error (points) | 95% interval | p |');
    expect(relative[1]).toBe('|---|---|---:|---:|---:|');
    expect(relative[2]).toBe(`| Naive + ESP − Naive | 0, 1, 2 | −3.00 ± 1.00 | −5.48 … −0.52 | ${twoSidedP(3 * Math.sqrt(3), 2).toPrecision(2)} |`);
  });

  it('judges each claim of the paper by its Holm-adjusted paired test: reproduced, reversed, not resolved, or none yet', () => {
    // ESP − Naive: −1, −2, −3 (mean −2, std 1, t₀.₀₂₅ at 2 df 4.303: −4.48 … +0.48): not resolved.
    // L2 − Naive: −3, −3.2, −2.8 (std 0.2: −3.50 … −2.50; t = −26.0, p = 1 − 26.0/√(26.0² + 2) at 2 df): reproduced.
    const all = [
      scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('none', 2, 14, 48),
      scored('esp', 0, 11, 39), scored('esp', 1, 13, 42), scored('esp', 2, 15, 45),
      scored('l2', 0, 11, 37), scored('l2', 1, 13, 40.8), scored('l2', 2, 15, 45.2),
    ];
    const rows = claimsTable(all, ORDERING_CLAIMS).split('\n');
    expect(rows[0]).toMatch(/^\| the paper's claim \(corruption error\) \| paired seeds \| difference .* \| 95% interval \| the paper's MNIST-C difference \| seeds for 80% power at it \| p \|/);
    // Holm over the three p-values (0.0015, 0.074, 0.26): 3 × 0.0015 = 0.0044 for L2's.
    expect(rows[2]).toMatch(/^\| Naive \+ L2 < Naive \| 3 \| −3\.00 \| −3\.50 … −2\.50 \| −0\.94 \(\*\*outside\*\*\) \| 3 \| 0\.0015 \| 0\.0044 \| \*\*reproduced\*\* \|$/);
    expect(rows[3]).toMatch(/^\| Naive \+ ESP < Naive \| 3 \| −2\.00 \| −4\.48 … \+0\.48 \| −1\.56 \(inside\) \| 6 \| .* \| not resolved \|$/);
    expect(rows[4]).toMatch(/^\| Naive \+ ESP < Naive \+ L2 \| 3 \| /);
    // The paper's ESP − L2 is 6.45 − 7.07 = −0.62; a claim between methods it has no number for shows none.
    expect(rows[4]).toMatch(/ \| −0\.62 \(inside\) \| /);
    expect(claimsTable(all, [{ method: 'l2', baseline: 'esp', paper: 'higher' }])).toMatch(/ \| \+0\.62 \(inside\) \| /);
    const ablated = all.map((s) => (s.run.method === 'l2' ? { ...s, run: { ...s.run, method: 'esp-hard' } } : s));
    expect(claimsTable(ablated, [{ method: 'esp-hard', baseline: 'esp', paper: 'no difference' }])).toMatch(/ \| – \| – \| /);
    // The same numbers against a claim of the opposite sign, and of no difference.
    expect(claimsTable(all, [{ method: 'l2', baseline: 'none', paper: 'higher' }])).toMatch(/\*\*reversed\*\* \|$/);
    expect(claimsTable(all, [{ method: 'l2', baseline: 'none', paper: 'no difference' }])).toMatch(/\*\*not reproduced\*\* \(Naive \+ L2 resolved lower\) \|$/);
    expect(claimsTable(all, [{ method: 'esp', baseline: 'none', paper: 'no difference' }])).toMatch(/consistent \(no difference resolved\) \|$/);
    expect(holmAdjusted([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06].map((p) => expect.closeTo(p, 12)));
    expect(holmAdjusted([0.5, 0.6])).toEqual([1, 1]);
    // A test that could not run (NaN) is not one of the m tests.
    expect(holmAdjusted([0.01, Number.NaN, 0.03])).toEqual([0.02, Number.NaN, 0.03].map((p) => (Number.isNaN(p) ? Number.NaN : expect.closeTo(p, 12))));
    // Before every planned seed has trained there is no verdict.
    expect(claimsTable(all, ORDERING_CLAIMS, 5).split('\n')[2]).toMatch(/\| none yet \(3 of 5 seeds\) \|$/);
    // Resolved means Holm-adjusted p < 0.05: differences −1, −1.5, −2 (p = 0.035) tested twice are not.
    const near = [scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('none', 2, 14, 48), scored('l2', 0, 11, 39), scored('l2', 1, 13, 42.5), scored('l2', 2, 15, 46)];
    expect(pairedTTestP([-1, -1.5, -2])).toBeCloseTo(0.035, 3);
    const twice = claimsTable(near, [{ method: 'l2', baseline: 'none', paper: 'lower' }, { method: 'none', baseline: 'l2', paper: 'lower' }]).split('\n');
    expect(twice.slice(2).map((row) => row.split(' | ').slice(-3).join(' | '))).toEqual(['0.035 | 0.070 | not resolved |', '0.035 | 0.070 | not resolved |']);
    expect(claimsTable(near, [{ method: 'l2', baseline: 'none', paper: 'lower' }])).toMatch(/\| 0\.035 \| 0\.035 \| \*\*reproduced\*\* \|$/);
    // A claim without two paired seeds has no row.
    expect(claimsTable(all.slice(0, 4), ORDERING_CLAIMS)).toBe('');
  });

  it('reproduces a claim of no difference only when the equivalence test puts it inside the margin', () => {
    const none = [scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('none', 2, 14, 48)];
    // The L2 runs renamed: Table 1's plan has no ablation arm.
    const hard = (corruption: number[]) => corruption.map((c, seed) => { const s = scored('l2', seed, 11, c); return { ...s, run: { ...s.run, method: 'esp-hard' } }; });
    // Differences +0.1, −0.1, 0 (mean 0, std 0.1): the 90% interval ±0.17 lies inside ±1.
    const level = [...none, ...hard([40.1, 43.9, 48])];
    const claim = { method: 'esp-hard', baseline: 'none', paper: 'no difference' as const, margin: 1 };
    const p = equivalenceP([0.1, -0.1, 0], 1);
    expect(claimsTable(level, [claim])).toMatch(/ \| ≈ 0 \(margin ±1\.00\) \| – \| /);
    expect(claimsTable(level, [claim])).toMatch(new RegExp(`\\*\\*reproduced\\*\\* \\(equivalence within ±1\\.00: p ${formatP(p).replace('.', '\\.')}\\) \\|$`));
    // Differences −1, −2, −3: no difference resolved (Holm p 0.074), but nothing shows it below 1 either.
    const noisy = [...none, ...hard([39, 42, 45])];
    expect(claimsTable(noisy, [claim])).toMatch(/ \| not resolved \(equivalence within ±1\.00: p 0\.[0-9]+\) \|$/);
    // A resolved difference is not reproduced, margin or not.
    const apart = [...none, ...hard([37, 40.8, 45.2])];
    expect(claimsTable(apart, [claim])).toMatch(/\*\*not reproduced\*\* \(Naive \+ ESP, no smoothing resolved lower\) \|$/);
  });

  it('tables each comparison\'s equivalence test with its 90% interval, Holm-adjusted over the table', () => {
    const none = [scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('none', 2, 14, 48)];
    const as = (method: string, corruption: number[]) => corruption.map((c, seed) => { const s = scored('l2', seed, 11, c); return { ...s, run: { ...s.run, method } }; });
    // esp-hard − Naive: +0.1, −0.1, 0; esp-static − Naive: −1, −2, −3.
    const all = [...none, ...as('esp-hard', [40.1, 43.9, 48]), ...as('esp-static', [39, 42, 45])];
    const rows = equivalenceTable(all, [['esp-hard', 'none'], ['esp-static', 'none']], 1).split('\n');
    expect(rows[0]).toBe('| difference | seeds | mean corruption error (points) | 90% interval | p (within ±1.00) | p, Holm over the table | equivalent? |');
    // Half-width t₀.₉₅(2) · 0.1 / √3 = 2.920 · 0.0577 = 0.17; Holm doubles the smaller p.
    const hard = equivalenceP([0.1, -0.1, 0], 1);
    expect(rows[2]).toBe(`| Naive + ESP, no smoothing − Naive | 0, 1, 2 | +0.00 | −0.17 … +0.17 | ${formatP(hard)} | ${formatP(2 * hard)} | **yes** |`);
    expect(rows[3]).toMatch(/^\| Naive \+ ESP, static smoothing − Naive \| 0, 1, 2 \| −2\.00 \| −3\.69 … −0\.31 \| .* \| not shown \|$/);
    expect(equivalenceTable(none, [['esp-hard', 'none']], 1)).toBe('');
  });

  it('tests equivalence by two one-sided tests, as SciPy computes them and as the 90% interval says', () => {
    // scipy.stats.t.sf: max(sf((mean + m)/se, n − 1), sf((m − mean)/se, n − 1)).
    expect(equivalenceP([-2.58, -1.5, 0.3, -0.9, 0.4], 1.56)).toBeCloseTo(0.13905119704968116, 8);
    expect(equivalenceP([0.2, -0.3, 0.1, 0.4, -0.1], 1)).toBeCloseTo(0.0007360855388867593, 8);
    expect(upperTailP(0, 3)).toBe(0.5);
    expect(upperTailP(-2, 4) + upperTailP(2, 4)).toBeCloseTo(1, 12);
    // The duality: p < 0.05 exactly when the 90% interval lies inside ±margin.
    const random = new TestRandom(11);
    for (let trial = 0; trial < 200; trial++) {
      const differences = Array.from({ length: 2 + (trial % 6) }, () => random.normal() * 1.5 + 0.5);
      const margin = random.uniform(0.2, 3.2);
      const n = differences.length;
      const { mean, std } = meanStd(differences);
      const halfWidth = (tCritical(n - 1, 0.1) * std) / Math.sqrt(n);
      const inside = mean - halfWidth > -margin && mean + halfWidth < margin;
      expect(equivalenceP(differences, margin) < 0.05, `trial ${trial}`).toBe(inside);
    }
    expect(equivalenceP([0.5, 0.5], 1)).toBe(0);
    expect(equivalenceP([1.5, 1.5], 1)).toBe(1);
    expect(equivalenceP([1], 1)).toBeNaN();
    expect(() => equivalenceP([1, 2], 0)).toThrow(/margin must be > 0, got 0/);
  });

  it('per corruption, marks in bold the differences whose interval excludes 0', () => {
    const all = [scored('none', 0, 10, 40, 5), scored('none', 1, 12, 44, 5), scored('esp', 0, 11, 39, 3), scored('esp', 1, 13, 42, 3.2)];
    const table = pairedCorruptionTable(all, [['esp', 'none']]).split('\n');
    expect(table[0]).toBe('| corruption | Naive + ESP − Naive |');
    // fog: −2.0 and −1.8, half-width 12.706 · 0.1414 / √2 = 1.27: resolved; t = −19.0 at 1 df,
    // p = 1 − 2·atan(19)/π = 0.033. rotate: −1 and −2, half-width 6.35: not; t = −3, p = 1 − 2·atan(3)/π = 0.20.
    // Holm over the column's two corruptions: 2 × 0.0335 = 0.067 for fog, then max(0.067, 0.20) for rotate.
    expect(table[2]).toBe('| fog | **−1.90 ± 1.27** (p 0.033; Holm 0.067) |');
    expect(table[3]).toBe('| rotate | −1.50 ± 6.35 (p 0.20; Holm 0.20) |');
  });

  it('pairs the flatness of the seeds both methods measured, radius by radius, and draws each method\'s mean over seeds', () => {
    const measured = (s: Scored, rises: [number, number]): Scored => ({
      ...s, flatness: { baseLoss: 0.2, directions: 50, samples: 2000, radii: [{ radius: 2, mean: rises[0], standardError: 0 }, { radius: 32, mean: rises[1], standardError: 0 }] },
    });
    // ESP − Naive: −0.0003 and −0.0005 at r = 2; +0.03 and +0.05 at r = 32. Seed 2 of ESP has no flatness: not paired.
    const all = [
      measured(scored('none', 0, 10, 40), [0.001, 0.28]), measured(scored('none', 1, 12, 44), [0.0012, 0.3]), measured(scored('none', 2, 12, 44), [0.001, 0.3]),
      measured(scored('esp', 0, 11, 39), [0.0007, 0.31]), measured(scored('esp', 1, 13, 42), [0.0007, 0.35]), scored('esp', 2, 13, 42),
    ];
    const table = pairedFlatnessTable(all, [['esp', 'none']]).split('\n');
    expect(table[0]).toBe('| radius | Naive + ESP − Naive |');
    // Half-widths 12.706 · std / √2: 0.00127 at r = 2, 0.127 at r = 32; t = ±4 at 1 df both, p = 1 − 2·atan(4)/π = 0.16.
    // Holm over the two radii: 2 × 0.16 = 0.31 for both.
    expect(table[2]).toBe('| r = 2 | −0.0004 ± 0.0013 (p 0.16; Holm 0.31) |');
    expect(table[3]).toBe('| r = 32 | +0.0400 ± 0.1271 (p 0.16; Holm 0.31) |');
    expect(table).toHaveLength(4);
    expect(pairedFlatnessTable(all.slice(0, 4), [['esp', 'none']])).toBe('');
    const chart = flatnessChart(all);
    expect(chart).toContain('Naive (mean of 3 seeds)');
    expect(chart).toContain('Naive + ESP (mean of 2 seeds)');
    expect(chart.match(/<polyline/g)).toHaveLength(2);
  });

  it('leaves a run that did not train out of the means and the pairs, and lists it', () => {
    // Seed 2 of ESP died (clean error at chance): it must not drag the means or the pairs.
    const all = [scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('none', 2, 14, 48), scored('esp', 0, 11, 39), scored('esp', 1, 13, 42), scored('esp', 2, 90, 90)];
    expect(didNotTrain(all[5]!)).toBe(true);
    expect(didNotTrain(scored('esp', 2, DID_NOT_TRAIN_ERROR - 0.01, 90))).toBe(false);
    const rows = methodTable(all).split('\n');
    expect(rows[0]).toBe('| method | seeds | clean error (%) | mean corruption error (%) | did not train (seeds) |');
    expect(rows[2]).toBe('| Naive | 0, 1, 2 | 12.00 ± 2.00 | 44.00 ± 4.00 | – |');
    expect(rows[3]).toBe('| Naive + ESP | 0, 1 | 12.00 ± 1.41 | 40.50 ± 2.12 | 2 |');
    expect(pairRuns(all, 'esp', 'none')!.seeds).toEqual([0, 1]);
    expect(perCorruptionTable(all).split('\n')[3]).toBe('| rotate | 44.00 | 40.50 |');
    expect(methodTable([scored('esp', 2, 90, 90)]).split('\n')[2]).toBe('| Naive + ESP | – | – | – | 2 |');
  });

  it('pairs only the seeds both methods finished, and needs two', () => {
    const all = [scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('esp', 1, 13, 42), scored('esp', 2, 15, 45)];
    expect(pairRuns(all, 'esp', 'none')).toBeUndefined();
    expect(pairedTable(all, [['esp', 'none']])).toBe('');
    expect(pairedCorruptionTable(all, [['esp', 'none']])).toBe('');
    expect(pairRuns([...all, scored('esp', 0, 9, 41)], 'esp', 'none')!.seeds).toEqual([0, 1]);
  });


  describe('the claims figure', () => {
    it('puts ticks at a round step', () => {
      expect(roundTicks(-18.8, 19.6)).toEqual([-15, -10, -5, 0, 5, 10, 15]);
      expect(roundTicks(0.13, 0.91)).toEqual([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
      expect(roundTicks(0, 1000)).toEqual([0, 200, 400, 600, 800, 1000]);
      expect(roundTicks(-1, 1)).toEqual([-1, -0.5, 0, 0.5, 1]);
    });

    it('draws each claim with two paired seeds as a row: its seeds, mean, interval, and the paper\'s difference', () => {
      const study = [
        scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('none', 2, 14, 48),
        scored('esp', 0, 11, 39), scored('esp', 1, 13, 42), scored('esp', 2, 15, 45),
      ];
      const svg = claimsChart([{ name: 'Study A', scored: study, claims: ORDERING_CLAIMS }, { name: 'Study B', scored: study.slice(0, 4), claims: ORDERING_CLAIMS }]);
      // Study B pairs one seed only: no row, and no heading.
      expect(svg).toContain('>Study A</text>');
      expect(svg).not.toContain('Study B');
      expect(svg).toContain('>Naive + ESP − Naive (3 seeds)</text>');
      expect(svg.match(/<circle /g)).toHaveLength(3);
      expect(svg.match(/<path /g)).toHaveLength(1); // the paper's −1.56
      expect(svg.match(/<rect /g)).toHaveLength(2); // the background and the one mean
      expect(svg).not.toContain('equivalence margin');
      const rows: IntervalRow[] = [{ label: 'x', values: [1, 2], mean: 1.5, lo: 0.5, hi: 2.5 }];
      expect(intervalChartSvg(rows, 't', 'x').match(/<path /g)).toBeNull();
      expect(() => intervalChartSvg([], 'empty', 'x')).toThrow(/"empty" has no rows/);
    });

    it('draws a claim of no difference at 0, with its equivalence margin as a band the axis takes in', () => {
      const study = [scored('none', 0, 10, 40), scored('none', 1, 12, 44), scored('esp', 0, 11, 40.2), scored('esp', 1, 13, 44.1)];
      const svg = claimsChart([{ name: 'Ablation', scored: study, claims: [{ method: 'esp', baseline: 'none', paper: 'no difference', margin: 3 }] }]);
      expect(svg).toContain('grey band: equivalence margin');
      // Background, band, mean; the diamond at 0 sits on the axis, at the band's centre.
      const rects = [...svg.matchAll(/<rect x="([0-9.]+)" y="[0-9.-]+" width="([0-9.]+)" height="24"/g)];
      expect(rects).toHaveLength(1);
      const [bandLeft, bandWidth] = [Number(rects[0]![1]), Number(rects[0]![2])];
      const diamond = Number(/<path d="M ([0-9.]+) /.exec(svg)![1]);
      expect(diamond).toBeCloseTo(bandLeft + bandWidth / 2, 0);
      // Differences +0.2 and +0.1 alone would give an axis of about ±0.3; the margin widens it to ±3.
      expect(svg).toMatch(/>−3<\/text>|>−2<\/text>/);
    });
  });
});

describe('the sweep figure', () => {
  it('draws the sweep figure with one line per method and the Naive level', () => {
    const runs = planStudy('sweep', { ...DEFAULT_SETTINGS, epsilons: [1, 2] });
    const svg = sweepChart(runs.map((run, i) => ({ run, clean: 10, meanCorruptionError: 20 + i, perCorruption: {}, wallSeconds: 1 })));
    expect(svg.match(/<polyline/g)).toHaveLength(4); // ESP γ=10, ESP γ=20, L2, Naive
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('ε sweep: Fashion-MNIST-C corruption error');
    expect(sweepChart(runs.map((run) => ({ run, clean: 10, meanCorruptionError: 20, perCorruption: {}, wallSeconds: 1 })), 'MNIST-C (digits)')).toContain('ε sweep: MNIST-C (digits) corruption error');
  });
});

describe('the paired t-test', () => {
  it('gives the two-sided p-values of Student\'s t tables', () => {
    // (t, df, p): the t tables' 5% and 1% points, one sided row of df = 4, and the normal limit.
    const cases: [number, number, number][] = [[12.706205, 1, 0.05], [2.776445, 4, 0.05], [4.604095, 4, 0.01], [2.0, 4, 0.116117], [1.959964, 1e7, 0.05], [0, 5, 1]];
    for (const [t, df, p] of cases) expect(twoSidedP(t, df), `t ${t}, df ${df}`).toBeCloseTo(p, 5);
    expect(twoSidedP(-2.776445, 4)).toBeCloseTo(0.05, 6);
  });

  it('tests per-seed differences against 0', () => {
    expect(pairedTTestP([-1, -2, -3])).toBeCloseTo(twoSidedP(2 * Math.sqrt(3), 2), 12);
    expect(pairedTTestP([1, 1, 1])).toBe(0);
    expect(pairedTTestP([0, 0])).toBe(1);
    expect(pairedTTestP([1])).toBeNaN();
    expect(incompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 12);
  });

  it('inverts the t distribution and the normal CDF as the tables do', () => {
    expect(tCritical(1)).toBeCloseTo(12.706205, 5);
    expect(tCritical(4)).toBeCloseTo(2.776445, 5);
    expect(tCritical(4, 0.01)).toBeCloseTo(4.604095, 5);
    // Tabled two-sided 95% quantiles: t(2) = 4.3027, t(11) = 2.2010, t(30) = 2.0423, t(120) = 1.9799; the normal's past them.
    for (const [df, t] of [[2, 4.3027], [11, 2.201], [30, 2.0423], [120, 1.9799], [1e6, 1.96]]) expect(tCritical(df!), `df ${df}`).toBeCloseTo(t!, 4);
    expect(() => tCritical(0)).toThrow(/degrees of freedom must be > 0, got 0/);
    for (const x of [-6, -2.5, -1, -0.1, 0, 0.3, 1.959964, 4]) expect(normalCdf(x), `Φ(${x})`).toBeCloseTo(seriesNormalCdf(x), 6);
  });

  it('gives the paired t-test\'s power as R\'s power.t.test does, and as a simulation finds it', () => {
    // R 4: power.t.test(n = 10, delta = 1, sd = 1, type = "paired")$power = 0.8030962; its n for
    // power 0.8 at delta 1, 0.8 and 0.5 is 9.94, 14.30 and 33.37 pairs.
    expect(pairedTPower(10, 1, 1)).toBeCloseTo(0.8030962, 5);
    expect(pairedTPower(10, -1, 1)).toBeCloseTo(0.8030962, 5);
    expect([pairsForPower(1, 1), pairsForPower(0.8, 1), pairsForPower(0.5, 1)]).toEqual([10, 15, 34]);
    expect(pairsForPower(2, 4)).toBe(34); // only the ratio matters
    // No effect: the test's level. A tiny one: beyond the search.
    expect(pairedTPower(2, 0, 1)).toBeCloseTo(0.05, 6);
    expect(pairedTPower(5, 0, 3)).toBeCloseTo(0.05, 6);
    expect(pairsForPower(0.01, 1)).toBeUndefined();
    // 20,000 simulated five-seed studies with differences N(1.2, 1): the rejection rate lies
    // within 4 binomial standard errors of the computed power (0.530; 0.528 simulated).
    const random = new TestRandom(7);
    const trials = 20_000;
    let rejected = 0;
    for (let i = 0; i < trials; i++) {
      const differences = Array.from({ length: 5 }, () => 1.2 + random.normal());
      if (pairedTTestP(differences) < 0.05) rejected++;
    }
    const power = pairedTPower(5, 1.2, 1);
    expect(power).toBeGreaterThan(0.5);
    expect(power).toBeLessThan(0.7);
    expect(Math.abs(rejected / trials - power)).toBeLessThan(4 * Math.sqrt((power * (1 - power)) / trials));
  });
});

describe('the digits report', () => {
  const runs = planStudy('digits', { ...DEFAULT_SETTINGS, seeds: [0, 1, 2] }, choice);
  const scored = (method: string, seed: number, clean: number, meanCorruptionError: number): Scored => ({
    run: runs.find((r) => r.id === `digits-${method}-seed${seed}`)!, clean, meanCorruptionError, perCorruption: { fog: meanCorruptionError }, wallSeconds: 100,
  });

  it('has the method table, ours beside the paper\'s MNIST-C numbers, the caveats and the paired differences', () => {
    // ESP 1, 2, 3 points under Naive; L2 1 point under Naive every seed.
    const all = [0, 1, 2].flatMap((seed) => [scored('none', seed, 2, 10 + 2 * seed), scored('l2', seed, 2, 9 + 2 * seed), scored('esp', seed, 2, 9 + seed)]);
    const section = digitsSection(all, { pairedNote: 'NOTE', claimsNote: 'CLAIMS' });
    const lines = section.split('\n');
    expect(lines[0]).toBe('## MNIST-C on real digits (test split, 2,000 digits)');
    expect(section).toContain('| Naive | 0, 1, 2 | 2.00 ± 0.00 | 12.00 ± 2.00 | – |');
    expect(section).toContain('| Naive + ESP | 0, 1, 2 | 2.00 ± 0.00 | 10.00 ± 1.00 | – |');
    expect(section).toContain('| Naive | 12.00 ± 2.00 | 8.01 ± 0.10 |');
    expect(section).toContain('| Naive + L2 | 11.00 ± 2.00 | 7.07 ± 0.43 |');
    expect(section).toContain('| Naive + ESP | 10.00 ± 1.00 | 6.45 ± 0.02 |');
    expect(section).toMatch(/8,000 training digits \(the paper: MNIST's 60,000\) for 5 epoch\(s\)/);
    expect(section).toContain('ε and γ are the Fashion-MNIST sweep\'s choice (ESP ε = 1.5, γ = 10; L2 ε = 2)');
    const claims = lines.slice(lines.indexOf('### The paper\'s orderings (digits)'));
    expect(claims[2]).toBe('CLAIMS');
    expect(claims.slice(6, 9).map((l) => l.split(' | ').at(-1))).toEqual(['**reproduced** |', 'not resolved |', 'not resolved |']);
    const paired = lines.slice(lines.indexOf('### Paired differences (digits)'));
    expect(paired[2]).toBe('NOTE');
    expect(paired.filter((l) => l.startsWith('| Naive'))).toEqual([
      '| Naive + L2 − Naive | 0, 1, 2 | +0.00 ± 0.00 | +0.00 … +0.00 | 1.0 | −1.00 ± 0.00 | −1.00 … −1.00 | < 0.001 |',
      '| Naive + ESP − Naive | 0, 1, 2 | +0.00 ± 0.00 | +0.00 … +0.00 | 1.0 | −2.00 ± 1.00 | −4.48 … +0.48 | 0.074 |',
      '| Naive + ESP − Naive + L2 | 0, 1, 2 | +0.00 ± 0.00 | +0.00 … +0.00 | 1.0 | −1.00 ± 1.00 | −3.48 … +1.48 | 0.23 |',
    ]);
  });

  it('says when ε and γ were chosen on digits', () => {
    const all = [0, 1, 2].flatMap((seed) => [scored('none', seed, 2, 10 + 2 * seed), scored('l2', seed, 2, 9 + 2 * seed), scored('esp', seed, 2, 9 + seed)]);
    const section = digitsSection(all, { tunedOn: 2000, plannedSeeds: 3 });
    expect(section.split('\n')[0]).toBe('## MNIST-C on real digits (test split, 2,000 digits, ε and γ chosen on digits)');
    expect(section).toContain('ε and γ are the digits sweep\'s choice, on 2,000 held-out training digits (ESP ε = 1.5, γ = 10; L2 ε = 2). Compare');
    expect(section).not.toContain('not tuned on digits');
    expect(section).toContain('### The paper\'s orderings (digits, ε and γ chosen on digits)');
    expect(digitsSection(all, { tunedOn: 1000 })).toContain('the digits sweep\'s choice, on 1,000 held-out training digits (');
  });

  it('is empty without runs, and shows a partial run\'s first seed without paired differences', () => {
    expect(digitsSection([])).toBe('');
    const section = digitsSection([scored('none', 0, 2, 10), scored('l2', 0, 2, 9), scored('esp', 0, 2, 8)]);
    expect(section).toContain('| Naive + ESP | 8.00 (1 run) | 6.45 ± 0.02 |');
    expect(section).not.toContain('Paired differences');
    expect(section).not.toContain('orderings');
  });
});

describe('study runner: one recipe a results folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'espgpu-study-guard-'));
  const paths = { cli: '/nonexistent/cli.js', results: join(root, 'results'), work: join(root, 'work') };
  const [run] = planStudy('table1', DEFAULT_SETTINGS, choice);
  const writeJson = (file: string, value: unknown) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(value));
  };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('counts a result as finished only when it was trained from the planned spec, and names the file otherwise', () => {
    expect(isFinished(paths, run!)).toBe(false);
    // The same spec with its keys in another order, and the machine's paths, is the same run.
    const { augmentation, ...rest } = run!.spec;
    writeJson(resultFile(paths, run!), { run: { ...run, spec: { augmentation, ...rest, data: { ...run!.spec.data, dir: '/data' }, outputs: { checkpoint: 'x' } } } });
    expect(isFinished(paths, run!)).toBe(true);
    writeJson(resultFile(paths, run!), { run: { ...run, spec: { ...run!.spec, preset: 'mnist', epochs: 2 } } });
    expect(() => isFinished(paths, run!)).toThrow(/none-seed0\/result\.json holds table1\/none-seed0 trained from another RunSpec/);
    expect(() => readResults(paths, [run!])).toThrow(/another RunSpec/);
    // A result from before RunSpecs (command-line args): only a report takes it on trust.
    writeJson(resultFile(paths, run!), { run: { ...run, spec: undefined, args: ['--preset', 'mnist'] } });
    expect(() => isFinished(paths, run!)).toThrow(/another RunSpec than the one planned \(none recorded\)/);
    expect(readResults(paths, [run!])).toHaveLength(1);
    rmSync(resultFile(paths, run!));
  });

  it('refuses to resume a checkpoint written for another spec, before starting anything', async () => {
    const checkpoint = join(paths.work, 'checkpoints', 'table1', 'none-seed0.safetensors');
    writeJson(checkpoint, {});
    await expect(runOne(paths, run!, () => undefined)).rejects.toThrow(/none-seed0\.safetensors was written for a RunSpec not recorded in .*none-seed0\.json/);
    writeJson(join(paths.work, 'specs', 'table1', 'none-seed0.json'), { ...run!.spec, epochs: 50 });
    await expect(runOne(paths, run!, () => undefined)).rejects.toThrow(/was written for another RunSpec \(.*none-seed0\.json\) than table1\/none-seed0 plans/);
  });
});

describe('study runner: flatness asked for after the run finished', () => {
  const root = mkdtempSync(join(tmpdir(), 'espgpu-study-flatness-'));
  // A stand-in for espgpu: `flatness` prints a measurement naming the checkpoint it read.
  const cli = join(root, 'fake-cli.mjs');
  writeFileSync(cli, "console.log(JSON.stringify({ checkpoint: process.argv[process.argv.indexOf('--checkpoint') + 1], radii: [] }));\n");
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const paths = { cli, results: join(root, 'results'), work: join(root, 'work') };
  const run = planStudy('table1', DEFAULT_SETTINGS, choice).find((r) => r.id === 'esp-seed1')!;
  const checkpoint = join(paths.work, 'checkpoints', 'table1', 'esp-seed1.safetensors');

  it('measures it on the run\'s final checkpoint and adds it to result.json, without training again', async () => {
    const { flatness: _asked, ...planned } = run;
    mkdirSync(dirname(resultFile(paths, run)), { recursive: true });
    writeFileSync(resultFile(paths, run), JSON.stringify({ run: planned, wallSeconds: 700, output: { done: { status: 'completed' } } }));
    // Without the checkpoint: a named error, and result.json as it was.
    await expect(runOne(paths, run, () => undefined)).rejects.toThrow(/esp-seed1\/result\.json has no flatness and its final checkpoint .*esp-seed1\.safetensors is gone/);
    mkdirSync(dirname(checkpoint), { recursive: true });
    writeFileSync(checkpoint, 'weights');
    const lines: string[] = [];
    await runAll(paths, [run], 1, (line) => lines.push(line));
    expect(lines[0]).toBe('0 of 1 runs already done; 1 to go, 1 at a time');
    expect(lines.some((l) => l.startsWith('starting'))).toBe(false);
    const record = JSON.parse(readFileSync(resultFile(paths, run), 'utf8')) as { run: { flatness?: string[] }; wallSeconds: number; flatness: { checkpoint: string }; output: unknown };
    expect(record.flatness.checkpoint).toBe(checkpoint);
    expect(record.run.flatness).toEqual(run.flatness);
    expect(record.wallSeconds).toBeGreaterThan(700);
    expect(record.output).toEqual({ done: { status: 'completed' } });
    // Done now: a second pass has nothing left to do.
    lines.length = 0;
    await runAll(paths, [run], 1, (line) => lines.push(line));
    expect(lines).toEqual(['1 of 1 runs already done; 0 to go, 1 at a time']);
  });
});

describe('study runner: stopping', () => {
  const root = mkdtempSync(join(tmpdir(), 'espgpu-study-stop-'));
  // A stand-in for espgpu: `train` says it started, then waits; SIGTERM stops it as espgpu's
  // runGuards do (exit 143); `--exit-at-once N` in the spec's data.dir makes it exit N itself.
  const cli = join(root, 'fake-cli.mjs');
  writeFileSync(cli, [
    "import { readFileSync } from 'node:fs';",
    "const spec = JSON.parse(readFileSync(process.argv[process.argv.indexOf('--spec') + 1], 'utf8'));",
    "console.error('training ' + spec.seed);",
    "if (spec.data.dir === 'exit-143') process.exit(143);",
    "process.on('SIGTERM', () => process.exit(143));",
    "setInterval(() => {}, 1000);",
  ].join('\n'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const runs = planStudy('table1', { ...DEFAULT_SETTINGS, seeds: [0, 1] }, choice).filter((r) => r.method === 'none');

  it('passes SIGTERM on to the running command and starts no further run', async () => {
    const paths = { cli, results: join(root, 'a', 'results'), work: join(root, 'a', 'work') };
    const lines: string[] = [];
    const log = (line: string) => {
      lines.push(line);
      // Once the first command runs, the study itself is told to stop.
      if (line.startsWith('starting table1/none-seed0')) setTimeout(() => process.emit('SIGTERM', 'SIGTERM'), 300);
    };
    const stopped = runAll(paths, runs, 1, log);
    await expect(stopped).rejects.toThrow(/the study stopped \(SIGTERM\) with 1 run\(s\) not started; rerun it to resume/);
    await expect(stopped).rejects.toMatchObject({ signal: 'SIGTERM' });
    expect(lines.some((l) => l.startsWith('starting table1/none-seed1'))).toBe(false);
    expect(lines.some((l) => /stopped: espgpu train .* \(exit 143\)/.test(l))).toBe(true);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('stops, too, when a command is stopped by a signal sent to it alone', async () => {
    const paths = { cli, results: join(root, 'b', 'results'), work: join(root, 'b', 'work'), dataDir: 'exit-143' };
    const lines: string[] = [];
    await expect(runAll(paths, runs, 1, (line) => lines.push(line))).rejects.toThrow(/the study stopped \(a command was stopped\) with 1 run\(s\) not started/);
    expect(lines.filter((l) => l.startsWith('starting'))).toEqual(['starting table1/none-seed0']);
  });
});

describe('study command line', () => {
  const study = new URL('../../dist/experiments/study.js', import.meta.url).pathname;
  const root = mkdtempSync(join(tmpdir(), 'espgpu-study-cli-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const studyJs = (...args: string[]) => spawnSync(process.execPath, [study, ...args, '--results', root], { encoding: 'utf8' });

  it('names a bad study or preset before writing anything, and plans without training', () => {
    if (!existsSync(study)) throw new Error(`${study} is missing: build first (npm test does)`);
    const badStudy = studyJs('plan', 'tabel1');
    expect(badStudy.status).toBe(1);
    expect(badStudy.stderr).toContain('study: unknown study "tabel1": expected sweep, table1, ablation, power, digits');
    const badPreset = studyJs('plan', 'table1', '--preset', 'mnist-fast');
    expect(badPreset.status).not.toBe(0);
    expect(badPreset.stderr).toContain("option '--preset <name>' argument 'mnist-fast' is invalid. Allowed choices are mnist, mnist-stable, cifar, tiny-imagenet.");
    expect(existsSync(join(root, 'table1'))).toBe(false);
    const badHeldOut = studyJs('plan', 'digits-sweep', '--digits-validation', '0');
    expect(badHeldOut.status).not.toBe(0);
    expect(badHeldOut.stderr).toContain('--digits-validation');
    // Holding out every training digit would leave the sweep nothing to train on: refused here, not when `corrupt` runs.
    const allHeldOut = studyJs('plan', 'digits-sweep', '--digits-validation', '8000');
    expect(allHeldOut.status).not.toBe(0);
    expect(allHeldOut.stderr).toContain('--digits-validation');
    expect(allHeldOut.stderr).toContain('7999');
    expect(existsSync(join(root, 'digits-sweep'))).toBe(false);
    const untuned = studyJs('plan', 'digits-tuned');
    expect(untuned.status).toBe(1);
    expect(untuned.stderr).toContain('the digits-tuned study needs ε and γ: run the digits-sweep and its report first');
    expect(existsSync(join(root, 'digits-tuned'))).toBe(false);
    const planned = studyJs('plan', 'table1', '--esp-epsilon', '2', '--esp-gamma', '20', '--l2-epsilon', '0.5');
    expect(planned.stdout).toContain(`${join(root, 'table1', 'plan.json')}: 30 runs`);
    const { runs } = JSON.parse(readFileSync(join(root, 'table1', 'plan.json'), 'utf8')) as { runs: { spec: { preset: string; epochs: number } }[] };
    expect(runs.every((r) => r.spec.preset === 'mnist-stable' && r.spec.epochs === 5)).toBe(true);
  });
});
