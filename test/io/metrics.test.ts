import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileStore } from '../../src/io/atomicFile.ts';
import { metricsLine, MetricsWriter, parseMetrics } from '../../src/io/metrics.ts';

let folder = '';
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'espgpu-metrics-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('metrics as JSON lines', () => {
  it('appends one line per record, in call order, and parses back', async () => {
    const path = join(folder, 'sub', 'metrics.jsonl');
    const writer = new MetricsWriter(path, nodeFileStore);
    // Not awaited one by one: the writer keeps the order itself.
    const writes = [writer.write('start', { step: 0, settings: { lr: 0.1 } })];
    for (let step = 0; step < 20; step++) writes.push(writer.write('step', { step, loss: 2 / (step + 1) }));
    writes.push(writer.write('done', { status: 'completed', step: 20 }));
    await Promise.all(writes);
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(23);
    const records = parseMetrics(text, path);
    expect(records.map((r) => r.event)).toEqual(['start', ...Array(20).fill('step'), 'done']);
    expect(records.filter((r) => r.event === 'step').map((r) => r.step)).toEqual([...Array(20).keys()]);
    expect(records[3]!.loss).toBe(2 / 3);
    expect(records[0]!.settings).toEqual({ lr: 0.1 });
    for (const r of records) expect(Number.isNaN(Date.parse(r.time))).toBe(false);
  });

  it('keeps a diverged loss visible: non-finite numbers become strings', () => {
    const line = metricsLine({ event: 'step', time: 't', loss: NaN, lr: Infinity, other: -Infinity, ok: 1.5 });
    expect(line).toBe('{"event":"step","time":"t","loss":"NaN","lr":"Infinity","other":"-Infinity","ok":1.5}\n');
  });

  it('drops the unfinished last line of a killed run, and names a damaged line', async () => {
    const whole = metricsLine({ event: 'step', time: 't', step: 1 });
    expect(parseMetrics(`${whole}{"event":"st`, 'm.jsonl')).toHaveLength(1);
    expect(() => parseMetrics(`${whole}{"event":"st\n${whole}`, 'm.jsonl')).toThrow(/^m\.jsonl: line 2 is not JSON/);
    expect(() => parseMetrics(`${whole}[1]\n`, 'm.jsonl')).toThrow(/^m\.jsonl: line 2 is not a metrics record/);
    expect(() => parseMetrics('{"event":"nope","time":"t"}\n', 'm.jsonl')).toThrow(/line 1 is not a metrics record/);
    expect(parseMetrics('', 'm.jsonl')).toEqual([]);
  });

  it('appends to an existing file rather than replacing it', async () => {
    const path = join(folder, 'm.jsonl');
    await writeFile(path, metricsLine({ event: 'start', time: 't' }));
    await new MetricsWriter(path, nodeFileStore).write('done', { step: 3 });
    expect(parseMetrics(await readFile(path, 'utf8'), path).map((r) => r.event)).toEqual(['start', 'done']);
  });
});
