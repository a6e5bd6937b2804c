// The dashboard as a clinic manager uses it, in headless Chromium against the real system: Mosquitto,
// sterifleetd serving the built dashboard, and sterifleet-sim publishing two clinics with injected
// positive biological indicators. The manager signs in, sees a violation appear live (no reload),
// acknowledges and resolves alerts, visits every screen on a desktop and a tablet, and is sent back to
// the sign-in screen when the token is revoked. A viewer sees the same alerts but is offered no action.
// Screenshots go to SCREENSHOT_DIR.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { Fleet, required, waitFor } from "./lib/fleet.mjs";

const screenshots = required("SCREENSHOT_DIR");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const desktop = { width: 1440, height: 900 };
const tablet = { width: 820, height: 1180 };
const managerName = "browser-manager";
// Two and a half days always hold a BI read the day after its cycle, whatever the time of day now.
const simDays = 2.5;
const simSpeed = 8000;

let fleet;
let browser;
let manager;
let viewer;
let admin;
const pageErrors = [];

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  fleet = new Fleet({
    daemon: required("STERIFLEETD"),
    sim: required("STERIFLEET_SIM"),
    dashboardDir: required("DASHBOARD_DIR"),
  });
  await fleet.start();
  // The bootstrap secret works until an admin token exists: the manager and viewer tokens first.
  manager = await fleet.createToken(managerName, "manager");
  viewer = await fleet.createToken("browser-viewer", "viewer");
  admin = await fleet.createToken("browser-admin", "admin");
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
});

after(async () => {
  await browser?.close();
  await fleet?.stop();
});

async function newPage(viewport, extra = {}) {
  const context = await browser.newContext({ viewport, ...extra });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  page.on("pageerror", (e) => pageErrors.push(`${e.message}`));
  page.on("console", (m) => {
    // A stream cut by the test's own token revocation is expected; anything else is a defect.
    if (m.type() === "error" && !/401|Unauthorized|EventSource/i.test(m.text())) pageErrors.push(m.text());
  });
  return page;
}

async function shot(page, name) {
  await page.screenshot({
    path: path.join(screenshots, `${name}.png`),
    fullPage: true,
  });
}

async function signIn(page, token = manager.token) {
  await page.goto(`${fleet.base}/`);
  await page.fill('input[name="token"]', token);
  await page.click('button[type="submit"]');
  await page.waitForSelector('.connection[data-connection="live"]');
}

/** Navigates inside the single-page app (a hash change, never a reload). */
async function go(page, hash) {
  await page.evaluate((h) => (location.hash = h), hash);
}

function injected() {
  const file = fleet.file("injected.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function expectNoReload(page) {
  assert.equal(await page.evaluate(() => window.__sterifleetNoReload), true, "the page was reloaded");
}

test("a manager follows the fleet live and handles a positive biological indicator", { timeout: 600000 }, async (t) => {
  const page = await newPage(desktop);
  try {
    await page.goto(`${fleet.base}/`);

    t.diagnostic("a token the daemon does not know is refused on the sign-in screen");
    await page.fill('input[name="token"]', "sft_00000000000000000000000000000000");
    await page.click('button[type="submit"]');
    await page.waitForSelector(".form-error");
    assert.match(await page.textContent(".form-error"), /does not accept this token/);
    await shot(page, "desktop-00-sign-in");

    t.diagnostic("the manager token signs in; the fleet is still empty");
    await page.fill('input[name="token"]', manager.token);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.connection[data-connection="live"]');
    await page.waitForSelector("text=No device has reported yet");
    await page.waitForSelector('.identity[data-role="manager"]');
    await page.evaluate(() => (window.__sterifleetNoReload = true));

    t.diagnostic("the simulator starts: devices and the injected violation appear without a reload");
    fleet.startSim([
      "--days",
      String(simDays),
      "--speed",
      String(simSpeed),
      "--follow",
      "--seed",
      "7",
      "--violations",
      "1",
      "--violation-kinds",
      "cycle.bi_positive",
      "--injected",
      fleet.file("injected.jsonl"),
    ]);
    const violation = await waitFor(
      "an injected positive BI",
      () => injected().find((v) => v.rule === "cycle.bi_positive"),
      180000,
      250,
    );
    await page.waitForSelector(`.fleet-side .alert-card[data-rule="cycle.bi_positive"]`, { timeout: 60000 });
    await waitFor("twelve device cards", async () => (await page.locator(".device-card").count()) >= 12, 60000);
    await expectNoReload(page);
    // Let the simulated days finish, so every screen shows the whole run.
    await fleet.waitForSimCatchUp(180000);
    await shot(page, "desktop-01-fleet");

    t.diagnostic(`acknowledge ${violation.subject} on the alerts screen`);
    await page.click('.nav-link[href="#/alerts"]');
    const card = page.locator(`#alert-list .alert-card[data-subject="${violation.subject}"]`);
    await card.waitFor();
    assert.equal(await card.locator("[data-alert-state]").textContent(), "Open");
    const alertId = await card.getAttribute("data-alert-id");
    await card.getByRole("button", { name: "Acknowledge" }).click();
    await card.locator('[data-alert-state="acknowledged"]').waitFor();
    assert.match(await card.textContent(), new RegExp(`Acknowledged by token:${managerName}`));
    const acked = await fleet.api(admin.token, "GET", `/alerts/${alertId}`);
    assert.equal(acked.state, "acknowledged");
    assert.equal(acked.ack.by, `token:${managerName}`);
    await expectNoReload(page);
    await shot(page, "desktop-02-alerts");

    t.diagnostic("the sterilizer's page lists the positive cycle");
    await go(page, `#/devices/${violation.device}`);
    const row = page.locator(`#cycles tr[data-cycle="${violation.subject}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /BI positive/);
    assert.match(await row.textContent(), /Recalled/);
    await shot(page, "desktop-03-sterilizer");

    t.diagnostic("the recall lists what the API traced");
    await row.getByRole("link", { name: "Recall" }).click();
    await page.waitForSelector(`[data-recall="${violation.subject}"]`);
    const [sterilizer, cycle] = violation.subject.split("/");
    const recall = await fleet.api(admin.token, "GET", `/recalls/${sterilizer}/${cycle}`);
    if (recall.sessions.length > 0) {
      await page.waitForSelector("#recall-sessions");
      assert.equal(await page.locator("#recall-sessions tbody tr").count(), recall.sessions.length);
    } else {
      await page.waitForSelector("text=No session used a recalled item");
    }
    await shot(page, "desktop-04-recall");
    await go(page, "#/recalls");
    await page.waitForSelector(`#recalls td:text-is("${violation.subject}")`);

    t.diagnostic("a pen's page shows its timeline");
    await go(page, "#/fleet");
    await page.locator('a.device-card[data-device$="PEN-01"]').first().click();
    await page.waitForSelector("#timeline .kind-session");
    await page.waitForSelector("#timeline .kind-reprocessing");
    await shot(page, "desktop-05-pen");

    t.diagnostic("cartridge use and compliance charts");
    await page.click('.nav-link[href="#/cartridges"]');
    await page.waitForSelector("#cartridge-uses tbody tr");
    await page.waitForSelector(".chart canvas");
    await shot(page, "desktop-06-cartridges");
    await page.click('.nav-link[href="#/compliance"]');
    await page.waitForSelector("#chart-compliance canvas");
    await page.waitForSelector("#chart-alerts canvas");
    const sessionsFigure = await page
      .locator(".figure", { hasText: "Sessions" })
      .first()
      .locator(".figure-value")
      .textContent();
    assert.ok(Number(sessionsFigure) > 0, `the compliance page counts sessions (${sessionsFigure})`);
    await shot(page, "desktop-07-compliance");

    t.diagnostic("resolving asks for a reason, which reaches the audit trail");
    await page.click('.nav-link[href="#/alerts"]');
    await card.waitFor();
    await card.getByRole("button", { name: "Resolve…" }).click();
    const dialog = page.locator("dialog.dialog");
    await dialog.getByRole("button", { name: "Resolve alert" }).click();
    await dialog.locator(".form-error").waitFor();
    assert.match(await dialog.locator(".form-error").textContent(), /Give the reason/);
    await shot(page, "desktop-08-resolve-dialog");
    await dialog.locator("textarea").fill("Load reprocessed; every listed patient contacted");
    await dialog.getByRole("button", { name: "Resolve alert" }).click();
    await card.waitFor({ state: "detached" });
    const resolved = await fleet.api(admin.token, "GET", `/alerts/${alertId}`);
    assert.equal(resolved.state, "resolved");
    assert.equal(resolved.resolution.reason, "Load reprocessed; every listed patient contacted");
    await expectNoReload(page);
  } catch (e) {
    await shot(page, "failure-desktop").catch(() => undefined);
    t.diagnostic(fleet.logs());
    throw e;
  } finally {
    await page.context().close();
  }
});

test("a viewer sees the active alerts but no acknowledge or resolve button", { timeout: 120000 }, async (t) => {
  const page = await newPage(desktop);
  try {
    await signIn(page, viewer.token);
    // The actions depend on the daemon's answer to whoami: wait for it before looking for them.
    await page.waitForSelector('.identity[data-role="viewer"]');
    await page.click('.nav-link[href="#/alerts"]');
    await page.waitForSelector("#alert-list .alert-card.open, #alert-list .alert-card.acknowledged");
    assert.equal(await page.locator("#alert-list .alert-card").getByRole("button").count(), 0);
    await shot(page, "desktop-09-viewer-alerts");
  } catch (e) {
    await shot(page, "failure-viewer").catch(() => undefined);
    t.diagnostic(fleet.logs());
    throw e;
  } finally {
    await page.context().close();
  }
});

test("the dashboard fits a tablet and signs out when the token is revoked", { timeout: 300000 }, async (t) => {
  const page = await newPage(tablet, {
    hasTouch: true,
    deviceScaleFactor: 1,
  });
  try {
    await signIn(page);
    await page.waitForSelector(".device-card");

    for (const [hash, name, ready] of [
      ["#/fleet", "tablet-01-fleet", ".device-card"],
      ["#/alerts", "tablet-02-alerts", ".alert-card"],
      ["#/devices/C01-PEN-01", "tablet-03-pen", "#timeline"],
      ["#/devices/C01-STER-01", "tablet-04-sterilizer", "#cycles"],
      ["#/compliance", "tablet-05-compliance", "#chart-compliance canvas"],
      ["#/cartridges", "tablet-06-cartridges", "#cartridge-uses"],
    ]) {
      await go(page, hash);
      await page.waitForSelector(ready);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${hash} scrolls sideways on a tablet by ${overflow} px`);
      await shot(page, name);
    }
    await page.setViewportSize({ width: tablet.height, height: tablet.width });
    await go(page, "#/fleet");
    await page.waitForSelector(".device-card");
    await shot(page, "tablet-landscape-01-fleet");
    await page.setViewportSize(tablet);

    t.diagnostic("every button and navigation link is a comfortable touch target");
    await go(page, "#/alerts");
    await page.waitForSelector(".alert-card .button");
    const small = await page.evaluate(() =>
      [...document.querySelectorAll(".button, .nav-link, .chip, select")]
        .map((e) => ({
          text: e.textContent?.trim(),
          height: e.getBoundingClientRect().height,
        }))
        .filter((e) => e.height > 0 && e.height < 40),
    );
    assert.deepEqual(small, [], "controls under 40 px high");

    t.diagnostic("a revoked token sends the manager back to the sign-in screen");
    await fleet.api(admin.token, "DELETE", `/tokens/${manager.id}`);
    await go(page, "#/compliance");
    await go(page, "#/cartridges");
    await page.waitForSelector(".signin .notice");
    assert.match(await page.textContent(".signin .notice"), /no longer accepts this token/);
    assert.equal(await page.evaluate(() => localStorage.getItem("sterifleet.token")), null);
    await shot(page, "tablet-07-signed-out");
  } catch (e) {
    await shot(page, "failure-tablet").catch(() => undefined);
    t.diagnostic(fleet.logs());
    throw e;
  } finally {
    await page.context().close();
  }
  assert.deepEqual(pageErrors, [], "errors in the page");
});
