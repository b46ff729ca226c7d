// The speed race in one run: espgpu's training step and inference against TensorFlow.js
// (webgpu on the same adapter, wasm) and PyTorch CPU (when python3 can import torch), on
// the same model and batch. Each system runs in its own process, one at a time, and the
// whole round repeats `--rounds` times (A B C A B C …) so drift on a shared machine hits
// every system alike; each figure is the median over rounds. Prints ratios as Markdown on
// stderr and everything as JSON on stdout.
//   node dist/bench/peersCompare.js [--model=mnist-cnn|wrn-40-2] [--batch=128] [--repeats=3] [--rounds=2]
//     [--inference-batch=512]
//     [--python=/usr/bin/python3] [--peers=espgpu,tfjs-webgpu,tfjs-wasm,pytorch-cpu]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round } from '../timing.ts';

interface Figures {
  trainImagesPerSecond: number | null;
  inferenceImagesPerSecond: number | null;
  error?: string;
}

interface Peer {
  name: string;
  command: (o: Options) => [string, string[]];
  /** The figures in the command's JSON output. */
  read: (json: any) => Figures;
}

interface Options {
  model: string;
  batch: number;
  inferenceBatch: number;
  repeats: number;
  rounds: number;
  python: string;
  peers: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** The sizes every peer takes alike: training batch, repeats, inference batch. */
const sizeArgs = (o: Options) => [`--batch=${o.batch}`, `--repeats=${o.repeats}`, `--inference-batch=${o.inferenceBatch}`];

const tfjsPeer = (backend: 'webgpu' | 'wasm'): Peer => ({
  name: `tfjs-${backend}`,
  command: (o) => [process.execPath, [join(root, 'dist/bench/tfjsStep.js'), `--backend=${backend}`, `--model=${o.model}`, ...sizeArgs(o)]],
  read: (json) => json,
});

const PEERS: Peer[] = [
  {
    name: 'espgpu',
    command: (o) => [process.execPath, [join(root, 'dist/bench/run.js'), 'train', `--models=${o.model}`, ...sizeArgs(o)]],
    read: (json) => {
      const result = json.details.train.results[0];
      return { trainImagesPerSecond: result.imagesPerSecond, inferenceImagesPerSecond: result.inference?.imagesPerSecond ?? null };
    },
  },
  tfjsPeer('webgpu'),
  tfjsPeer('wasm'),
  {
    name: 'pytorch-cpu',
    command: (o) => [o.python, [join(root, 'bench/peers/torchStep.py'), `--model=${o.model}`, ...sizeArgs(o)]],
    read: (json) => json,
  },
];

function options(): Options {
  const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const int = (name: string, fallback: number) => {
    const n = Number(args.get(name) ?? fallback);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be an integer ≥ 1, got "${args.get(name)}"`);
    return n;
  };
  const peers = (args.get('peers') ?? PEERS.map((p) => p.name).join(',')).split(',');
  const unknown = peers.filter((p) => !PEERS.some((q) => q.name === p));
  if (unknown.length) throw new Error(`--peers: unknown ${unknown.join(', ')}; expected ${PEERS.map((p) => p.name).join(', ')}`);
  return { model: args.get('model') ?? 'mnist-cnn', batch: int('batch', 128), inferenceBatch: int('inference-batch', 512), repeats: int('repeats', 3), rounds: int('rounds', 2), python: args.get('python') ?? '/usr/bin/python3', peers };
}

/** One run of one peer: its figures, or why it gave none. */
function runPeer(peer: Peer, o: Options): Figures {
  const [command, args] = peer.command(o);
  const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ESPGPU_TUNE: process.env.ESPGPU_TUNE ?? '0' } });
  const start = run.stdout?.indexOf('{') ?? -1;
  if (run.status !== 0 || start < 0) {
    const why = run.error?.message ?? run.stderr?.trim().split('\n').filter((l) => !l.startsWith('Warning:')).slice(-1)[0] ?? `exit ${run.status}`;
    return { trainImagesPerSecond: null, inferenceImagesPerSecond: null, error: why };
  }
  return peer.read(JSON.parse(run.stdout.slice(start)));
}

function medianOf(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? round(median(present)) : null;
}

function main(): void {
  const o = options();
  const peers = PEERS.filter((p) => o.peers.includes(p.name));
  const runs = new Map<string, Figures[]>(peers.map((p) => [p.name, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const peer of peers) {
      const figures = runPeer(peer, o);
      runs.get(peer.name)!.push(figures);
      console.error(`round ${r + 1}/${o.rounds} ${peer.name}: train ${figures.trainImagesPerSecond ?? '–'} img/s, inference ${figures.inferenceImagesPerSecond ?? '–'} img/s${figures.error ? ` (${figures.error})` : ''}`);
    }
  }
  const summary = peers.map((p) => {
    const all = runs.get(p.name)!;
    return { peer: p.name, train: medianOf(all.map((f) => f.trainImagesPerSecond)), inference: medianOf(all.map((f) => f.inferenceImagesPerSecond)), errors: [...new Set(all.flatMap((f) => (f.error ? [f.error] : [])))], runs: all };
  });
  const ours = summary.find((s) => s.peer === 'espgpu');
  const ratio = (a: number | null | undefined, b: number | null) => (a && b ? `${round(a / b)}×` : '–');
  console.error(`\n${o.model}, batch ${o.batch} (inference ${o.inferenceBatch}), median of ${o.rounds} rounds (images/s; espgpu's ratio to each)\n`);
  console.error('| system | train img/s | inference img/s | espgpu ÷ system, train | espgpu ÷ system, inference |');
  console.error('|---|---:|---:|---:|---:|');
  for (const s of summary) {
    const note = s.errors.length ? ` (${s.errors[0]})` : '';
    console.error(`| ${s.peer} | ${s.train ?? `cannot${note}`} | ${s.inference ?? '–'} | ${ratio(ours?.train, s.train)} | ${ratio(ours?.inference, s.inference)} |`);
  }
  console.log(JSON.stringify({ suite: 'peers', date: new Date().toISOString(), model: o.model, batch: o.batch, inferenceBatch: o.inferenceBatch, repeats: o.repeats, rounds: o.rounds, summary }, null, 2));
}

main();
