// The benchmark suites' options, declared once: the Node runner turns them into command-line
// flags (`--inference-batch 512`), the browser page reads them from its URL
// (`?inference-batch=512`), and both parse the text here, so a bad value gets the same error.
import { CONV_ALGORITHMS, type ConvAlgorithm } from '../src/kernels/conv2d.ts';
import { GEMM_VARIANTS, type GemmConfig } from '../src/kernels/gemmConfig.ts';
import { parseGemmConfig } from '../src/tuning/tuningStore.ts';
import { MODELS } from '../src/nn/models/index.ts';

export interface SuiteOptions {
  /** Batch of the kernels, augmentations and training steps; each suite has its default. */
  batch?: number;
  /** Timed runs after the warm-up; each suite has its default. */
  repeats?: number;
  /** Substring filter on kernel benchmark names. */
  only?: string;
  /** Size n of the n³ matmul the GEMM rate is measured at. */
  matmul: number;
  /** Models of the training suite. */
  models?: string[];
  /** ResNet-18's batch in the training suite (its 64-pixel step is 4× a CIFAR one). */
  resnetBatch?: number;
  /** Forward-only batch of the training suite. */
  inferenceBatch?: number;
  /** Measure inference in the training suite. */
  inference: boolean;
  /** Time each layer apart in the training suite. */
  profile: boolean;
  /** GPU time of each kernel over one training step (needs timestamp queries). */
  kernelProfile: boolean;
  /** Time a WRN-40-2 step in the augmentation suite, to put 32×32×3 augmentations in proportion. */
  wrn: boolean;
  /** Training images of the epoch suite. */
  images: number;
  /** How every suite runs stride-1 3×3 convolutions (the library's default when undefined). */
  conv?: ConvAlgorithm;
  /** The GEMM tile of every suite (the adapter's default when undefined). */
  gemm?: GemmConfig;
}

export interface OptionSpec {
  /** As on the command line and in the URL, kebab-case. */
  name: string;
  kind: 'int' | 'text' | 'list' | 'flag' | 'negatable';
  help: string;
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'batch', kind: 'int', help: 'batch size (suite defaults: 128; ResNet-18 32)' },
  { name: 'repeats', kind: 'int', help: 'timed runs after the warm-up (kernels 3, augment 5, training: 5 for the MNIST CNN, 1 for the others)' },
  { name: 'only', kind: 'text', help: 'run only the kernel benchmarks whose name contains this text' },
  { name: 'matmul', kind: 'int', help: 'size n of the n³ matmul giving the GEMM rate (default 1024)' },
  { name: 'models', kind: 'list', help: 'training suite models, comma-separated (default mnist-cnn,wrn-40-2,resnet18)' },
  { name: 'resnet-batch', kind: 'int', help: "ResNet-18's batch in the training suite (default: --batch, else 32)" },
  { name: 'inference-batch', kind: 'int', help: 'forward-only batch (default 512 for the MNIST CNN, the step batch otherwise)' },
  { name: 'inference', kind: 'negatable', help: 'measure inference in the training suite (default on; --no-inference skips it)' },
  { name: 'profile', kind: 'flag', help: 'time every layer of the training step apart' },
  { name: 'kernel-profile', kind: 'flag', help: "GPU time of each kernel over one training step (adapters with timestamp queries)" },
  { name: 'images', kind: 'int', help: 'training images of the epoch suite (default 2048; a quarter as many are evaluated)' },
  { name: 'conv', kind: 'text', help: `how stride-1 3×3 convolutions run in every suite: ${CONV_ALGORITHMS.join(' or ')} (default auto)` },
  { name: 'gemm', kind: 'text', help: `GEMM tile of every suite, VARIANT:WG_MxWG_N:TMxTN, VARIANT one of ${GEMM_VARIANTS.join(', ')} (default: the adapter's)` },
  { name: 'wrn', kind: 'flag', help: 'augmentation suite: also time a WRN-40-2 step (tens of seconds on a software adapter)' },
];

/**
 * Parses option text. `lookup` returns an option's text (a flag's may be '', 'true', '1',
 * 'false' or '0') or undefined when it was not given.
 */
export function parseSuiteOptions(lookup: (name: string) => string | undefined): SuiteOptions {
  const int = (name: string) => {
    const text = lookup(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`option ${name} must be a positive integer, got "${text}"`);
    return value;
  };
  const flag = (name: string, fallback: boolean) => {
    const text = lookup(name);
    if (text === undefined) return fallback;
    if (['', 'true', '1'].includes(text)) return true;
    if (['false', '0'].includes(text)) return false;
    throw new Error(`option ${name} is a switch: expected true/1 or false/0, got "${text}"`);
  };
  const models = lookup('models')?.split(',').map((m) => m.trim()).filter(Boolean);
  // Checked here, not when the training suite reaches them minutes later.
  const unknown = models?.filter((m) => !(m in MODELS)) ?? [];
  if (unknown.length) throw new Error(`option models: unknown ${unknown.join(', ')}; expected names from ${Object.keys(MODELS).join(', ')}`);
  const conv = lookup('conv');
  if (conv !== undefined && !CONV_ALGORITHMS.includes(conv as ConvAlgorithm)) throw new Error(`option conv: expected ${CONV_ALGORITHMS.join(' or ')}, got "${conv}"`);
  return {
    conv: conv as ConvAlgorithm | undefined,
    gemm: gemmTile(lookup('gemm')),
    batch: int('batch'),
    repeats: int('repeats'),
    only: lookup('only') || undefined,
    matmul: int('matmul') ?? 1024,
    models: models?.length ? models : undefined,
    resnetBatch: int('resnet-batch'),
    inferenceBatch: int('inference-batch'),
    inference: flag('inference', true),
    profile: flag('profile', false),
    kernelProfile: flag('kernel-profile', false),
    wrn: flag('wrn', false),
    images: int('images') ?? 2048,
  };
}

/** `gemmRegisters:1x8:16x8` → that GemmConfig (TK 8, which only the tiled variant reads). */
function gemmTile(text: string | undefined): GemmConfig | undefined {
  if (text === undefined) return undefined;
  const match = /^(\w+):(\d+)x(\d+):(\d+)x(\d+)$/.exec(text.trim());
  const config = match && parseGemmConfig({ variant: match[1], WG_M: Number(match[2]), WG_N: Number(match[3]), TM: Number(match[4]), TN: Number(match[5]), TK: 8 });
  if (!config) throw new Error(`option gemm: expected VARIANT:WG_MxWG_N:TMxTN with VARIANT one of ${GEMM_VARIANTS.join(', ')} and sizes 1…1024, got "${text}"`);
  return config;
}

/** The options as given, for the run record (undefined ones dropped). */
export function recordedOptions(options: SuiteOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
