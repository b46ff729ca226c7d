// The benchmark report: synthetic runs built here, lined up by bench/report.ts (rows, values,
// ratios turned so > 1 is better, clock mismatches flagged), rendered to Markdown and HTML with
// file-supplied strings escaped, and the command (bench/reportMain.ts) called in-process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_FORMAT, type BenchRun, type Metric } from '../../bench/record.ts';
import { compareRuns, formatNumber, formatRatio, labelFiles, renderHtml, renderMarkdown, type LabelledRun } from '../../bench/report.ts';
import { reportMain } from '../../bench/reportMain.ts';

function metric(suite: string, name: string, value: number, unit: string, better: Metric['better'], clock: Metric['clock'] = 'gpu'): Metric {
  return { suite, name, value, unit, better, clock };
}

function benchRun(description: string, metrics: Metric[], clock: BenchRun['environment']['clock'] = 'gpu-timestamps'): BenchRun {
  return {
    format: RUN_FORMAT,
    date: '2026-11-25T10:00:00.000Z',
    environment: {
      adapter: { vendor: 'mesa', architecture: 'llvmpipe', device: '', description, isSoftware: true, runtime: 'node' },
      runtime: 'node v20.19.0',
      espgpu: '0.1.0',
      clock,
    },
    options: {},
    metrics,
    details: {},
  };
}

// Baseline: two suites. "later" improves matmul (higher is better) and the step time (lower is
// better), worsens conv, lacks img/s, times matmul on the wall clock and adds an augment suite.
const baseline = benchRun('llvmpipe', [
  metric('kernels', 'matmul 1024³', 10, 'GFLOP/s', 'higher'),
  metric('kernels', 'conv2d', 20, 'ms', 'lower'),
  metric('train', 'mnist-cnn step', 1441, 'ms', 'lower', 'wall'),
  metric('train', 'mnist-cnn', 88.8, 'img/s', 'higher', 'wall'),
]);
const later = benchRun('<script>alert("x")</script> & co', [
  metric('train', 'mnist-cnn step', 1000, 'ms', 'lower', 'wall'),
  metric('kernels', 'conv2d', 25, 'ms', 'lower'),
  metric('kernels', 'matmul 1024³', 15, 'GFLOP/s', 'higher', 'wall'),
  metric('augment', 'esp', 52_345.6, 'images/s', 'higher'),
]);
const third = benchRun('h100', [metric('kernels', 'conv2d', 0.5, 'ms', 'lower')], 'wall');

const runs: LabelledRun[] = [
  { label: 'base', run: baseline },
  { label: 'new | tuned', run: later },
  { label: 'h100', run: third },
];

function rowOf(table: ReturnType<typeof compareRuns>, suite: string, name: string) {
  const row = table.suites.find((s) => s.suite === suite)?.rows.find((r) => r.name === name);
  if (!row) throw new Error(`no row ${suite}/${name}`);
  return row;
}

describe('compareRuns', () => {
  const table = compareRuns(runs);

  it('has one row per (suite, name, unit), suites and rows in first-seen order', () => {
    expect(table.labels).toEqual(['base', 'new | tuned', 'h100']);
    expect(table.suites.map((s) => [s.suite, s.rows.map((r) => `${r.name} [${r.unit}]`)])).toEqual([
      ['kernels', ['matmul 1024³ [GFLOP/s]', 'conv2d [ms]']],
      ['train', ['mnist-cnn step [ms]', 'mnist-cnn [img/s]']],
      ['augment', ['esp [images/s]']],
    ]);
  });

  it('keeps each run’s value in its column, undefined where the run lacks the metric', () => {
    expect(rowOf(table, 'kernels', 'conv2d').values).toEqual([20, 25, 0.5]);
    expect(rowOf(table, 'train', 'mnist-cnn').values).toEqual([88.8, undefined, undefined]);
    expect(rowOf(table, 'augment', 'esp').values).toEqual([undefined, 52_345.6, undefined]);
  });

  it('turns ratios so > 1 means better than the first run, for higher- and lower-is-better', () => {
    // higher is better: 15 / 10; lower is better: 1441 / 1000 (faster) and 20 / 25 (slower), 20 / 0.5.
    expect(rowOf(table, 'kernels', 'matmul 1024³').ratios).toEqual([undefined, 1.5, undefined]);
    expect(rowOf(table, 'train', 'mnist-cnn step').ratios[1]).toBeCloseTo(1.441, 12);
    expect(rowOf(table, 'kernels', 'conv2d').ratios).toEqual([undefined, 0.8, 40]);
    // No baseline figure, no ratio.
    expect(rowOf(table, 'augment', 'esp').ratios).toEqual([undefined, undefined, undefined]);
  });

  it('flags only the rows whose runs used different clocks', () => {
    const mixed = table.suites.flatMap((s) => s.rows.filter((r) => r.mixedClocks).map((r) => r.name));
    expect(mixed).toEqual(['matmul 1024³']);
  });

  it('gives no ratio for a zero or negative figure instead of ∞ or a sign flip', () => {
    const zero = compareRuns([
      { label: 'a', run: benchRun('x', [metric('s', 'm', 0, 'ms', 'lower'), metric('s', 'n', -1, 'x', 'higher')]) },
      { label: 'b', run: benchRun('x', [metric('s', 'm', 3, 'ms', 'lower'), metric('s', 'n', 2, 'x', 'higher')]) },
    ]);
    expect(zero.suites[0]!.rows.map((r) => r.ratios[1])).toEqual([undefined, undefined]);
  });
});

describe('formatting', () => {
  it('shows 3 significant digits, thousands separators from 1,000, ratios with ×', () => {
    expect([12.345, 0.001234, 88.8, 999.4, 1441, 1_234_567.8, undefined].map(formatNumber)).toEqual(['12.3', '0.00123', '88.8', '999', '1,441', '1,234,568', '–']);
    expect([1, 1.441, 0.8, 40, 2500, undefined].map(formatRatio)).toEqual(['1.00×', '1.44×', '0.800×', '40.0×', '2,500×', '–']);
  });

  it('labels runs by file name unless given, and tells repeated names apart', () => {
    expect(labelFiles(['runs/a/h100.json', 'runs/b/h100.json', 'C:\\runs\\cpu.JSON'], ['first'])).toEqual(['first', 'h100', 'cpu']);
    expect(labelFiles(['a/x.json', 'b/x.json'])).toEqual(['x', 'x #2']);
    expect(() => labelFiles(['a.json'], ['one', 'two'])).toThrow(/--label was given 2 times for 1 run files/);
  });
});

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(compareRuns(runs), runs);
  const line = (start: string) => markdown.split('\n').find((l) => l.startsWith(start));

  it('lists each run with its date, runtime, adapter, software flag, version and clock', () => {
    expect(line('| base |')).toBe('| base | 2026-11-25T10:00:00.000Z | node v20.19.0 | mesa llvmpipe | yes | 0.1.0 | gpu-timestamps |');
    // File-supplied text cannot break the table or open an HTML tag.
    expect(line('| new \\| tuned |')).toContain('| mesa &lt;script>alert("x")&lt;/script> & co |');
  });

  it('writes one table per suite with values, ratios and – for missing figures', () => {
    expect(markdown).toContain('## kernels\n\n| metric | unit | better | base | new \\| tuned | h100 | new \\| tuned vs base | h100 vs base |\n|---|---|---|---:|---:|---:|---:|---:|');
    expect(line('| conv2d |')).toBe('| conv2d | ms | ↓ | 20 | 25 | 0.5 | 0.800× | 40.0× |');
    expect(line('| mnist-cnn step |')).toBe('| mnist-cnn step | ms | ↓ | 1,441 | 1,000 | – | 1.44× | – |');
    expect(line('| mnist-cnn |')).toBe('| mnist-cnn | img/s | ↑ | 88.8 | – | – | – | – |');
    expect(line('| esp |')).toBe('| esp | images/s | ↑ | – | 52,346 | – | – | – |');
  });

  it('marks a clock mismatch and explains it under the table', () => {
    expect(line('| matmul 1024³ †')).toBe('| matmul 1024³ † | GFLOP/s | ↑ | 10 | 15 | – | 1.50× | – |');
    expect(line('† matmul 1024³')).toMatch(/base: gpu, new \\\| tuned: wall\).*not the same measurement/);
    expect(markdown.match(/^† /gm)).toHaveLength(1);
  });
});

describe('renderHtml', () => {
  const html = renderHtml(compareRuns(runs), runs);

  it('is one page without scripts, every file-supplied string escaped', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('mesa &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; co');
    expect(html).toContain('<td class="">new | tuned</td>');
  });

  it('styles ratios above and below 1 apart', () => {
    expect(html).toContain('<td class="num better">1.50×</td>');
    expect(html).toContain('<td class="num better">40.0×</td>');
    expect(html).toContain('<td class="num worse">0.800×</td>');
    expect(html).toContain('<td class="num">–</td>');
  });
});

describe('bench report command', () => {
  const folder = mkdtempSync(join(tmpdir(), 'espgpu-report-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const file = (name: string, content: unknown) => {
    const path = join(folder, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const baseFile = file('base-run.json', baseline);
  const laterFile = file('later-run.json', later);

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await reportMain(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it('writes the Markdown and HTML reports, labels from --label then file names', async () => {
    const md = join(folder, 'out', 'report.md');
    const html = join(folder, 'out', 'report.html');
    const result = await run(baseFile, laterFile, '--label', 'base', '--markdown', md, '--html', html);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    const expected: LabelledRun[] = [
      { label: 'base', run: baseline },
      { label: 'later-run', run: later },
    ];
    expect(readFileSync(md, 'utf8')).toBe(renderMarkdown(compareRuns(expected), expected));
    expect(readFileSync(html, 'utf8')).toBe(renderHtml(compareRuns(expected), expected));
  });

  it('prints Markdown on stdout when no output file is named', async () => {
    const result = await run(baseFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| base-run | 2026-11-25T10:00:00.000Z |');
  });

  it('fails with exit code 2 and one line naming a missing file', async () => {
    const missing = join(folder, 'missing.json');
    const result = await run(baseFile, missing);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `bench-report: ${missing}: cannot read it (no such file)\n` });
  });

  it('names the file on bad JSON and on a structure checkRun rejects', async () => {
    const broken = file('broken.json', '{"format": ');
    expect(await run(broken)).toMatchObject({ code: 2, stderr: expect.stringMatching(new RegExp(`^bench-report: ${broken}: not valid JSON \\(.+\\)\\n$`)) });
    const wrongFormat = file('wrong.json', { ...baseline, format: 'espgpu-bench/0' });
    expect(await run(wrongFormat)).toMatchObject({ code: 2, stderr: `bench-report: ${wrongFormat}: format is "espgpu-bench/0", expected "${RUN_FORMAT}" (a file written by bench/run)\n` });
    const badMetric = file('bad-metric.json', { ...baseline, metrics: [{ suite: 'kernels', name: 'conv2d', unit: 'ms', value: 'fast' }] });
    expect(await run(baseFile, badMetric)).toMatchObject({ code: 2, stderr: expect.stringContaining(`${badMetric}: metrics[0] needs`) });
  });

  it('rejects bad arguments with exit code 2 and one line', async () => {
    const unknown = await run(baseFile, '--pdf', 'x.pdf');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("bench-report: unknown option '--pdf'\n");
    expect(await run()).toMatchObject({ code: 2, stderr: "bench-report: missing required argument 'runs'\n" });
    expect(await run(baseFile, '--label', 'a', '--label', 'b')).toMatchObject({ code: 2, stderr: expect.stringContaining('--label was given 2 times for 1 run files') });
  });
});
