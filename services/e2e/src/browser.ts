import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium (.ci/run installs it when missing); CHROMIUM_PATH overrides. */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface RenderedPage {
  /** Charts Chart.js drew (window.apertureChartsDrawn). */
  chartsDrawn: number;
  /** Canvases with at least one painted pixel. */
  paintedCanvases: number;
  canvases: number;
}

/** A headless Chromium with a fresh profile; close() also removes the profile. */
export async function launchChromium(
  viewport = { width: 1400, height: 1000 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a local HTML file in headless Chromium (a fresh profile, no network services), waits for
 * its charts and saves a full-page screenshot.
 */
export async function renderInChromium(htmlFile: string, screenshot: string): Promise<RenderedPage> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`file://${htmlFile}`);
    // Browser-side code as text: this project's TypeScript has no DOM types.
    await page.waitForFunction('window.apertureChartsDrawn !== undefined', undefined, { timeout: 30_000 });
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
    const rendered = await page.evaluate<RenderedPage>(`(() => {
      const canvases = [...document.querySelectorAll('canvas')];
      const painted = canvases.filter((canvas) => {
        const context2d = canvas.getContext('2d');
        if (!context2d || canvas.width === 0 || canvas.height === 0) return false;
        const data = context2d.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
        return false;
      });
      return { chartsDrawn: window.apertureChartsDrawn, paintedCanvases: painted.length, canvases: canvases.length };
    })()`);
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return rendered;
  } finally {
    await browser.close();
  }
}
