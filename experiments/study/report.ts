// Turns the finished runs into the study's tables (Markdown), the sweep's choice of ε and γ
// and its figure: mean ± sample standard deviation over seeds of the clean error and of the
// mean corruption error, and the error per corruption.
import type { CorruptionReport } from '../../src/train/evaluate.ts';
import { intervalChartSvg, lineChartSvg, type IntervalRow, type Series } from './chart.ts';
import type { Run } from './plan.ts';
import { equivalenceP, meanStd, pairedTTestP, pairsForPower, tCritical } from './tTest.ts';

// The study's tables and the Theorem-1 toy summarise seeds with it.
export { meanStd };

/** What `espgpu flatness --json` reports (the parts the study uses). */
export interface FlatnessRecord {
  baseLoss: number;
  directions: number;
  samples: number;
  radii: { radius: number; mean: number; standardError: number }[];
}

/** What runner.ts writes to each run's result.json. */
export interface RunRecord {
  run: Run;
  wallSeconds: number;
  output: { corruption?: CorruptionReport; done: { seconds: number; imagesPerSecond?: number } };
  flatness?: FlatnessRecord;
}

export interface Scored {
  run: Run;
  clean: number;
  meanCorruptionError: number;
  perCorruption: Record<string, number>;
  wallSeconds: number;
  flatness?: FlatnessRecord;
}

export function scoreOf(record: RunRecord): Scored {
  const c = record.output.corruption;
  if (!c?.clean) throw new Error(`${record.run.study}/${record.run.id}: result.json has no clean and corruption error`);
  return {
    run: record.run,
    clean: c.clean.error,
    meanCorruptionError: c.meanCorruptionError,
    perCorruption: Object.fromEntries(c.corruptions.map((x) => [x.corruption, x.error])),
    wallSeconds: record.wallSeconds,
    ...(record.flatness ? { flatness: record.flatness } : {}),
  };
}

const format = ({ mean, std, n }: { mean: number; std: number; n: number }) => (n > 1 ? `${mean.toFixed(2)} ± ${std.toFixed(2)}` : `${mean.toFixed(2)}`) + (n === 1 ? ' (1 run)' : '');

const METHOD_NAMES: Record<string, string> = {
  none: 'Naive', l2: 'Naive + L2', esp: 'Naive + ESP', 'esp-hard': 'Naive + ESP, no smoothing', 'esp-static': 'Naive + ESP, static smoothing',
  augmix: 'AugMix', 'augmix+l2': 'AugMix + L2', 'augmix+esp': 'AugMix + ESP',
};
const nameOf = (method: string) => METHOD_NAMES[method] ?? method;

function groupByMethod(scored: readonly Scored[]): Map<string, Scored[]> {
  const groups = new Map<string, Scored[]>();
  for (const s of scored) groups.set(s.run.method, [...(groups.get(s.run.method) ?? []), s]);
  return groups;
}

/**
 * A run whose clean error is this high (chance is 90% on the study's ten classes) did not
 * train: its loss stayed near ln 10, the network having died early. Such runs are listed
 * and left out of every mean and paired difference, which would otherwise measure the
 * failure rather than the method.
 */
export const DID_NOT_TRAIN_ERROR = 80;
export const didNotTrain = (s: Scored) => s.clean >= DID_NOT_TRAIN_ERROR;
const trainedRuns = (scored: readonly Scored[]) => scored.filter((s) => !didNotTrain(s));

/** Methods as rows: clean error and mean corruption error, mean ± std over the seeds that trained. */
export function methodTable(scored: readonly Scored[]): string {
  const rows = [...groupByMethod(scored)].map(([method, runs]) => {
    const trained = trainedRuns(runs);
    const failed = runs.filter(didNotTrain).map((r) => r.run.seed).join(', ') || '–';
    const cell = (values: number[]) => (values.length ? format(meanStd(values)) : '–');
    return `| ${nameOf(method)} | ${trained.map((r) => r.run.seed).join(', ') || '–'} | ${cell(trained.map((r) => r.clean))} | ${cell(trained.map((r) => r.meanCorruptionError))} | ${failed} |`;
  });
  return ['| method | seeds | clean error (%) | mean corruption error (%) | did not train (seeds) |', '|---|---|---:|---:|---|', ...rows].join('\n');
}

/** Corruptions as rows, methods as columns: each method's error, averaged over its seeds that trained. */
export function perCorruptionTable(scored: readonly Scored[]): string {
  const groups = [...groupByMethod(trainedRuns(scored))];
  if (!groups.length) return '';
  const corruptions = Object.keys(groups[0]![1][0]!.perCorruption);
  const header = `| corruption | ${groups.map(([m]) => nameOf(m)).join(' | ')} |`;
  const rule = `|---|${groups.map(() => '---:').join('|')}|`;
  const rows = corruptions.map((c) => `| ${c} | ${groups.map(([, runs]) => meanStd(runs.map((r) => r.perCorruption[c] ?? NaN)).mean.toFixed(2)).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

export function sweepTable(scored: readonly Scored[]): string {
  const rows = [...scored]
    .sort((a, b) => a.run.method.localeCompare(b.run.method) || (a.run.epsilon ?? 0) - (b.run.epsilon ?? 0) || (a.run.gamma ?? 0) - (b.run.gamma ?? 0))
    .map((s) => `| ${nameOf(s.run.method)} | ${s.run.epsilon ?? '–'} | ${s.run.gamma ?? '–'} | ${s.clean.toFixed(2)} | ${s.meanCorruptionError.toFixed(2)} |`);
  return ['| method | ε | γ | validation clean error (%) | validation corruption error (%) |', '|---|---:|---:|---:|---:|', ...rows].join('\n');
}

/** Figure 3's layout: corruption error on the validation suite (named by `suite`) against ε. */
export function sweepChart(scored: readonly Scored[], suite = 'Fashion-MNIST-C'): string {
  const series: Series[] = [];
  const line = (label: string, keep: (s: Scored) => boolean) => {
    const points = scored.filter(keep).map((s) => [s.run.epsilon!, s.meanCorruptionError] as const);
    if (points.length) series.push({ label, points });
  };
  for (const gamma of [...new Set(scored.filter((s) => s.run.method === 'esp').map((s) => s.run.gamma!))].sort((a, b) => a - b)) {
    line(`ESP, γ = ${gamma}`, (s) => s.run.method === 'esp' && s.run.gamma === gamma);
  }
  line('L2', (s) => s.run.method === 'l2');
  const naive = scored.find((s) => s.run.method === 'none');
  const xs = scored.filter((s) => s.run.epsilon !== undefined).map((s) => s.run.epsilon!);
  if (naive && xs.length) series.push({ label: 'Naive', dashed: true, points: [[Math.min(...xs), naive.meanCorruptionError], [Math.max(...xs), naive.meanCorruptionError]] });
  return lineChartSvg(series, `ε sweep: ${suite} corruption error on the validation split`, 'ε (L2 size in [0, 1] pixels)', 'mean corruption error (%)');
}

/**
 * The paper's claims as one figure: per group of runs (a study) and claim, the paired
 * differences in mean corruption error seed by seed, their mean and 95% interval, and the
 * paper's own MNIST-C difference (0 for a claim of no difference, with its equivalence
 * margin). Claims without two paired seeds are left out.
 */
export function claimsChart(groups: readonly { name: string; scored: readonly Scored[]; claims: readonly Claim[] }[]): string {
  const metric = CORRUPTION_ERROR.of;
  const rows: IntervalRow[] = groups.flatMap(({ name, scored, claims }) =>
    claims.flatMap(({ method, baseline, paper: claimed, margin }) => {
      const pairing = pairRuns(scored, method, baseline);
      if (!pairing) return [];
      const d = pairedInterval(pairing, metric);
      const [paper, paperBase] = [PAPER_MNIST_C[method], PAPER_MNIST_C[baseline]];
      const reference = claimed === 'no difference' ? 0 : paper && paperBase ? paper.mean - paperBase.mean : undefined;
      return [{ group: name, label: `${differenceName(pairing)} (${pairing.seeds.length} seeds)`, values: differencesOf(pairing, metric), mean: d.mean, lo: d.mean - d.halfWidth, hi: d.mean + d.halfWidth, reference, margin }];
    }));
  return intervalChartSvg(rows, 'The paper\'s claims: paired differences in mean corruption error', 'method − baseline (points of mean corruption error; below 0: the method is better)');
}

/** Figure 4 right as a table: the mean loss rise ± standard error at each radius, per measured run. */
export function flatnessTable(scored: readonly Scored[]): string {
  const measured = scored.filter((s) => s.flatness);
  if (!measured.length) return '';
  const radii = measured[0]!.flatness!.radii.map((r) => r.radius);
  const rows = measured.map((s) => {
    const f = s.flatness!;
    const cells = f.radii.map((r) => `${r.mean.toFixed(4)} ± ${r.standardError.toFixed(4)}`);
    return `| ${nameOf(s.run.method)} | ${s.run.seed} | ${f.baseLoss.toFixed(4)} | ${cells.join(' | ')} |`;
  });
  const header = `| method | seed | L(θ) | ${radii.map((r) => `r = ${r}`).join(' | ')} |`;
  return [header, `|---|---|---:|${radii.map(() => '---:').join('|')}|`, ...rows].join('\n');
}

/** Figure 4 right: mean loss rise against the radius, one line per method (the mean over its measured seeds). */
export function flatnessChart(scored: readonly Scored[]): string {
  const series: Series[] = [...groupByMethod(scored.filter((s) => s.flatness))].map(([method, runs]) => {
    const radii = runs[0]!.flatness!.radii.map((r) => r.radius);
    const meanRise = (radius: number) => meanStd(runs.map((s) => s.flatness!.radii.find((r) => r.radius === radius)?.mean ?? NaN)).mean;
    const which = runs.length === 1 ? `seed ${runs[0]!.run.seed}` : `mean of ${runs.length} seeds`;
    return { label: `${nameOf(method)} (${which})`, points: radii.map((radius) => [radius, meanRise(radius)] as const) };
  });
  return lineChartSvg(series, 'Flatness: mean training-loss rise at random points of each radius', 'radius ‖Δ‖ in parameter space', 'mean loss rise L(θ + Δ) − L(θ)');
}

/** A mean difference over paired seeds: mean ± sample std, and the 95% interval's half-width. */
export interface Interval {
  mean: number;
  std: number;
  halfWidth: number;
}

/** method's runs against baseline's runs of the same seeds, in seed order. */
export interface Pairing {
  method: string;
  baseline: string;
  seeds: number[];
  pairs: (readonly [run: Scored, base: Scored])[];
}

/**
 * method against baseline over the seeds both finished and trained. A seed fixes the initial weights and
 * the batch order whatever the method, so a per-seed difference cancels that part of the
 * spread, which at a short schedule is most of it. Undefined with fewer than two seeds.
 */
export function pairRuns(scored: readonly Scored[], method: string, baseline: string): Pairing | undefined {
  const trained = trainedRuns(scored);
  const base = new Map(trained.filter((s) => s.run.method === baseline).map((s) => [s.run.seed, s]));
  const pairs = trained
    .filter((s) => s.run.method === method && base.has(s.run.seed))
    .sort((a, b) => a.run.seed - b.run.seed)
    .map((s) => [s, base.get(s.run.seed)!] as const);
  return pairs.length < 2 ? undefined : { method, baseline, seeds: pairs.map(([s]) => s.run.seed), pairs };
}

/** metric(run) − metric(base), seed by seed. */
const differencesOf = (pairing: Pairing, metric: (s: Scored) => number) => pairing.pairs.map(([s, b]) => metric(s) - metric(b));

/** metric(run) − metric(base) per seed, summarised; the interval is 1 − alpha (95% by default). */
export function pairedInterval(pairing: Pairing, metric: (s: Scored) => number, alpha = 0.05): Interval {
  const { mean, std, n } = meanStd(differencesOf(pairing, metric));
  return { mean, std, halfWidth: (tCritical(n - 1, alpha) * std) / Math.sqrt(n) };
}

const pairingsOf = (scored: readonly Scored[], comparisons: Comparisons) =>
  comparisons.map(([method, baseline]) => pairRuns(scored, method, baseline)).filter((p): p is Pairing => p !== undefined);
const differenceName = (p: Pairing) => `${nameOf(p.method)} − ${nameOf(p.baseline)}`;

export type Comparisons = readonly (readonly [method: string, baseline: string])[];

/** A per-run number the paired tables difference, named as their header shows it. */
export interface Metric {
  name: string;
  of: (s: Scored) => number;
}
export const CLEAN_ERROR: Metric = { name: 'clean error (points)', of: (s) => s.clean };
export const CORRUPTION_ERROR: Metric = { name: 'mean corruption error (points)', of: (s) => s.meanCorruptionError };
/** What the corruptions add to the clean error: the numerator of Hendrycks and Dietterich's relative mCE, without its AlexNet normalisation. */
export const RELATIVE_CORRUPTION_ERROR: Metric = { name: 'corruption − clean error (points)', of: (s) => s.meanCorruptionError - s.clean };

/** One row per comparison that has at least two paired seeds, three columns per metric; '' when none has. */
export function pairedTable(scored: readonly Scored[], comparisons: Comparisons, metrics: readonly Metric[] = [CLEAN_ERROR, CORRUPTION_ERROR]): string {
  const cell = (p: Pairing, metric: (s: Scored) => number) => {
    const d = pairedInterval(p, metric);
    const pValue = pairedTTestP(differencesOf(p, metric));
    return `${signed(d.mean)} ± ${d.std.toFixed(2)} | ${signed(d.mean - d.halfWidth)} … ${signed(d.mean + d.halfWidth)} | ${formatP(pValue)}`;
  };
  const rows = pairingsOf(scored, comparisons).map((p) =>
    `| ${differenceName(p)} | ${p.seeds.join(', ')} | ${metrics.map((m) => cell(p, m.of)).join(' | ')} |`);
  if (!rows.length) return '';
  const header = `| difference | seeds | ${metrics.map((m) => `${m.name} | 95% interval | p`).join(' | ')} |`;
  return [header, `|---|---|${metrics.map(() => '---:|---:|---:').join('|')}|`, ...rows].join('\n');
}

/**
 * One row per comparison with two paired seeds: whether the two methods' mean corruption errors
 * are equivalent within ±margin, by the two one-sided tests (equivalenceP): the 90% interval of
 * the paired difference, the p-value raw and Holm-adjusted over the table, and the answer at
 * 0.05 after the adjustment. '' when no comparison has pairs.
 */
export function equivalenceTable(scored: readonly Scored[], comparisons: Comparisons, margin: number): string {
  const metric = CORRUPTION_ERROR.of;
  const pairings = pairingsOf(scored, comparisons);
  if (!pairings.length) return '';
  const pValues = pairings.map((p) => equivalenceP(differencesOf(p, metric), margin));
  const holm = holmAdjusted(pValues);
  const rows = pairings.map((p, i) => {
    const d = pairedInterval(p, metric, 0.1);
    return `| ${differenceName(p)} | ${p.seeds.join(', ')} | ${signed(d.mean)} | ${signed(d.mean - d.halfWidth)} … ${signed(d.mean + d.halfWidth)} | ${formatP(pValues[i]!)} | ${formatP(holm[i]!)} | ${holm[i]! < 0.05 ? '**yes**' : 'not shown'} |`;
  });
  return [`| difference | seeds | mean corruption error (points) | 90% interval | p (within ±${margin.toFixed(2)}) | p, Holm over the table | equivalent? |`, '|---|---|---:|---:|---:|---:|---|', ...rows].join('\n');
}

/**
 * A claim of the paper about two methods' mean corruption error: method − baseline is below
 * zero ('lower'), above ('higher'), or indistinguishable from it ('no difference').
 */
export interface Claim {
  method: string;
  baseline: string;
  paper: 'lower' | 'higher' | 'no difference';
  /** For 'no difference': the gap (points) below which the two count as equivalent (equivalenceP). */
  margin?: number;
}

/**
 * One row per claim with at least two paired seeds: the paired difference in mean corruption
 * error, its 95% interval, its p-value raw and Holm-adjusted over the table's claims, and the
 * verdict. A difference is resolved when the Holm-adjusted p is below 0.05 (then the interval
 * excludes 0 too): a claim is reproduced when it is resolved on the paper's side, reversed when
 * resolved on the other side, not resolved otherwise. A 'no difference' claim is not reproduced
 * when a difference is resolved; with a margin it is reproduced when the equivalence test's p
 * (Holm over the table's margins) is below 0.05, since a difference not found is not evidence
 * of none. No verdict before `plannedSeeds` pairs: a partial study's few seeds can give a tiny
 * spread by chance. '' when no claim has pairs.
 */
export function claimsTable(scored: readonly Scored[], claims: readonly Claim[], plannedSeeds = 2): string {
  const metric = CORRUPTION_ERROR.of;
  const tested = claims.flatMap((claim) => {
    const pairing = pairRuns(scored, claim.method, claim.baseline);
    if (!pairing) return [];
    const differences = differencesOf(pairing, metric);
    const equivalence = claim.margin === undefined ? undefined : equivalenceP(differences, claim.margin);
    return [{ claim, pairing, p: pairedTTestP(differences), equivalence }];
  });
  const holm = holmAdjusted(tested.map((t) => t.p));
  const withMargin = tested.flatMap((t, i) => (t.equivalence === undefined ? [] : [i]));
  const holmEquivalence = new Map(holmAdjusted(withMargin.map((i) => tested[i]!.equivalence!)).map((p, k) => [withMargin[k]!, p]));
  const noDifferenceVerdict = (claim: Claim, side: string, i: number) => {
    if (side !== 'unresolved') return `**not reproduced** (${nameOf(claim.method)} resolved ${side})`;
    const equivalence = holmEquivalence.get(i);
    if (equivalence === undefined) return 'consistent (no difference resolved)';
    const test = `equivalence within ±${claim.margin!.toFixed(2)}: p ${formatP(equivalence)}`;
    return equivalence < 0.05 ? `**reproduced** (${test})` : `not resolved (${test})`;
  };
  const rows = tested.map(({ claim, pairing, p }, i) => {
    const d = pairedInterval(pairing, metric);
    const [lo, hi] = [d.mean - d.halfWidth, d.mean + d.halfWidth];
    const side = holm[i]! >= 0.05 ? 'unresolved' : d.mean < 0 ? 'lower' : 'higher';
    const verdict = pairing.seeds.length < plannedSeeds ? `none yet (${pairing.seeds.length} of ${plannedSeeds} seeds)` : claim.paper === 'no difference'
      ? noDifferenceVerdict(claim, side, i)
      : side === 'unresolved' ? 'not resolved' : side === claim.paper ? '**reproduced**' : '**reversed**';
    const stated = claim.paper === 'no difference' ? `${nameOf(claim.method)} ≈ ${nameOf(claim.baseline)}` : `${nameOf(claim.method)} ${claim.paper === 'lower' ? '<' : '>'} ${nameOf(claim.baseline)}`;
    return `| ${stated} | ${pairing.seeds.length} | ${signed(d.mean)} | ${signed(lo)} … ${signed(hi)} | ${paperGapCells(claim, lo, hi, d.std)} | ${formatP(p)} | ${formatP(holm[i]!)} | ${verdict} |`;
  });
  if (!rows.length) return '';
  return ['| the paper\'s claim (corruption error) | paired seeds | difference (points) | 95% interval | the paper\'s MNIST-C difference | seeds for 80% power at it | p | p, Holm over the table | verdict |', '|---|---:|---:|---:|---:|---:|---:|---:|---|', ...rows].join('\n');
}

/**
 * Two cells for the paper's own MNIST-C difference: the difference and whether the 95% interval
 * holds it (one the interval excludes is one the seeds rule out, resolved or not); and how many
 * paired seeds a two-sided paired t-test at 0.05 needs to detect it with 80% power, were the
 * differences' std the one measured here (a noisy estimate itself with few seeds). For a claim
 * of no difference with a margin: 0 and the margin. '–' twice where the paper gives no number
 * for one of the two methods.
 */
function paperGapCells(claim: Claim, lo: number, hi: number, std: number): string {
  if (claim.paper === 'no difference' && claim.margin !== undefined) return `≈ 0 (margin ±${claim.margin.toFixed(2)}) | –`;
  const [method, baseline] = [PAPER_MNIST_C[claim.method], PAPER_MNIST_C[claim.baseline]];
  if (!method || !baseline) return '– | –';
  const gap = method.mean - baseline.mean;
  const seeds = pairsForPower(gap, std);
  return `${signed(gap)} (${gap >= lo && gap <= hi ? 'inside' : '**outside**'}) | ${seeds ?? '> 200'}`;
}

/**
 * Holm's step-down adjustment: the i-th smallest of m p-values times (m − i + 1), kept monotone
 * and at most 1; a family-wise error rate for the table's claims taken together.
 */
export function holmAdjusted(pValues: readonly number[]): number[] {
  // A NaN (a test that could not run) stays NaN and does not count among the m tests.
  const order = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((a, b) => a[0] - b[0]);
  const adjusted = pValues.map(() => Number.NaN);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (order.length - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** The paper's orderings on MNIST-C (ALGORITHMS.md §1.8): ESP < L2 < Naive. */
export const ORDERING_CLAIMS: readonly Claim[] = [
  { method: 'l2', baseline: 'none', paper: 'lower' },
  { method: 'esp', baseline: 'none', paper: 'lower' },
  { method: 'esp', baseline: 'l2', paper: 'lower' },
];

/** A two-sided p-value as a table shows it: three significant digits, "< 0.001" below that. */
export const formatP = (p: number) => (Number.isNaN(p) ? '–' : p < 0.001 ? '< 0.001' : p.toPrecision(2));

/**
 * Metrics as rows, comparisons as columns: the paired difference in the row's metric, mean ± the
 * 95% interval's half-width (in bold where the interval excludes 0), and the paired t-test's
 * two-sided p-value, raw and Holm-adjusted over the column's rows (many rows make some raw p
 * small by chance alone). '' without pairings.
 */
function pairedRowsTable(pairings: readonly Pairing[], rowHeading: string, rows: readonly Metric[], digits = 2): string {
  if (!pairings.length) return '';
  const columns = pairings.map((p) => {
    const pValues = rows.map((row) => pairedTTestP(differencesOf(p, row.of)));
    return { pValues, holm: holmAdjusted(pValues) };
  });
  const cell = (p: Pairing, row: number, column: number) => {
    const d = pairedInterval(p, rows[row]!.of);
    const text = `${signed(d.mean, digits)} ± ${d.halfWidth.toFixed(digits)}`;
    const { pValues, holm } = columns[column]!;
    return `${Math.abs(d.mean) > d.halfWidth ? `**${text}**` : text} (p ${formatP(pValues[row]!)}; Holm ${formatP(holm[row]!)})`;
  };
  const lines = rows.map((metric, row) => `| ${metric.name} | ${pairings.map((p, column) => cell(p, row, column)).join(' | ')} |`);
  return [`| ${rowHeading} | ${pairings.map(differenceName).join(' | ')} |`, `|---|${pairings.map(() => '---:').join('|')}|`, ...lines].join('\n');
}

/** Corruptions as rows (pairedRowsTable): the paired difference in each corruption's error. */
export function pairedCorruptionTable(scored: readonly Scored[], comparisons: Comparisons): string {
  const pairings = pairingsOf(scored, comparisons);
  const corruptions = Object.keys(pairings[0]?.pairs[0]![0].perCorruption ?? {});
  return pairedRowsTable(pairings, 'corruption', corruptions.map((c) => ({ name: c, of: (s: Scored) => s.perCorruption[c] ?? NaN })));
}

/** Radii as rows (pairedRowsTable): the paired difference in the loss's mean rise, over the seeds both runs measured. */
export function pairedFlatnessTable(scored: readonly Scored[], comparisons: Comparisons): string {
  const pairings = pairingsOf(scored.filter((s) => s.flatness), comparisons);
  const radii = pairings[0]?.pairs[0]![0].flatness!.radii.map((r) => r.radius) ?? [];
  const rise = (radius: number) => (s: Scored) => s.flatness!.radii.find((r) => r.radius === radius)?.mean ?? NaN;
  return pairedRowsTable(pairings, 'radius', radii.map((radius) => ({ name: `r = ${radius}`, of: rise(radius) })), 4);
}

const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;

/**
 * The recipe-power table: per schedule, the seeds that trained, the clean and corruption error
 * (mean ± std over seeds), and whether the corruption error's seed std is within `target`
 * once `minSeeds` seeds have trained.
 * Rows in the plan's order (cheapest first).
 */
export function powerTable(scored: readonly Scored[], scheduleOf: (run: Run) => string, target = 1, minSeeds = 2): string {
  const rows = new Map<string, Scored[]>();
  for (const s of scored) rows.set(scheduleOf(s.run), [...(rows.get(scheduleOf(s.run)) ?? []), s]);
  const lines = ['| schedule | seeds trained | clean error % | corruption error % | seed std ≤ ' + target + '? | hours |', '|---|---:|---:|---:|---|---:|'];
  for (const [schedule, runs] of rows) {
    const trained = trainedRuns(runs);
    const corruption = meanStd(trained.map((s) => s.meanCorruptionError));
    // A std from fewer seeds than planned is too noisy to choose a recipe by.
    const verdict = corruption.n < Math.max(2, minSeeds) ? `not yet (${corruption.n} of ${minSeeds} seeds)` : corruption.std <= target ? '**yes**' : 'no';
    const failed = runs.length - trained.length;
    const hours = runs.reduce((a, s) => a + s.wallSeconds, 0) / 3600;
    lines.push(`| ${schedule} | ${trained.length}${failed ? ` (+${failed} did not train)` : ''} | ${format(meanStd(trained.map((s) => s.clean)))} | ${format(corruption)} | ${verdict} | ${hours.toFixed(2)} |`);
  }
  return lines.join('\n');
}

/** ALGORITHMS.md §1.8: the paper's MNIST-C mean corruption error (%), mean ± std, trained to convergence on 60,000 digits. */
export const PAPER_MNIST_C: Readonly<Record<string, { mean: number; std: number }>> = {
  none: { mean: 8.01, std: 0.1 },
  l2: { mean: 7.07, std: 0.43 },
  esp: { mean: 6.45, std: 0.02 },
};
/** The digits study's pairs: the paper's orderings, each perturbation against Naive and ESP against L2. */
const DIGITS_PAIRS: Comparisons = ORDERING_CLAIMS.map(({ method, baseline }) => [method, baseline] as const);

/**
 * The digits study's report section: the method table, ours beside the paper's MNIST-C numbers,
 * the paired differences and the caveats (training digits, test split, borrowed ε and γ).
 * `tunedOn`: the held-out training digits the digits sweep chose ε and γ on, when it did.
 * `pairedNote` explains the paired table (main.ts's, shared with Table 1). '' without runs.
 */
export function digitsSection(scored: readonly Scored[], { pairedNote = '', claimsNote = '', plannedSeeds = 2, tunedOn = undefined as number | undefined } = {}): string {
  if (!scored.length) return '';
  const tuned = tunedOn === undefined ? '' : ', ε and γ chosen on digits';
  const lines = [`## MNIST-C on real digits (test split, 2,000 digits${tuned})`, ''];
  lines.push(methodTable(scored), '');
  const trained = groupByMethod(trainedRuns(scored));
  const beside = Object.entries(PAPER_MNIST_C).map(([method, paper]) => {
    const runs = trained.get(method) ?? [];
    return `| ${nameOf(method)} | ${runs.length ? format(meanStd(runs.map((r) => r.meanCorruptionError))) : '–'} | ${paper.mean.toFixed(2)} ± ${paper.std.toFixed(2)} |`;
  });
  lines.push('Beside the paper (ALGORITHMS.md §1.8, MNIST-C, mean ± std):', '', '| method | mean corruption error here (%) | paper, MNIST-C (%) |', '|---|---:|---:|', ...beside, '');
  const esp = scored.find((s) => s.run.method === 'esp')?.run;
  const l2 = scored.find((s) => s.run.method === 'l2')?.run;
  const sizes = [esp && `ESP ε = ${esp.epsilon}, γ = ${esp.gamma}`, l2 && `L2 ε = ${l2.epsilon}`].filter(Boolean).join('; ');
  const epochs = [...new Set(scored.map((s) => s.run.spec.epochs))].join(', ');
  lines.push(
    `Not the paper's setting: these networks train on the \`mnist\` package's 8,000 training digits (the paper: MNIST's 60,000) for ${epochs} epoch(s), not to convergence, and are scored on a seeded 2,000-digit test split (2,000 clean + 15 × 2,000 corrupted, espgpu's own MNIST-C corruptions) rather than MNIST's 10,000 test images and the released MNIST-C; ε and γ are ${tunedOn === undefined ? 'the Fashion-MNIST sweep\'s choice' : `the digits sweep's choice, on ${tunedOn.toLocaleString('en')} held-out training digits`}${sizes ? ` (${sizes})` : ''}${tunedOn === undefined ? ', not tuned on digits' : ''}. Compare the order of the methods and the gaps, not the levels.`,
    '',
  );
  const claims = claimsTable(scored, ORDERING_CLAIMS, plannedSeeds);
  if (claims) lines.push(`### The paper's orderings (digits${tuned})`, '', ...(claimsNote ? [claimsNote, ''] : []), claims, '');
  const paired = pairedTable(scored, DIGITS_PAIRS);
  if (paired) lines.push(`### Paired differences (digits${tuned})`, '', ...(pairedNote ? [pairedNote, ''] : []), paired, '', 'Per corruption (points; ± the 95% interval\'s half-width, bold where it excludes 0, and the p-value, raw and adjusted by Holm\'s method over the column\'s corruptions):', '', pairedCorruptionTable(scored, DIGITS_PAIRS), '');
  return lines.join('\n');
}
