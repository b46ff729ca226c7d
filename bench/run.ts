// The benchmark runner for Node: runs the suites (all by default) on one Dawn device, prints
// progress on stderr and the run record (record.ts) as JSON on stdout or into --out, which
// `bench/reportMain.ts` puts side by side with other runs (this machine's earlier runs, a
// browser's, a real GPU's). The browser page (web/bench.ts) runs the same suites.
//   node dist/bench/run.js [kernels] [augment] [train] [--out run.json] [--batch 128] …
import { Command, Option } from 'commander';
import { writeFileAtomic } from '../src/io/atomicFile.ts';
import { acquireDevice } from '../src/device/device.ts';
import { OPTION_SPECS, parseSuiteOptions } from './options.ts';
import { runSuites } from './runSuites.ts';
import { selectSuites, SUITES } from './suites/index.ts';

function optionOf(spec: (typeof OPTION_SPECS)[number]): Option {
  switch (spec.kind) {
    case 'flag':
      return new Option(`--${spec.name}`, spec.help);
    case 'negatable':
      return new Option(`--no-${spec.name}`, spec.help);
    default:
      return new Option(`--${spec.name} <${spec.kind === 'int' ? 'n' : spec.kind}>`, spec.help);
  }
}

const camel = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

const program = new Command('bench')
  .description(`Run espgpu's benchmark suites: ${SUITES.map((s) => `${s.name} (${s.summary})`).join('; ')}`)
  .argument('[suites...]', `suites to run: ${SUITES.map((s) => s.name).join(', ')} (default: all)`)
  .option('--out <file>', 'write the run record here (JSON, written atomically) instead of stdout')
  .option('--adapter <name>', 'pick the adapter whose name contains this (also $ESPGPU_ADAPTER)')
  .showHelpAfterError();
for (const spec of OPTION_SPECS) program.addOption(optionOf(spec));

program.action(async (names: string[], opts: Record<string, unknown>) => {
  const suites = selectSuites(names);
  const options = parseSuiteOptions((name) => {
    const value = opts[camel(name)];
    return value === undefined ? undefined : String(value);
  });
  const esp = await acquireDevice({ adapter: opts.adapter as string | undefined });
  try {
    const run = await runSuites(esp, suites, options, `node ${process.version}`, (line) => console.error(line));
    const json = `${JSON.stringify(run, null, 2)}\n`;
    if (opts.out) {
      await writeFileAtomic(opts.out as string, new TextEncoder().encode(json));
      console.error(`\nrun record written to ${opts.out}`);
    } else process.stdout.write(json);
  } finally {
    esp.dispose();
  }
});

program.parseAsync().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
