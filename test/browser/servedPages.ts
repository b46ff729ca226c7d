// The served demo site and Chromium as a test file uses them: both started once in beforeAll
// and stopped in afterAll. Kept apart from playwright.ts, which bench/browserRun.ts also
// imports outside vitest.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, startDemoServer, watchErrors, type DemoServer } from './playwright.ts';

export interface PageOpener {
  /** Opens a page of the served site (a path like "bench.html?…") and watches its errors. */
  open(path: string): Promise<{ page: Page; errors: string[] }>;
}

/**
 * The server and Chromium for one test file: started in beforeAll (together), stopped in
 * afterAll, whichever of them started when the other failed.
 */
export function useServedPages(): PageOpener {
  let server: DemoServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([startDemoServer(), launchChromium()]);
    if (started.status === 'fulfilled') server = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    for (const result of [launched, started]) if (result.status === 'rejected') throw result.reason;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    async open(path) {
      const page = await browser!.newPage({ viewport: { width: 1100, height: 820 } });
      const errors = watchErrors(page);
      await page.goto(new URL(path, server!.url).href);
      return { page, errors };
    },
  };
}
