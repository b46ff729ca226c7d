// The benchmark page: runs the suites of bench/suites on this page's WebGPU device (on the main
// thread), the same code and options as the Node runner bench/run.ts, shows their log, and gives
// the run record (bench/record.ts) as a JSON download and as bench/report.ts's table.
// URL parameters: ?suites=kernels,train (default: all) and every option of bench/options.ts by
// its name (&batch=8&only=conv1&inference-batch=16&profile=1 …), parsed by the same
// parseSuiteOptions as in Node so a bad value gets Node's error; &autostart=1 runs at once.
// State: document.body.dataset (state: idle | running | done | error; error), and the record on
// window.benchRun once a run is done.
import { OPTION_SPECS, parseSuiteOptions, type SuiteOptions } from '../bench/options.ts';
import type { BenchRun } from '../bench/record.ts';
import { compareRuns, renderHtmlFragment, type LabelledRun } from '../bench/report.ts';
import { runSuites } from '../bench/runSuites.ts';
import { selectSuites, SUITES } from '../bench/suites/index.ts';
import type { Suite } from '../bench/suites/suite.ts';
import { acquireDevice } from '../src/device/device.ts';

declare global {
  interface Window {
    /** The last run's record, for Playwright and the console. */
    benchRun?: BenchRun;
  }
}

/** Options with a field in the form; the others are read from the URL only. */
const FORM_OPTIONS = ['batch', 'repeats', 'only', 'models', 'matmul'];
const PAGE_PARAMETERS = ['suites', 'autostart'];

const query = new URLSearchParams(location.search);
const fromUrl = (name: string) => query.get(name) ?? undefined;
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = element<HTMLElement>('status');
const log = element<HTMLPreElement>('log');
const report = element<HTMLElement>('report');
const download = element<HTMLAnchorElement>('download');
const runButton = element<HTMLButtonElement>('run');
const suiteBoxes = new Map<string, HTMLInputElement>();
const optionFields = new Map<string, HTMLInputElement>();

type State = 'idle' | 'running' | 'done' | 'error';

function setState(state: State, message: string): void {
  document.body.dataset.state = state;
  status.textContent = message;
  status.classList.toggle('error', state === 'error');
  runButton.disabled = state === 'running';
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  document.body.dataset.error = message;
  setState('error', `error: ${message}`);
}

// ---- the form ----

function labelled(text: string, input: HTMLInputElement, title: string, textFirst: boolean): HTMLLabelElement {
  const label = document.createElement('label');
  label.title = title;
  label.append(...(textFirst ? [text, input] : [input, text]));
  return label;
}

/** A checkbox a suite and a field for each form option, filled from the URL as given. */
function buildForm(): void {
  const chosen = urlSuiteNames();
  const fields: HTMLLabelElement[] = [];
  for (const suite of SUITES) {
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: chosen.length === 0 || chosen.includes(suite.name) });
    suiteBoxes.set(suite.name, box);
    fields.push(labelled(suite.name, box, suite.summary, false));
  }
  for (const spec of OPTION_SPECS.filter((s) => FORM_OPTIONS.includes(s.name))) {
    const field = Object.assign(document.createElement('input'), { value: query.get(spec.name) ?? '', placeholder: 'default', size: spec.kind === 'int' ? 6 : 14 });
    optionFields.set(spec.name, field);
    fields.push(labelled(spec.name, field, spec.help, true));
  }
  runButton.before(...fields);
  const urlOnly = OPTION_SPECS.filter((s) => !FORM_OPTIONS.includes(s.name)).map((s) => s.name);
  const given = urlOnly.filter((name) => query.has(name)).map((name) => (query.get(name) ? `${name}=${query.get(name)}` : name));
  element('url-options').textContent = `Options read from the URL only (${urlOnly.join(', ')}): ${given.join(', ') || 'none given'}.`;
}

function urlSuiteNames(): string[] {
  return (query.get('suites') ?? '').split(',').map((name) => name.trim()).filter(Boolean);
}

/** The URL's parameters checked as the Node runner checks its command line. */
function checkUrl(): void {
  const known = [...PAGE_PARAMETERS, ...OPTION_SPECS.map((s) => s.name)];
  const unknown = [...query.keys()].filter((name) => !known.includes(name));
  if (unknown.length) throw new Error(`unknown URL parameter ${unknown.join(', ')}; expected ${known.join(', ')}`);
  selectSuites(urlSuiteNames());
  parseSuiteOptions(fromUrl);
}

/** The form's choice; an empty field is an option not given, which takes the suite's default. */
function readForm(): { suites: Suite[]; options: SuiteOptions } {
  const names = [...suiteBoxes].filter(([, box]) => box.checked).map(([name]) => name);
  if (names.length === 0) throw new Error(`no suite chosen: check at least one of ${SUITES.map((s) => s.name).join(', ')}`);
  const lookup = (name: string) => {
    const field = optionFields.get(name);
    return field ? field.value || undefined : fromUrl(name);
  };
  return { suites: selectSuites(names), options: parseSuiteOptions(lookup) };
}

// ---- a run ----

/** Also to the console, where bench/browserRun.ts (headless) shows the progress. */
function logLine(line: string): void {
  console.log(line);
  log.append(`${line}\n`);
  log.scrollTop = log.scrollHeight;
}

/** The record on window.benchRun, as a download, and as bench/report.ts's one-run tables. */
function showRecord(run: BenchRun): void {
  window.benchRun = run;
  if (download.href) URL.revokeObjectURL(download.href);
  download.href = URL.createObjectURL(new Blob([`${JSON.stringify(run, null, 2)}\n`], { type: 'application/json' }));
  download.download = `espgpu-bench-${run.date.slice(0, 19).replace(/:/g, '-')}.json`;
  download.hidden = false;
  const runs: LabelledRun[] = [{ label: 'this run', run }];
  report.innerHTML = renderHtmlFragment(compareRuns(runs), runs);
}

async function run(): Promise<void> {
  const { suites, options } = readForm();
  window.benchRun = undefined;
  delete document.body.dataset.error;
  log.replaceChildren();
  report.replaceChildren();
  download.hidden = true;
  const names = suites.map((s) => s.name).join(', ');
  setState('running', `running ${names}: acquiring a WebGPU device…`);
  const started = performance.now();
  const esp = await acquireDevice();
  try {
    setState('running', `running ${names} on ${esp.adapter.vendor} ${esp.adapter.description}…`);
    const record = await runSuites(esp, suites, options, navigator.userAgent, logLine);
    showRecord(record);
    const seconds = (performance.now() - started) / 1000;
    setState('done', `done in ${seconds.toFixed(1)} s: ${record.metrics.length} metrics from ${names}`);
  } finally {
    esp.dispose();
  }
}

async function start(): Promise<void> {
  buildForm();
  runButton.addEventListener('click', () => void run().catch(fail));
  checkUrl();
  setState('idle', 'Choose the suites and options, then press Run (an empty field takes the suite\'s default).');
  if (query.get('autostart') === '1') await run();
}

start().catch(fail);
