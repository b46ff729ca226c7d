// The study's command line: `run` trains a study's runs (resumably), `report` writes the
// tables, the sweep's choice of ε and γ, and the sweep figure. See experiments/README.md.
//   node dist/experiments/study.js run power            # the recipe (mnist-stable, the default --preset)
//   node dist/experiments/study.js run sweep            # then: report
//   node dist/experiments/study.js run table1 ablation  # uses results/sweep/choice.json
//   node dist/experiments/study.js run digits           # MNIST-C on real digits, the same choice
//   node dist/experiments/study.js run digits-sweep     # then: report; then run digits-tuned
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { integerAtLeast, integerBetween, positiveNumber } from '../options.ts';
import { MNIST_DIGITS_SIZES } from '../../src/data/mnistDigits.ts';
import { preset, PRESET_NAMES, type PresetName } from '../../src/train/presets.ts';
import { writeFileAtomicSync } from '../../src/io/atomicFile.ts';
import { chooseFromSweep, DEFAULT_SETTINGS, planStudy, selectRuns, STUDY_NAMES, type Choice, type Run, type StudyName, type StudySettings } from './plan.ts';
import { claimsChart, claimsTable, DID_NOT_TRAIN_ERROR, digitsSection, equivalenceTable, ORDERING_CLAIMS, flatnessChart, flatnessTable, methodTable, PAPER_MNIST_C, pairedCorruptionTable, pairedFlatnessTable, pairedTable, pairRuns, perCorruptionTable, powerTable, RELATIVE_CORRUPTION_ERROR, scoreOf, sweepChart, sweepTable, type Claim, type Comparisons, type RunRecord, type Scored } from './report.ts';
import { prepareSuites, readResults, runAll, StudyInterrupted, suitesOf, type StudyPaths } from './runner.ts';

interface Options {
  results: string;
  work: string;
  cli: string;
  dataDir?: string;
  jobs: number;
  preset: PresetName;
  epochs?: number;
  trainLimit?: number;
  evalLimit?: number;
  seeds: string;
  sweepEpochs?: number;
  sweepTrainLimit: number;
  validation: number;
  digitsValidation: number;
  testSuiteLimit?: number;
  validationSuiteLimit?: number;
  espEpsilon?: number;
  espGamma?: number;
  l2Epsilon?: number;
  flatnessDirections: number;
  flatnessSamples: number;
  methods?: string;
}

const encode = (text: string) => new TextEncoder().encode(text);
const planFile = (o: Options, study: StudyName) => join(o.results, study, 'plan.json');
/** Where a sweep's report writes its choice: sweep/ for Fashion-MNIST, digits-sweep/ for digits. */
const choiceFile = (o: Options, sweep: 'sweep' | 'digits-sweep' = 'sweep') => join(o.results, sweep, 'choice.json');
const readChoice = (file: string) => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Choice) : undefined);

function settingsOf(o: Options): StudySettings {
  const seeds = o.seeds.split(',').map(Number);
  if (seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new Error(`--seeds must be comma-separated integers ≥ 0, got "${o.seeds}"`);
  const flatness = { ...DEFAULT_SETTINGS.flatness, directions: o.flatnessDirections, samples: o.flatnessSamples };
  // Without --epochs (--sweep-epochs), the preset's own: 5 for mnist-stable, 50 for mnist.
  const epochs = o.epochs ?? preset(o.preset).epochs;
  return { ...DEFAULT_SETTINGS, preset: o.preset, epochs, trainLimit: o.trainLimit, evalLimit: o.evalLimit, seeds, sweepEpochs: o.sweepEpochs ?? epochs, sweepTrainLimit: o.sweepTrainLimit, validation: o.validation, digitsValidation: o.digitsValidation, flatness };
}

/** ε and γ given on the command line, else the sweep's choice. */
function choiceOf(o: Options): Choice | undefined {
  if (o.espEpsilon !== undefined || o.espGamma !== undefined || o.l2Epsilon !== undefined) {
    if (o.espEpsilon === undefined || o.espGamma === undefined || o.l2Epsilon === undefined) throw new Error('give all of --esp-epsilon, --esp-gamma and --l2-epsilon, or none (then the sweep chooses)');
    return { esp: { epsilon: o.espEpsilon, gamma: o.espGamma }, l2: { epsilon: o.l2Epsilon } };
  }
  return readChoice(choiceFile(o));
}

/** The ε and γ a study's plan needs: the digits sweep's for digits-tuned, else choiceOf's; none for the sweeps and power. */
function choiceFor(study: StudyName, o: Options): Choice | undefined {
  if (study === 'digits-tuned') return readChoice(choiceFile(o, 'digits-sweep'));
  return study === 'table1' || study === 'ablation' || study === 'digits' ? choiceOf(o) : undefined;
}

const pathsOf = (o: Options): StudyPaths => ({ cli: o.cli, results: o.results, work: o.work, dataDir: o.dataDir });
const log = (line: string) => console.log(`[study ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** The studies' runs under the options; each study's plan.json written (every run, so that `report` finds them whichever run). */
function writePlans(studies: StudyName[], o: Options): { study: StudyName; runs: Run[] }[] {
  const settings = settingsOf(o);
  const plans = studies.map((study) => ({ study, runs: planStudy(study, settings, choiceFor(study, o)) }));
  for (const { study, runs } of plans) writeFileAtomicSync(planFile(o, study), encode(JSON.stringify({ settings, runs }, null, 2) + '\n'));
  return plans;
}

async function run(studies: StudyName[], o: Options): Promise<void> {
  const settings = settingsOf(o);
  const plans = writePlans(studies, o);
  const methods = o.methods?.split(',');
  // Checked before the suites are generated: a listed method no study plans is an error.
  if (methods) selectRuns(plans.flatMap((p) => p.runs), methods);
  // The suites the planned runs are scored on: Fashion-MNIST-C's test / validation, MNIST-C of the test or held-out digits.
  const suites = suitesOf(plans.flatMap((p) => p.runs));
  await prepareSuites(pathsOf(o), { validation: settings.validation, testLimit: o.testSuiteLimit, validationLimit: o.validationSuiteLimit }, log, suites);
  for (const { runs } of plans) {
    const listed = methods?.filter((m) => runs.some((run) => run.method === m));
    await runAll(pathsOf(o), listed ? selectRuns(runs, listed) : runs, o.jobs, log);
  }
}

/** The seeds a study's plan trains: the claims wait for all of them. */
const plannedSeeds = (o: Options, study: StudyName) => new Set(plannedRuns(o, study).map((run) => run.seed)).size;

function plannedRuns(o: Options, study: StudyName): Run[] {
  return existsSync(planFile(o, study)) ? (JSON.parse(readFileSync(planFile(o, study), 'utf8')) as { runs: Run[] }).runs : [];
}

/** The paper's claims as pairs: each perturbation against its base, ESP against L2, and AugMix against plain training. */
const TABLE1_PAIRS = [['l2', 'none'], ['esp', 'none'], ['esp', 'l2'], ['augmix', 'none'], ['augmix+l2', 'augmix'], ['augmix+esp', 'augmix'], ['augmix+esp', 'augmix+l2']] as const;
/** Each ablation against ESP, whose smoothing it removes or makes static. */
const ABLATION_PAIRS: Comparisons = [['esp-hard', 'esp'], ['esp-static', 'esp']];
const PER_CORRUPTION_NOTE = 'Per corruption (points; ± the 95% interval\'s half-width, bold where it excludes 0, and the p-value, raw and adjusted by Holm\'s method over the column\'s corruptions: with 15 a column, about one raw p in twenty is below 0.05 by chance alone):';
const CLAIMS_NOTE = 'Each claim as a paired difference in mean corruption error (method − baseline, per seed), with its 95% interval, the paper\'s own difference on MNIST-C (from Naive 8.01%, L2 7.07%, ESP 6.45%) and whether the interval holds it (outside: these seeds rule out a difference of the paper\'s size, whatever the verdict), the paired seeds a two-sided test at 0.05 would need to detect that difference 80% of the time at the differences\' std measured here (before Holm\'s adjustment, which asks for more), and its paired t-test\'s p-value, raw and adjusted by Holm\'s method over the table\'s claims. A difference is resolved when the adjusted p is below 0.05: the claim is then reproduced on the paper\'s side and reversed on the other; otherwise it is not resolved. No verdict before every planned seed has trained.';
const PAIRED_NOTE = 'Per seed, method − baseline (a seed fixes the initial weights and the batch order, so the difference cancels that part of the spread); mean ± std over the paired seeds and the 95% Student-t interval of the mean. An interval that excludes 0 is a difference these seeds resolve.';

/** A sweep's table, and its choice and figure written beside its runs. */
function sweepSection(o: Options, study: 'sweep' | 'digits-sweep', scored: readonly Scored[], title: string): string {
  const choice = chooseFromSweep(scored);
  writeFileAtomicSync(choiceFile(o, study), encode(JSON.stringify(choice, null, 2) + '\n'));
  writeFileAtomicSync(join(o.results, study, 'sweep.svg'), encode(sweepChart(scored, study === 'digits-sweep' ? 'MNIST-C (digits)' : 'Fashion-MNIST-C')));
  return [title, '', sweepTable(scored), '', `Chosen: ESP ε = ${choice.esp.epsilon}, γ = ${choice.esp.gamma}; L2 ε = ${choice.l2.epsilon}.`, ''].join('\n');
}

function report(o: Options): void {
  const scored = (study: StudyName) => readResults<RunRecord>(pathsOf(o), plannedRuns(o, study)).map(({ record }) => scoreOf(record));
  const sweep = scored('sweep');
  const table1 = scored('table1');
  const ablation = scored('ablation');
  const power = scored('power');
  const digits = scored('digits');
  const digitsSweep = scored('digits-sweep');
  const digitsTuned = scored('digits-tuned');
  const sections = ['# Study results (generated by `study.js report`; do not edit)', ''];
  if (power.length) {
    const schedule = (run: Run) => run.id.replace(/^none-/, '').replace(/-seed\d+$/, '');
    sections.push('## Recipe power (validation split, plain training)', '', `Warm-up ${settingsOf(o).power.warmupEpochs} epoch, then cosine to 0; seed std of the mean corruption error against the 1-point target.`, '', powerTable(power, schedule, 1, settingsOf(o).power.seeds.length), '');
  }
  if (sweep.length) sections.push(sweepSection(o, 'sweep', sweep, '## ε sweep (validation split)'));
  const failureNote = `A run "did not train" when its clean error is ${DID_NOT_TRAIN_ERROR}% or more (chance is 90%); it is left out of the means, the per-corruption table and the paired differences.`;
  if (table1.length) sections.push('## Table 1 (test set, Fashion-MNIST-C)', '', methodTable(table1), '', failureNote, '');
  const orderings = claimsTable(table1, ORDERING_CLAIMS, plannedSeeds(o, 'table1'));
  if (orderings) sections.push('### The paper\'s orderings (MNIST-C: ESP < L2 < Naive)', '', CLAIMS_NOTE, '', orderings, '');
  if (table1.length) sections.push('### Error per corruption (%, mean over the seeds that trained)', '', perCorruptionTable(table1), '');
  const paired = pairedTable(table1, TABLE1_PAIRS);
  if (paired) {
    const perCorruption = pairedCorruptionTable(table1, TABLE1_PAIRS);
    sections.push('### Paired differences', '', PAIRED_NOTE, '', paired, '', PER_CORRUPTION_NOTE, '', perCorruption, '');
    // A method that costs clean error can look robust by its corruption error alone, or hide robustness behind it.
    sections.push('The same pairs by what the corruptions add to the clean error (mean corruption error − clean error; Hendrycks and Dietterich\'s relative mCE without its AlexNet normalisation). A secondary measure: the paper\'s claims are about the mean corruption error above.', '', pairedTable(table1, TABLE1_PAIRS, [RELATIVE_CORRUPTION_ERROR]), '');
  }
  if (table1.some((s) => s.flatness)) {
    writeFileAtomicSync(join(o.results, 'table1', 'flatness.svg'), encode(flatnessChart(table1)));
    const f = table1.find((s) => s.flatness)!.flatness!;
    sections.push('## Flatness (Figure 4 right)', '', `Mean rise of the training loss over ${f.directions} random directions per radius, on ${f.samples} training images (± standard error over the directions).`, '', flatnessTable(table1), '');
    const pairedFlatness = pairedFlatnessTable(table1, [['esp', 'none'], ['augmix', 'none']]);
    // The paper's claim (ESP's minima are flatter): a lower rise, tested seed by seed as the errors are.
    if (pairedFlatness) sections.push('Paired over the seeds both measured (method − Naive, the rise at each radius; ± the 95% interval\'s half-width, bold where it excludes 0, and the p-value, raw and adjusted by Holm\'s method over the radii; below 0: flatter than Naive):', '', pairedFlatness, '');
  }
  // The ablation's arms beside Table 1's ESP runs, their baseline.
  const ablated = [...table1.filter((s) => s.run.method === 'esp'), ...ablation];
  if (ablation.length) sections.push('## Smoothing ablation (test set)', '', methodTable(ablated), '');
  const pairedAblation = pairedTable(ablated, ABLATION_PAIRS);
  if (pairedAblation) sections.push(PAIRED_NOTE, '', pairedAblation, '', PER_CORRUPTION_NOTE, '', pairedCorruptionTable(ablated, ABLATION_PAIRS), '');
  // Figure 4 left: on MNIST-C and CIFAR-10-C removing the smoothing made no significant difference.
  // Equivalent means: a change smaller than the whole gain the paper claims for ESP over Naive.
  const margin = Math.abs(PAPER_MNIST_C.esp!.mean - PAPER_MNIST_C.none!.mean);
  const smoothingClaims: Claim[] = [{ method: 'esp-hard', baseline: 'esp', paper: 'no difference', margin }];
  const ablationClaims = claimsTable(ablated, smoothingClaims, plannedSeeds(o, 'ablation'));
  const equivalenceNote = `The paper claims no difference here, and a difference not resolved is not evidence of none: the claim is reproduced only when the two one-sided tests (Schuirmann's equivalence test) put the difference within ±${margin.toFixed(2)} points, the paper's own gain of ESP over Naive on MNIST-C, at p < 0.05; that is, when the 90% interval lies inside the margin.`;
  if (ablationClaims) sections.push(CLAIMS_NOTE, equivalenceNote, '', ablationClaims, '');
  // Static smoothing of ESP's mean label mass: does tying the smoothing to each perturbation's size matter?
  const equivalence = equivalenceTable(ablated, ABLATION_PAIRS, margin);
  if (equivalence) sections.push(`Both ablations against ESP by the same equivalence test (within ±${margin.toFixed(2)} points of mean corruption error): "not shown" is no evidence of a difference either.`, '', equivalence, '');
  if (digits.length) sections.push(digitsSection(digits, { pairedNote: PAIRED_NOTE, claimsNote: CLAIMS_NOTE, plannedSeeds: plannedSeeds(o, 'digits') }), failureNote, '');
  // The digits the sweep held out, as its plan recorded them (the options may have changed since).
  const heldOutDigits = plannedRuns(o, 'digits-sweep')[0]?.suite?.validation ?? settingsOf(o).digitsValidation;
  if (digitsSweep.length) sections.push(sweepSection(o, 'digits-sweep', digitsSweep, `## ε sweep on digits (the last ${heldOutDigits} training digits)`));
  if (digitsTuned.length) {
    // The tuned L2 and ESP beside the digits study's Naive, the same seeds' very runs.
    const naive = digits.filter((s) => s.run.method === 'none');
    sections.push(digitsSection([...naive, ...digitsTuned], { pairedNote: PAIRED_NOTE, claimsNote: CLAIMS_NOTE, plannedSeeds: plannedSeeds(o, 'digits-tuned'), tunedOn: heldOutDigits }), failureNote, '');
  }
  const claimGroups = [
    { name: 'Fashion-MNIST-C (Table 1)', scored: table1, claims: ORDERING_CLAIMS },
    { name: 'MNIST-C, real digits (Fashion-MNIST sizes)', scored: digits, claims: ORDERING_CLAIMS },
    { name: 'MNIST-C, real digits (sizes chosen on digits)', scored: [...digits.filter((s) => s.run.method === 'none'), ...digitsTuned], claims: ORDERING_CLAIMS },
    { name: 'Fashion-MNIST-C, smoothing ablation (Figure 4 left)', scored: ablated, claims: smoothingClaims },
  ].filter(({ scored, claims }) => claims.some((c) => pairRuns(scored, c.method, c.baseline)));
  if (claimGroups.length) {
    writeFileAtomicSync(join(o.results, 'claims.svg'), encode(claimsChart(claimGroups)));
    sections.push('## The paper\'s claims at a glance', '', 'Every paired difference above as a figure: `claims.svg` (each seed a dot, the mean and its 95% interval, the paper\'s MNIST-C difference as a red diamond, 0 with its equivalence margin as a grey band for a claim of no difference).', '');
  }
  const all = [...sweep, ...table1, ...ablation, ...power, ...digits, ...digitsSweep, ...digitsTuned];
  const hours = all.reduce((a, s) => a + s.wallSeconds, 0) / 3600;
  sections.push(`Runs: ${sweep.length} sweep, ${table1.length} Table 1, ${ablation.length} ablation, ${power.length} recipe power, ${digits.length} digits, ${digitsSweep.length} digits sweep, ${digitsTuned.length} digits tuned; ${hours.toFixed(2)} hours of training and evaluation.`, '');
  writeFileAtomicSync(join(o.results, 'REPORT.md'), encode(sections.join('\n')));
  console.log(sections.join('\n'));
}

function withCommon(command: Command): Command {
  return command
    .option('--results <dir>', 'committed results: one folder per run', 'experiments/results')
    .option('--work <dir>', 'checkpoints and generated suites (not committed)', 'experiments/work')
    .option('--cli <file>', 'the espgpu command', 'dist/cli.js')
    .option('--data-dir <dir>', 'where Fashion-MNIST is (default: Debian\'s package or $ESPGPU_DATA_DIR)')
    .option('--jobs <n>', 'runs at once (1 on a software adapter, which uses every core)', integerAtLeast('--jobs', 1), 1)
    .addOption(new Option('--preset <name>', 'the recipe of the sweep, Table 1, the ablation and the digits (the power study sets its own schedules)').choices(PRESET_NAMES).default(DEFAULT_SETTINGS.preset))
    .option('--epochs <n>', 'epochs of each Table 1 / ablation / digits run (default: the preset\'s)', integerAtLeast('--epochs', 1))
    .option('--train-limit <n>', 'Table 1 / ablation train on the first n training images (default: all)', integerAtLeast('--train-limit', 1))
    .option('--eval-limit <n>', 'every run evaluates on the first n test / validation images (default: all)', integerAtLeast('--eval-limit', 1))
    .option('--seeds <list>', 'seeds of Table 1 / ablation / digits (the sweep uses the first)', DEFAULT_SETTINGS.seeds.join(','))
    .option('--sweep-epochs <n>', 'epochs of each sweep run (default: --epochs)', integerAtLeast('--sweep-epochs', 1))
    .option('--sweep-train-limit <n>', 'training images of each sweep run', integerAtLeast('--sweep-train-limit', 1), DEFAULT_SETTINGS.sweepTrainLimit)
    .option('--validation <n>', 'training images held out for the sweep', integerAtLeast('--validation', 1), DEFAULT_SETTINGS.validation)
    .option('--digits-validation <n>', `training digits held out for the digits sweep (of ${MNIST_DIGITS_SIZES.train}; the rest train)`, integerBetween('--digits-validation', 1, MNIST_DIGITS_SIZES.train - 1), DEFAULT_SETTINGS.digitsValidation)
    .option('--test-suite-limit <n>', 'corrupt only the first n test images (of each test suite: Fashion-MNIST-C, digits)', integerAtLeast('--test-suite-limit', 1))
    .option('--validation-suite-limit <n>', 'corrupt only the first n validation images', integerAtLeast('--validation-suite-limit', 1))
    .option('--esp-epsilon <ε>', 'Table 1 ESP ε instead of the sweep\'s choice', positiveNumber('--esp-epsilon'))
    .option('--esp-gamma <γ>', 'Table 1 ESP γ instead of the sweep\'s choice', positiveNumber('--esp-gamma'))
    .option('--l2-epsilon <ε>', 'Table 1 L2 ε instead of the sweep\'s choice', positiveNumber('--l2-epsilon'))
    .option('--flatness-directions <n>', 'random directions per radius of the flatness runs (Table 1\'s Naive, ESP, AugMix, every seed)', integerAtLeast('--flatness-directions', 2), DEFAULT_SETTINGS.flatness.directions)
    .option('--flatness-samples <n>', 'training images the flatness loss averages over', integerAtLeast('--flatness-samples', 1), DEFAULT_SETTINGS.flatness.samples);
}

function checkStudies(studies: string[]): StudyName[] {
  const bad = studies.find((s) => !STUDY_NAMES.includes(s as StudyName));
  if (bad) throw new Error(`unknown study "${bad}": expected ${STUDY_NAMES.join(', ')}`);
  return studies as StudyName[];
}

const program = new Command('study').description('the ESP robustness study on Fashion-MNIST-C (issue 8)').showHelpAfterError();
withCommon(program.command('run <studies...>').description(`train a study's runs: ${STUDY_NAMES.join(', ')}`))
  .option('--methods <list>', 'run only these methods (e.g. none,l2,esp), seed by seed and in this order within a seed')
  .action(async (studies: string[], o: Options) => run(checkStudies(studies), o));
withCommon(program.command('plan <studies...>').description('write the studies\' plan.json without training: for `espgpu study submit` to a queue (docs/DISTRIBUTED.md)'))
  .action((studies: string[], o: Options) => {
    for (const { study, runs } of writePlans(checkStudies(studies), o)) console.log(`${planFile(o, study)}: ${runs.length} runs`);
  });
withCommon(program.command('report').description('write REPORT.md, the sweep choice and figure from the finished runs')).action((o: Options) => report(o));
program.parseAsync().catch((error: Error) => {
  console.error(`study: ${error.message}`);
  // Stopped by a signal: 128 + its number, as the espgpu commands exit.
  const signal = error instanceof StudyInterrupted ? error.signal : undefined;
  process.exit(signal ? 128 + constants.signals[signal] : 1);
});
