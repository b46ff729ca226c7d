// The augmentation flags of `train` and `demo`, declared once, and how they become a RunSpec's
// augmentation: the method decides where ε and its companions go (ESP's settings or L2's), so
// `--method augmix+none` asks for nothing and `--method bogus` is named as a bad method.
import type { Command } from 'commander';
import { parseMethod, PERTURBATIONS, type AugmentationOptions } from '../augment/pipeline.ts';
import { ValidationError } from '../validate.ts';
import { nonNegativeNumber, positiveNumber } from './arguments.ts';

export interface AugmentationArgs {
  method?: string;
  epsilon?: number;
  tau?: number;
  sigma?: number;
  gamma?: number;
  xi?: number;
  probability?: number;
  labelSmoothing?: number;
}

/** Declares the flags; `defaults` only shape the help text (the values are applied by augmentationFromArgs). */
export function withAugmentationOptions(command: Command, defaults: { method: string; epsilon?: number; gamma?: number }): Command {
  const fallback = (value: number | undefined, otherwise: string) => (value === undefined ? otherwise : `default ${value}`);
  return command
    .option('--method <name>', `augmentation: ${PERTURBATIONS.join(', ')}, optionally "augmix+" in front (default ${defaults.method})`)
    .option('--epsilon <ε>', `ESP mean perturbation size, or the L2 noise radius, in [0, 1] pixels (${fallback(defaults.epsilon, 'required by esp and l2')})`, nonNegativeNumber('--epsilon'))
    .option('--tau <τ>', 'ESP half-width of the size interval (default ε)', positiveNumber('--tau'))
    .option('--sigma <σ>', 'ESP standard deviation of the size (default τ/2)', positiveNumber('--sigma'))
    .option('--gamma <γ>', `ESP true-to-other label mass at the most smoothing (${fallback(defaults.gamma, 'default 10')})`, positiveNumber('--gamma'))
    .option('--xi <ξ>', 'ESP smoothing floor, in (0, 1 − 1/C), instead of γ', positiveNumber('--xi'))
    .option('--probability <p>', 'chance of perturbing each sample (default 1)', nonNegativeNumber('--probability'))
    .option('--label-smoothing <α>', 'static label smoothing on top, in [0, 1)', nonNegativeNumber('--label-smoothing'));
}

/**
 * The flags over `base` (a spec file's augmentation, or the command's defaults): the method's
 * perturbation takes ε, τ, σ, γ, ξ and the probability; a flag that no part of the method
 * reads is an error rather than silently ignored.
 */
export function augmentationFromArgs(args: AugmentationArgs, base: AugmentationOptions = {}): AugmentationOptions {
  const methodName = args.method ?? base.method ?? 'none';
  const { perturbation } = parseMethod(methodName);
  // Only the method's own perturbation settings are kept: they are recorded in checkpoints.
  const { esp: baseEsp, l2: baseL2, ...rest } = base;
  const out: AugmentationOptions = { ...rest, method: methodName };
  if (args.labelSmoothing !== undefined) out.labelSmoothing = args.labelSmoothing;
  const sizeFlags = { epsilon: args.epsilon, tau: args.tau, sigma: args.sigma, gamma: args.gamma, xi: args.xi, probability: args.probability };
  const given = Object.entries(sizeFlags).filter(([, v]) => v !== undefined);
  if (perturbation === 'esp' || perturbation === 'esp-hard') {
    out.esp = { ...baseEsp, ...Object.fromEntries(given) } as AugmentationOptions['esp'];
    if (out.esp?.epsilon === undefined) throw new ValidationError(`--method ${methodName} needs --epsilon, the mean perturbation size in [0, 1] pixels`);
  } else if (perturbation === 'l2') {
    const espOnly = given.find(([k]) => k !== 'epsilon' && k !== 'probability');
    if (espOnly) throw new ValidationError(`--${espOnly[0]} is an ESP setting; --method ${methodName} does not use it`);
    out.l2 = { ...baseL2, ...Object.fromEntries(given) } as AugmentationOptions['l2'];
    if (out.l2?.epsilon === undefined) throw new ValidationError(`--method ${methodName} needs --epsilon, the noise radius in [0, 1] pixels`);
  } else if (given.length > 0) {
    throw new ValidationError(`--${given[0]![0]} sets the size of a perturbation; --method ${methodName} has none (use l2, esp or esp-hard)`);
  }
  return out;
}
