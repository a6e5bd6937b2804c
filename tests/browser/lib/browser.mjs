// Headless Chromium (CHROMIUM, else /usr/bin/chromium) on the dashboard a Fleet serves, as every browser
// test drives it: pages that collect the errors they raise, screenshots in SCREENSHOT_DIR, signing in
// with a token, and a test body run on a fresh page that leaves a screenshot and the logs when it fails.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { required } from "./fleet.mjs";

export class Dashboard {
  /**
   * Launches the browser for a started fleet that serves the dashboard.
   * @param {import("./fleet.mjs").Fleet} fleet
   * @param {object} [options]
   * @param {string} [options.shotPrefix] put before every screenshot's name
   * @param {RegExp} [options.expectedErrors] console errors the test causes itself (a revoked token, the
   *   network cut), not counted in `pageErrors`
   */
  static async launch(fleet, { shotPrefix = "", expectedErrors } = {}) {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
    });
    return new Dashboard(fleet, browser, { shotPrefix, expectedErrors });
  }

  constructor(fleet, browser, { shotPrefix, expectedErrors }) {
    this.fleet = fleet;
    this.browser = browser;
    this.screenshots = required("SCREENSHOT_DIR");
    mkdirSync(this.screenshots, { recursive: true });
    this.shotPrefix = shotPrefix;
    this.expectedErrors = expectedErrors;
    /** Every error a page raised or logged to its console, but those expected: a defect each. */
    this.pageErrors = [];
  }

  /**
   * A page in a context of its own: Playwright's context options (viewport, hasTouch…), and `clock` for a
   * fake clock the test moves.
   */
  async newPage({ clock = false, ...contextOptions }) {
    const context = await this.browser.newContext(contextOptions);
    if (clock) await context.clock.install();
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    page.on("pageerror", (e) => this.pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !this.expectedErrors?.test(m.text())) this.pageErrors.push(m.text());
    });
    return page;
  }

  shot(page, name) {
    return page.screenshot({ path: path.join(this.screenshots, `${this.shotPrefix}${name}.png`), fullPage: true });
  }

  /** Signs in on the sign-in screen with a token; then waits for each selector given. */
  async signIn(page, token, ...ready) {
    await page.goto(`${this.fleet.base}/`);
    await page.fill('input[name="token"]', token);
    await page.click('button[type="submit"]');
    for (const selector of ready) await page.waitForSelector(selector);
  }

  /**
   * Runs a test body on a fresh page; when it fails, leaves the screenshot failure-<name> and the
   * processes' logs in the test's output. The page is closed either way.
   */
  async withPage(t, name, options, body) {
    const page = await this.newPage(options);
    try {
      await body(page);
    } catch (e) {
      await this.shot(page, `failure-${name}`).catch(() => undefined);
      t.diagnostic(this.fleet.logs());
      throw e;
    } finally {
      await page.context().close();
    }
  }

  close() {
    return this.browser.close();
  }
}

/** The selector of the top bar once the live stream is connected. */
export const live = '.connection[data-connection="live"]';

/** Navigates inside the single-page app (a hash change, never a reload). */
export function go(page, hash) {
  return page.evaluate((h) => (location.hash = h), hash);
}

/** Marks the page, so that `expectNoReload` finds out whether it was loaded again since. */
export function watchForReload(page) {
  return page.evaluate(() => (window.__sterifleetNoReload = true));
}

export async function expectNoReload(page) {
  assert.equal(await page.evaluate(() => window.__sterifleetNoReload), true, "the page was reloaded");
}
