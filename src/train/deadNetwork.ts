// A network that has died (its ReLUs all off, or its logits stuck at one constant) predicts
// the uniform distribution, so its loss sits at ln C whatever the targets, hard or soft, and
// it never learns again. At the MNIST preset's lr 0.1 without warm-up, one of the study's
// first 25 runs died within 100 steps (experiments/results/paper-recipe/table1/l2-seed2), and a Naive run
// hovered near ln 10 for 40 steps before it recovered. Training a dead network on
// wastes the run, so the command line says so once the loss has stayed there long enough.

export interface DeadNetworkWatchOptions {
  /** Consecutive step reports at ln C before the watch fires (a report every 10 steps). */
  reports?: number;
  /** How close to ln C a loss must be, relative to ln C. */
  tolerance?: number;
}

/** Feed it each reported loss; it answers true once, on the report that completes the run of them. */
export function deadNetworkWatch(classes: number, { reports = 10, tolerance = 0.01 }: DeadNetworkWatchOptions = {}): (loss: number) => boolean {
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`deadNetworkWatch: classes must be an integer ≥ 2, got ${classes}`);
  const uniformLoss = Math.log(classes);
  let run = 0;
  let fired = false;
  return (loss) => {
    run = Math.abs(loss - uniformLoss) <= tolerance * uniformLoss ? run + 1 : 0;
    if (fired || run < reports) return false;
    fired = true;
    return true;
  };
}
