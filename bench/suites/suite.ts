// What every benchmark suite is: a name, a line saying what it measures, and a run that takes
// a Gpu and the parsed options and returns its figures. Suites touch nothing of Node or the
// browser, so the Node runner and the browser page run the same code.
import type { Gpu } from '../../src/gpu/gpu.ts';
import type { SuiteOptions } from '../options.ts';
import type { Metric } from '../record.ts';

export interface SuiteContext {
  gpu: Gpu;
  options: SuiteOptions;
  /** A progress line for people watching (stderr in Node, the page's log in a browser). */
  log(line: string): void;
}

export interface SuiteOutput {
  metrics: Metric[];
  details: Record<string, unknown>;
}

export interface Suite {
  name: string;
  summary: string;
  run(context: SuiteContext): Promise<SuiteOutput>;
}
