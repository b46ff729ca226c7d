// Runs suites on one device and gathers a run record (record.ts). Shared by the Node runner
// and the browser page; each supplies the device, the runtime's name and where log lines go.
import { version } from '../package.json';
import type { AcquiredDevice } from '../src/device/device.ts';
import { Gpu } from '../src/gpu/gpu.ts';
import { setConvAlgorithm } from '../src/kernels/conv2d.ts';
import { gemmConfig, setGemmConfig } from '../src/kernels/gemmConfig.ts';
import { describeGemmConfig } from '../src/tuning/gemmCandidates.ts';
import { recordedOptions, type SuiteOptions } from './options.ts';
import { describeEnvironment, RUN_FORMAT, type BenchRun } from './record.ts';
import type { Suite } from './suites/suite.ts';

export async function runSuites(esp: AcquiredDevice, suites: readonly Suite[], options: SuiteOptions, runtime: string, log: (line: string) => void): Promise<BenchRun> {
  const environment = describeEnvironment(esp, runtime, version);
  const adapter = environment.adapter;
  log(`espgpu ${version}, ${runtime}, ${adapter.vendor} ${adapter.description}${adapter.isSoftware ? ' (software)' : ''}, timing: ${environment.clock}`);
  const run: BenchRun = { format: RUN_FORMAT, date: new Date().toISOString(), environment, options: { suites: suites.map((s) => s.name), ...recordedOptions(options) }, metrics: [], details: {} };
  const gpu = new Gpu(esp);
  if (options.conv) setConvAlgorithm(gpu, options.conv);
  try {
    if (options.gemm) setGemmConfig(gpu, options.gemm);
    // The tile in use, given or default: figures from two tiles must not be mistaken for one.
    run.options.gemmTile = describeGemmConfig(gemmConfig(gpu));
    log(`GEMM tile: ${run.options.gemmTile}`);
    for (const suite of suites) {
      log(`\n## ${suite.name}: ${suite.summary}`);
      const output = await suite.run({ gpu, options, log });
      run.metrics.push(...output.metrics);
      run.details[suite.name] = output.details;
    }
  } finally {
    gpu.dispose();
  }
  return run;
}
