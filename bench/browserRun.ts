// Runs the benchmark page (web/bench.html) in headless Chromium and saves its run record, so
// a browser's figures go beside Node's in bench/report without clicking "Download JSON".
// Chromium, its WebGPU flags and the page server are the browser tests' (test/browser/
// playwright.ts), so this runs exactly what CI checks.
//   node dist/bench/browserRun.js --out browser.json [--timeout 1800] -- suites=kernels,train batch=32 only=mnist-cnn
// Everything after the options is the page's URL parameters, as name=value.
import { Command } from 'commander';
import { writeFileAtomic } from '../src/io/atomicFile.ts';
import { launchChromium, startDemoServer, waitForState, watchErrors } from '../test/browser/playwright.ts';
import { checkRun } from './record.ts';

const program = new Command('bench-browser')
  .description('run web/bench.html in headless Chromium (Debian\'s, WebGPU on its SwiftShader) and save the run record')
  .argument('[parameters...]', 'URL parameters of the page as name=value (suites=…, batch=…, and every option of bench/options.ts)')
  .requiredOption('--out <file>', 'where to write the run record (JSON, atomically)')
  .option('--timeout <seconds>', 'give up after this long', '1800')
  .showHelpAfterError()
  .action(async (parameters: string[], opts: { out: string; timeout: string }) => {
    const query = new URLSearchParams(parameters.map((p) => {
      const at = p.indexOf('=');
      if (at < 1) throw new Error(`parameter "${p}" must be name=value`);
      return [p.slice(0, at), p.slice(at + 1)];
    }));
    query.set('autostart', '1');
    const timeoutMs = Number(opts.timeout) * 1000;
    if (!(timeoutMs > 0)) throw new Error(`--timeout must be a positive number of seconds, got "${opts.timeout}"`);
    const [server, browser] = await Promise.all([startDemoServer(), launchChromium()]);
    try {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      page.on('console', (message) => console.error(`[page] ${message.text()}`));
      await page.goto(new URL(`bench.html?${query}`, server.url).href);
      await waitForState(page, ['done'], timeoutMs, errors);
      const run = checkRun(await page.evaluate(() => window.benchRun), 'the page\'s window.benchRun');
      await writeFileAtomic(opts.out, new TextEncoder().encode(`${JSON.stringify(run, null, 2)}\n`));
      console.error(`run record (${run.metrics.length} metrics, ${run.environment.adapter.vendor} ${run.environment.adapter.description}) written to ${opts.out}`);
    } finally {
      await browser.close();
      await server.close();
    }
  });

program.parseAsync().catch((error: Error) => {
  console.error(`bench-browser: ${error.message}`);
  process.exit(1);
});
