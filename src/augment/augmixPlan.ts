// AugMix (ALGORITHMS.md §6): the CPU draws every random choice of one view for a batch
// (planAugMix), the GPU applies the chains and mixes them in one dispatch (augmixView).
//
// Random choices come from Philox4x32-10 keyed by the seed with counter
// (view << 16 | block, global sample index, step, Stream.augmix), so a sample's choices depend
// only on (seed, step, view, sample index), never on the batch it sits in. Blocks:
//   3·chain + slot (< 48)        op slot `slot` of chain `chain`; words: op, level, sign, depth
//                                (the depth word is read at slot 0 only)
//   64 + 16·g + attempt          Gamma draw g (chains 0..width−1, then the Beta pair);
//                                Marsaglia–Tsang uses one block per attempt, at most 16
//
// The plan's encoding and the kernel are kernels/augmixEncoding.ts and kernels/augmix.ts.
import { AUGMIX_OPS, checkImageSize, MAX_DEPTH, MAX_SIDE, MAX_WIDTH, NO_OP, type AugMixOp, type AugMixPlan } from '../kernels/augmixEncoding.ts';
import { Stream, philox4x32, seedKey, uniform01, uniformOpen01 } from '../rng/philox.ts';
import { checkBoolean, checkInteger, checkKnownKeys, checkNumber, checkObject, checkU32, fail } from '../validate.ts';

const DEFAULT_OP_COUNT = 9;
/** Marsaglia–Tsang attempts per Gamma draw; each accepts with probability > 0.95. */
export const GAMMA_MAX_ATTEMPTS = 16;

export interface AugMixOptions {
  /** Chains, 1..16 (default 3). */
  width?: number;
  /** Ops per chain: −1 draws 1..3 for each chain (default), else fixed 1..3. */
  depth?: number;
  /** sample_level(S) = U(0.1, S); S in (0.1, 10], default 3. */
  severity?: number;
  /** Dirichlet(α, …, α) chain weights and Beta(α, α) mixing weight; α in [0.01, 100], default 1. */
  alpha?: number;
  /** Also draw color, contrast, brightness and sharpness (augmentations_all). Default false. */
  allOps?: boolean;
}
interface Settings {
  width: number;
  depth: number;
  severity: number;
  alpha: number;
  opCount: number;
}

/** AugMix's options checked and completed with the defaults. */
export function augmixSettings(options: AugMixOptions = {}, where = 'planAugMix'): Settings {
  checkObject(where, 'options', options);
  checkKnownKeys(`${where}: options`, options, ['width', 'depth', 'severity', 'alpha', 'allOps']);
  const { width = 3, depth = -1, severity = 3, alpha = 1, allOps = false } = options;
  checkInteger(where, 'options.width', width, { min: 1, max: MAX_WIDTH });
  if (!(depth === -1 || (Number.isInteger(depth) && depth >= 1 && depth <= MAX_DEPTH))) fail(where, 'options.depth', `-1 (random 1..3 per chain) or an integer in [1, ${MAX_DEPTH}]`, depth);
  checkNumber(where, 'options.severity', severity, { above: 0.1, max: 10 });
  checkNumber(where, 'options.alpha', alpha, { min: 0.01, max: 100 });
  checkBoolean(where, 'options.allOps', allOps);
  return { width, depth, severity, alpha, opCount: allOps ? AUGMIX_OPS.length : DEFAULT_OP_COUNT };
}
// ---------------------------------------------------------------------------------------------
// Drawing the choices

/** Python's int() of augmentations.py: truncation toward zero. */
function intParameter(level: number, max: number): number {
  return Math.trunc((level * max) / 10);
}

function floatParameter(level: number, max: number): number {
  return (level * max) / 10;
}

/** The op's parameter from sample_level's level, the sign word and the image width. */
export function opParameter(op: AugMixOp, level: number, negative: boolean, imageWidth: number): number {
  const signed = (v: number) => (negative ? -v : v) + 0; // + 0 turns −0 into 0
  switch (op) {
    case 'autocontrast':
    case 'equalize':
      return 0;
    case 'posterize':
      return 4 - intParameter(level, 4);
    case 'solarize':
      return 256 - intParameter(level, 256);
    case 'rotate':
      return signed(intParameter(level, 30));
    case 'shear_x':
    case 'shear_y':
      return signed(floatParameter(level, 0.3));
    case 'translate_x':
    case 'translate_y':
      return signed(intParameter(level, imageWidth / 3));
    case 'color':
    case 'contrast':
    case 'brightness':
    case 'sharpness':
      return floatParameter(level, 1.8) + 0.1;
  }
}

/** ln of a Gamma(α, 1) variate from the blocks of one draw (`block(t)` gives attempt t's words). */
function logGamma(alpha: number, block: (attempt: number) => Uint32Array): number {
  const first = block(0);
  // Exponential: exact, one word.
  if (alpha === 1) return Math.log(-Math.log(uniformOpen01(first[0]!)));
  // Marsaglia–Tsang needs α ≥ 1: draw Gamma(α + 1) and scale by U^(1/α) (in logs, so tiny α cannot underflow).
  const a = alpha < 1 ? alpha + 1 : alpha;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  let logX = Math.log(d); // after GAMMA_MAX_ATTEMPTS rejections (p < 1e-20): the mode-like value d
  for (let attempt = 0; attempt < GAMMA_MAX_ATTEMPTS; attempt++) {
    const w = attempt === 0 ? first : block(attempt);
    const z = Math.sqrt(-2 * Math.log(uniformOpen01(w[0]!))) * Math.cos(2 * Math.PI * uniform01(w[1]!) - Math.PI);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    if (Math.log(uniformOpen01(w[2]!)) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
      logX = Math.log(d * v);
      break;
    }
  }
  return alpha < 1 ? logX + Math.log(uniformOpen01(first[3]!)) / alpha : logX;
}

/** Normalised exp of log-weights; all −∞ (every Gamma draw was 0) gives equal weights. */
function softmax(logs: readonly number[]): number[] {
  const top = Math.max(...logs);
  if (top === -Infinity) return logs.map(() => 1 / logs.length);
  const e = logs.map((v) => Math.exp(v - top));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
}

export interface PlanAugMixArgs {
  /** Non-negative safe integer: the Philox key. */
  seed: number;
  /** u32 counter word: training step (or epoch·steps + step). */
  step: number;
  /** View index < 65536 (0 and 1 for the two AugMix views of the JSD loss). */
  view: number;
  /** Global index of the batch's first sample. */
  firstSample: number;
  batch: number;
  imageSize: readonly [number, number, number];
  options?: AugMixOptions;
}

export function planAugMix(args: PlanAugMixArgs): AugMixPlan {
  const { seed, step, view, firstSample, batch } = args;
  const settings = augmixSettings(args.options);
  const imageSize = checkImageSize('planAugMix', 'imageSize', args.imageSize);
  checkU32('planAugMix', 'step', step);
  if (!Number.isInteger(view) || view < 0 || view > 0xffff) throw new Error(`planAugMix: view must be an integer in [0, 65535], got ${view}`);
  checkU32('planAugMix', 'firstSample', firstSample);
  if (!Number.isInteger(batch) || batch < 1 || firstSample + batch - 1 > 0xffffffff) {
    throw new Error(`planAugMix: batch must be an integer >= 1 with firstSample + batch - 1 a u32, got batch ${batch} from ${firstSample}`);
  }
  const key = seedKey(seed);
  const plan = emptyPlan(batch, settings.width, imageSize);
  for (let b = 0; b < batch; b++) {
    const words = (block: number) => philox4x32([((view << 16) | block) >>> 0, firstSample + b, step, Stream.augmix], key);
    drawSample(plan, b, settings, words);
  }
  return plan;
}

function emptyPlan(batch: number, width: number, imageSize: [number, number, number]): AugMixPlan {
  const slots = batch * width * MAX_DEPTH;
  return {
    batch,
    width,
    imageSize,
    mix: new Float32Array(batch),
    weights: new Float32Array(batch * width),
    ops: new Uint8Array(slots).fill(NO_OP),
    params: new Float64Array(slots),
  };
}

function drawSample(plan: AugMixPlan, b: number, s: Settings, words: (block: number) => Uint32Array): void {
  const imageWidth = plan.imageSize[2];
  for (let chain = 0; chain < s.width; chain++) {
    let depth = s.depth;
    for (let slot = 0; slot < MAX_DEPTH; slot++) {
      const w = words(3 * chain + slot);
      if (slot === 0 && depth < 0) depth = 1 + Math.floor(3 * uniform01(w[3]!));
      if (slot >= depth) break;
      const op = Math.floor(s.opCount * uniform01(w[0]!));
      const level = 0.1 + (s.severity - 0.1) * uniform01(w[1]!);
      const at = (b * s.width + chain) * MAX_DEPTH + slot;
      plan.ops[at] = op;
      plan.params[at] = opParameter(AUGMIX_OPS[op]!, level, uniform01(w[2]!) > 0.5, imageWidth);
    }
  }
  const logs = Array.from({ length: s.width + 2 }, (_, g) => logGamma(s.alpha, (attempt) => words(64 + 16 * g + attempt)));
  softmax(logs.slice(0, s.width)).forEach((w, chain) => (plan.weights[b * s.width + chain] = w));
  const [logA, logB] = [logs[s.width]!, logs[s.width + 1]!];
  plan.mix[b] = logA === -Infinity && logB === -Infinity ? 0.5 : 1 / (1 + Math.exp(logB - logA));
}

// ---------------------------------------------------------------------------------------------
// Plans from explicit choices (tests, demos)

export interface ChosenOp {
  op: AugMixOp;
  /** In PIL's units (see AugMixPlan.params); omit for autocontrast and equalize. */
  param?: number;
}

export interface ChosenSample {
  /** m in [0, 1]. */
  mix: number;
  /** One weight per chain (not renormalised). */
  weights: readonly number[];
  /** One list of 1..3 ops per chain. */
  chains: readonly (readonly ChosenOp[])[];
}

/** Ranges the kernel handles exactly (wider than what planAugMix draws at severity ≤ 10). */
function checkParam(op: AugMixOp, param: number, where: string): void {
  const fail = (range: string) => new Error(`planFromChoices: ${where} ${op} param must be ${range}, got ${param}`);
  switch (op) {
    case 'autocontrast':
    case 'equalize':
      if (param !== 0) throw fail('0 or omitted');
      return;
    case 'posterize':
      if (!Number.isInteger(param) || param < 0 || param > 8) throw fail('integer bits in [0, 8]');
      return;
    case 'solarize':
      if (!Number.isInteger(param) || param < 0 || param > 256) throw fail('an integer threshold in [0, 256]');
      return;
    case 'rotate':
      if (!(Math.abs(param) <= 180)) throw fail('degrees in [-180, 180]');
      return;
    case 'shear_x':
    case 'shear_y':
      if (!(Math.abs(param) <= 1)) throw fail('in [-1, 1]');
      return;
    case 'translate_x':
    case 'translate_y':
      if (!(Math.abs(param) <= MAX_SIDE)) throw fail(`pixels in [-${MAX_SIDE}, ${MAX_SIDE}]`);
      return;
    default:
      if (!(param >= 0 && param <= 2)) throw fail('an enhance factor in [0, 2]');
  }
}

export function planFromChoices(imageSize: readonly [number, number, number], samples: readonly ChosenSample[]): AugMixPlan {
  const size = checkImageSize('planFromChoices', 'imageSize', imageSize);
  const width = samples[0]?.chains.length ?? 0;
  if (samples.length < 1 || width < 1 || width > MAX_WIDTH) throw new Error(`planFromChoices: samples must be non-empty with 1..${MAX_WIDTH} chains, got ${samples.length} samples of ${width} chains`);
  const plan = emptyPlan(samples.length, width, size);
  samples.forEach((sample, b) => {
    if (sample.chains.length !== width || sample.weights.length !== width) {
      throw new Error(`planFromChoices: sample ${b} must have ${width} chains and weights like sample 0, got ${sample.chains.length} and ${sample.weights.length}`);
    }
    if (!(sample.mix >= 0 && sample.mix <= 1)) throw new Error(`planFromChoices: sample ${b} mix must be in [0, 1], got ${sample.mix}`);
    plan.mix[b] = sample.mix;
    sample.chains.forEach((chain, i) => {
      if (chain.length < 1 || chain.length > MAX_DEPTH) throw new Error(`planFromChoices: sample ${b} chain ${i} must hold 1..3 ops, got ${chain.length}`);
      plan.weights[b * width + i] = sample.weights[i]!;
      chain.forEach(({ op, param = 0 }, slot) => {
        const id = AUGMIX_OPS.indexOf(op);
        if (id < 0) throw new Error(`planFromChoices: sample ${b} chain ${i} op must be one of ${AUGMIX_OPS.join(', ')}, got ${String(op)}`);
        checkParam(op, param, `sample ${b} chain ${i}`);
        plan.ops[(b * width + i) * MAX_DEPTH + slot] = id;
        plan.params[(b * width + i) * MAX_DEPTH + slot] = param;
      });
    });
  });
  return plan;
}
