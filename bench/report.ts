// Puts benchmark runs (bench/record.ts) side by side: one row per metric across all runs, a
// column per run, and each later run's ratio to the first, turned so that > 1 always reads
// "better than the first run". Rendered as Markdown (for RESULTS.md and issues) or as one
// self-contained HTML page. Pure functions, no I/O: bench/reportMain.ts is the command.
import { escapeXml } from '../src/io/curves.ts';
import type { BenchRun, Metric } from './record.ts';

export interface LabelledRun {
  label: string;
  run: BenchRun;
}

export interface ComparisonRow {
  suite: string;
  name: string;
  unit: string;
  /** As the first run holding the metric says. */
  better: Metric['better'];
  /** One entry a run; undefined where the run lacks the metric. */
  values: (number | undefined)[];
  clocks: (Metric['clock'] | undefined)[];
  /** Run i against run 0 (entry 0 is always undefined); undefined where either value is missing or not positive. */
  ratios: (number | undefined)[];
  /** The runs timed this metric with different clocks, so the ratio compares different measurements. */
  mixedClocks: boolean;
}

export interface ComparisonTable {
  labels: string[];
  suites: { suite: string; rows: ComparisonRow[] }[];
}

/** "runs/2026-11-25-h100.json" → "2026-11-25-h100". */
export function defaultLabel(file: string): string {
  return file.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
}

/** Labels for the files: the given ones in order, file names for the rest; repeated labels get "#2", "#3". */
export function labelFiles(files: readonly string[], given: readonly string[] = []): string[] {
  if (given.length > files.length) throw new Error(`--label was given ${given.length} times for ${files.length} run files; expected at most one a file`);
  const seen = new Map<string, number>();
  return files.map((file, i) => {
    const label = given[i] ?? defaultLabel(file);
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    return count === 1 ? label : `${label} #${count}`;
  });
}

/** `run` against `first`, > 1 when `run` is better; undefined unless both are positive. */
function ratioToFirst(first: number | undefined, run: number | undefined, better: Metric['better']): number | undefined {
  if (!(first! > 0 && run! > 0)) return undefined;
  return better === 'higher' ? run! / first! : first! / run!;
}

export function compareRuns(runs: readonly LabelledRun[]): ComparisonTable {
  const suites = new Map<string, Map<string, ComparisonRow>>();
  runs.forEach(({ run }, r) => {
    for (const m of run.metrics) {
      if (!suites.has(m.suite)) suites.set(m.suite, new Map());
      const rows = suites.get(m.suite)!;
      // A unit is part of the key: "ms" and "img/s" figures of one name are different rows.
      const key = JSON.stringify([m.name, m.unit]);
      if (!rows.has(key)) {
        const blank = () => new Array(runs.length).fill(undefined);
        rows.set(key, { suite: m.suite, name: m.name, unit: m.unit, better: m.better, values: blank(), clocks: blank(), ratios: blank(), mixedClocks: false });
      }
      const row = rows.get(key)!;
      // A run naming a metric twice keeps its first figure.
      if (row.values[r] === undefined) {
        row.values[r] = m.value;
        row.clocks[r] = m.clock;
      }
    }
  });
  for (const rows of suites.values()) {
    for (const row of rows.values()) {
      row.ratios = row.values.map((v, r) => (r === 0 ? undefined : ratioToFirst(row.values[0], v, row.better)));
      row.mixedClocks = new Set(row.clocks.filter((c) => c !== undefined)).size > 1;
    }
  }
  return { labels: runs.map((r) => r.label), suites: [...suites].map(([suite, rows]) => ({ suite, rows: [...rows.values()] })) };
}

export const MISSING = '–';

/** 3 significant digits; whole numbers with thousands separators from 1,000 up. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return MISSING;
  const digits = Math.abs(value) >= 1000 ? { maximumFractionDigits: 0 } : { maximumSignificantDigits: 3 };
  return value.toLocaleString('en-US', digits);
}

/** "1.23×", always 3 significant digits so a column of ratios lines up. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return MISSING;
  const digits = ratio >= 1000 ? { maximumFractionDigits: 0 } : { minimumSignificantDigits: 3, maximumSignificantDigits: 3 };
  return `${ratio.toLocaleString('en-US', digits)}×`;
}

const BETTER_MARK = { higher: '↑', lower: '↓' } as const;
const CLOCK_MARK = '†';

/** What the header says about each run. */
function runFacts({ label, run }: LabelledRun): string[] {
  const { adapter, runtime, espgpu, clock } = run.environment;
  return [label, run.date, runtime, `${adapter.vendor} ${adapter.description}`.trim(), adapter.isSoftware ? 'yes' : 'no', espgpu, clock];
}
const RUN_HEADINGS = ['run', 'date', 'runtime', 'adapter', 'software', 'espgpu', 'clock'];

/** The column headings of a suite's table and each row's cells, shared by both renderings. */
function suiteCells(row: ComparisonRow): string[] {
  const name = `${row.name}${row.mixedClocks ? ` ${CLOCK_MARK}` : ''}`;
  return [name, row.unit, BETTER_MARK[row.better], ...row.values.map(formatNumber), ...row.ratios.slice(1).map(formatRatio)];
}
function suiteHeadings(table: ComparisonTable): string[] {
  const [first, ...later] = table.labels;
  return ['metric', 'unit', 'better', ...table.labels, ...later.map((l) => `${l} vs ${first}`)];
}

function clockNote(table: ComparisonTable, row: ComparisonRow): string {
  const clocks = row.clocks.flatMap((c, r) => (c ? [`${table.labels[r]}: ${c}`] : []));
  return `${CLOCK_MARK} ${row.name}: timed with different clocks (${clocks.join(', ')}); GPU timestamps and wall time are not the same measurement, so read its ratios with care.`;
}

const RATIO_LEGEND = 'Ratios compare each run with the first; > 1 means better than the first run, whether the metric is better higher (↑) or lower (↓).';

/** Markdown text from a file: a pipe would end the cell, a newline the row, a "<" open an HTML tag. */
function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\s*[\r\n]+\s*/g, ' ');
}
function mdTable(headings: string[], rows: string[][], rightAligned: (column: number) => boolean): string[] {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(headings), `|${headings.map((_, c) => (rightAligned(c) ? '---:' : '---')).join('|')}|`, ...rows.map(line)];
}

export function renderMarkdown(table: ComparisonTable, runs: readonly LabelledRun[]): string {
  const lines = ['# Benchmark comparison', '', ...mdTable(RUN_HEADINGS, runs.map(runFacts), () => false), '', RATIO_LEGEND];
  for (const { suite, rows } of table.suites) {
    lines.push('', `## ${mdCell(suite)}`, '', ...mdTable(suiteHeadings(table), rows.map(suiteCells), (c) => c >= 3));
    const mixed = rows.filter((row) => row.mixedClocks);
    if (mixed.length) lines.push('', ...mixed.map((row) => mdCell(clockNote(table, row))));
  }
  return `${lines.join('\n')}\n`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.better{color:#1e7b34;font-weight:600}td.worse{color:#b03a2e;font-weight:600}p.note{color:#555;font-size:90%}`;

function htmlTable(headings: string[], rows: string[][], cellClass: (row: number, column: number) => string): string {
  const head = `<tr>${headings.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((cells, r) => `<tr>${cells.map((c, col) => `<td class="${cellClass(r, col)}">${escapeXml(c)}</td>`).join('')}</tr>`);
  return `<table>\n${head}\n${body.join('\n')}\n</table>`;
}

/** The run facts, tables and notes without a page around them (web/bench.ts shows them in its own page); the ratio legend only when there are ratios. */
export function renderHtmlFragment(table: ComparisonTable, runs: readonly LabelledRun[]): string {
  const parts = [htmlTable(RUN_HEADINGS, runs.map(runFacts), () => '')];
  if (table.labels.length > 1) parts.push(`<p class="note">${escapeXml(RATIO_LEGEND)}</p>`);
  const firstRatioColumn = 3 + table.labels.length;
  for (const { suite, rows } of table.suites) {
    const cellClass = (r: number, column: number) => {
      if (column < 3) return '';
      const ratio = column >= firstRatioColumn ? rows[r]!.ratios[column - firstRatioColumn + 1] : undefined;
      return ratio === undefined || ratio === 1 ? 'num' : `num ${ratio > 1 ? 'better' : 'worse'}`;
    };
    parts.push(`<h2>${escapeXml(suite)}</h2>`, htmlTable(suiteHeadings(table), rows.map(suiteCells), cellClass));
    for (const row of rows.filter((row) => row.mixedClocks)) parts.push(`<p class="note">${escapeXml(clockNote(table, row))}</p>`);
  }
  return parts.join('\n');
}

export function renderHtml(table: ComparisonTable, runs: readonly LabelledRun[]): string {
  const body = `<h1>Benchmark comparison</h1>\n${renderHtmlFragment(table, runs)}`;
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Benchmark comparison</title>\n<style>\n${CSS}\n</style>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}
