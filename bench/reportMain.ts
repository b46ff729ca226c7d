// The benchmark report command: reads run files written by the benchmarks (bench/record.ts)
// and writes them side by side as Markdown and/or HTML (bench/report.ts).
//
//   node dist/bench/report.js RUN.json [RUN.json …] [--label NAME …] [--markdown OUT.md] [--html OUT.html]
//
// Without --markdown or --html the Markdown goes to stdout. Exit code 2 for bad arguments or
// a bad run file (one line on stderr naming the file), 1 for anything else (a failed write).
import { Command, CommanderError } from 'commander';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../src/io/atomicFile.ts';
import { checkRun } from './record.ts';
import { compareRuns, labelFiles, renderHtml, renderMarkdown, type LabelledRun } from './report.ts';

const NAME = 'bench-report';

export interface ReportOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processOutput: ReportOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

interface ReportOptions {
  label?: string[];
  markdown?: string;
  html?: string;
}

async function readRun(file: string, label: string): Promise<LabelledRun> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`${file}: cannot read it (${e.code === 'ENOENT' ? 'no such file' : e.message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return { label, run: checkRun(value, file) };
}

function commandLine(output: ReportOutput): Command {
  return new Command(NAME)
    .description('put benchmark runs side by side as Markdown (stdout by default) or HTML')
    .argument('<runs...>', 'run files (JSON) written by the benchmarks; the first is the baseline of the ratios')
    .option('--label <name>', 'label of the next run file, in order (repeatable; default: the file name)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--markdown <file>', 'write the Markdown report here')
    .option('--html <file>', 'write the HTML report here')
    .exitOverride()
    .configureOutput({
      writeOut: output.stdout,
      writeErr: output.stderr,
      // Commander's usage errors read "error: …"; one line, named like the other errors.
      outputError: (text, write) => write(`${NAME}: ${text.replace(/^error: /, '')}`),
    });
}

/** Runs the command on `argv` (without node and the script) and returns the exit code. */
export async function reportMain(argv: string[], output: ReportOutput = processOutput): Promise<number> {
  const program = commandLine(output);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    // Help and version end here too, with exit code 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const opts = program.opts<ReportOptions>();
  let runs: LabelledRun[];
  try {
    const labels = labelFiles(program.args, opts.label ?? []);
    runs = await Promise.all(program.args.map((file, i) => readRun(file, labels[i]!)));
  } catch (error) {
    return fail(output, error, 2);
  }
  const table = compareRuns(runs);
  try {
    if (opts.markdown) await writeFileAtomic(opts.markdown, utf8(renderMarkdown(table, runs)));
    if (opts.html) await writeFileAtomic(opts.html, utf8(renderHtml(table, runs)));
  } catch (error) {
    return fail(output, error, 1);
  }
  if (!opts.markdown && !opts.html) output.stdout(renderMarkdown(table, runs));
  return 0;
}

function fail(output: ReportOutput, error: unknown, exitCode: number): number {
  output.stderr(`${NAME}: ${(error as Error).message}\n`);
  return exitCode;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await reportMain(process.argv.slice(2));
}
