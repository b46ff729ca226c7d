// `espgpu download <name>`: fetches a public data set into <dir>/<name>/, the folder
// loadDataset and loadCorruptionSuite look in when ESPGPU_DATA_DIR names <dir>.
import { resolve, join } from 'node:path';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { DATASET_SOURCES, downloadDataset, parseBaseUrl, type Catalogue, type DownloadProgress } from '../data/download.ts';

interface DownloadArgs {
  dir?: string;
  acceptUnverified?: boolean;
  json?: boolean;
  /** already checked and ending in "/" (see baseUrlArgument) */
  baseUrl?: string;
}

/** Registers `download`; `catalogue` and `fetchImpl` are replaceable for tests. */
export function addDownloadCommand(program: Command, catalogue: Catalogue = DATASET_SOURCES, fetchImpl?: typeof fetch): Command {
  return program
    .command('download')
    .description('download a public data set (checked against its published digest) into <dir>/<name>/')
    .addArgument(new Argument('<name>', 'the data set').choices(Object.keys(catalogue)))
    .option('--dir <dir>', 'root folder of the data sets (default: $ESPGPU_DATA_DIR, else ./data)')
    .option('--accept-unverified', 'keep a file that no published digest can check')
    .addOption(
      new Option('--base-url <url>', 'fetch each file from <url>/<file name> (a mirror) instead of its usual address; the digests still check it')
        .env('ESPGPU_MIRROR')
        .argParser(baseUrlArgument),
    )
    .option('--json', 'print a JSON summary instead of progress lines')
    .action((name: string, args: DownloadArgs) => runDownload(name, args, catalogue, fetchImpl));
}

async function runDownload(name: string, args: DownloadArgs, catalogue: Catalogue, fetchImpl: typeof fetch | undefined): Promise<void> {
  const root = resolve(args.dir ?? (process.env.ESPGPU_DATA_DIR || 'data'));
  const dir = join(root, name);
  const log = args.json ? () => {} : (line: string) => console.log(line);
  log(`downloading ${name} into ${dir}${args.baseUrl ? ` from ${args.baseUrl}` : ''}`);
  const result = await downloadDataset(name, dir, {
    catalogue,
    baseUrl: args.baseUrl,
    fetch: fetchImpl,
    acceptUnverified: args.acceptUnverified,
    onProgress: args.json ? undefined : progressPrinter(log),
  });
  for (const f of result.files) {
    const check = f.verified ? 'verified' : 'NOT verified (no published digest)';
    log(`${f.file}: ${f.skipped ? 'already there, ' : ''}${f.bytes} bytes, sha256 ${f.sha256}, ${check}`);
  }
  if (result.extract) log(`unpack with: ${result.extract}`);
  if (!args.json && root !== resolve(process.env.ESPGPU_DATA_DIR ?? '')) log(`then set ESPGPU_DATA_DIR=${root} (or pass the folder) to load it`);
  if (args.json) console.log(JSON.stringify(result, null, 2));
}

/** Commander's parser for --base-url (and $ESPGPU_MIRROR): its error names the option or the variable. */
function baseUrlArgument(value: string): string {
  try {
    return parseBaseUrl(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** One line each time a file passes another tenth (or another 50 MB when its size is unknown). */
function progressPrinter(log: (line: string) => void): (file: string, p: DownloadProgress) => void {
  const last = new Map<string, number>();
  return (file, p) => {
    const step = p.total ? Math.floor((10 * p.received) / p.total) : Math.floor(p.received / 50e6);
    if (step === (last.get(file) ?? 0)) return;
    last.set(file, step);
    const size = p.total ? ` of ${(p.total / 1e6).toFixed(1)} MB (${((100 * p.received) / p.total).toFixed(0)}%)` : '';
    log(`${file}: ${(p.received / 1e6).toFixed(1)} MB${size}`);
  };
}
