// The dashboard as a clinic manager uses it, in headless Chromium against the real system: Mosquitto,
// sterifleetd serving the built dashboard, and sterifleet-sim publishing two clinics with injected
// positive biological indicators. The manager signs in, sees a violation appear live (no reload),
// acknowledges and resolves alerts, visits every screen on a desktop, and on a tablet is sent back to
// the sign-in screen when the token is revoked. A viewer sees the same alerts but is offered no action.
// The daemon notifies a webhook that answers 410 Gone: its notifications become dead letters, which the
// alert's page and the dead-letter panel show, and an admin enables the receiver again.
// Screenshots go to SCREENSHOT_DIR.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { after, before, test } from "node:test";
import { Dashboard, expectNoReload, go, live, watchForReload } from "./lib/browser.mjs";
import { Fleet, waitFor } from "./lib/fleet.mjs";

const desktop = { viewport: { width: 1440, height: 900 } };
const tablet = { viewport: { width: 820, height: 1180 }, hasTouch: true, deviceScaleFactor: 1 };
const managerName = "browser-manager";

let fleet;
let ui;
let manager;
let viewer;
let admin;
// A webhook receiver that says it is gone: every POST is answered 410 with an empty body, and kept.
const goneReceiver = "on-call";
const goneRequests = [];
let gone;

function startGoneServer() {
  gone = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (c) => chunks.push(c));
    request.on("end", () => {
      goneRequests.push(Buffer.concat(chunks).toString("utf8"));
      response.writeHead(410).end();
    });
  });
  return new Promise((resolve) => gone.listen(0, "127.0.0.1", resolve));
}

/**
 * The [notify] section: the positive biological indicator the simulator injects goes to the gone
 * webhook, once (no reminders). Only that rule, so its dead letter is among the newest the panel lists.
 */
function notifyConfig(f) {
  writeFileSync(f.file("webhook.secret"), "whsec_" + randomBytes(24).toString("base64") + "\n");
  return [
    "[notify]",
    `dashboard_url = "${f.base}"`,
    "",
    "[[notify.receiver]]",
    `name = "${goneReceiver}"`,
    'type = "webhook"',
    `url = "http://127.0.0.1:${gone.address().port}/hook"`,
    `secret_file = "${f.file("webhook.secret")}"`,
    "timeout_s = 5",
    "",
    "[[notify.route]]",
    'name = "everything"',
    'rules = ["cycle.bi_positive"]',
    `receiver = "${goneReceiver}"`,
    "repeat_interval_min = 0",
    "",
  ].join("\n");
}

before(async () => {
  await startGoneServer();
  fleet = await Fleet.start({ dashboard: true, config: notifyConfig });
  // The bootstrap secret works until an admin token exists: the manager and viewer tokens first.
  manager = await fleet.createToken(managerName, "manager");
  viewer = await fleet.createToken("browser-viewer", "viewer");
  admin = await fleet.createToken("browser-admin", "admin");
  // A stream cut by the test's own token revocation is expected; anything else is a defect.
  ui = await Dashboard.launch(fleet, { expectedErrors: /401|Unauthorized|EventSource/i });
});

after(async () => {
  await ui?.close();
  await fleet?.stop();
  await new Promise((resolve) => (gone ? gone.close(resolve) : resolve()));
});

test("a manager follows the fleet live and handles a positive biological indicator", { timeout: 600000 }, async (t) => {
  await ui.withPage(t, "desktop", desktop, async (page) => {
    await page.goto(`${fleet.base}/`);

    t.diagnostic("a token the daemon does not know is refused on the sign-in screen");
    await page.fill('input[name="token"]', "sft_00000000000000000000000000000000");
    await page.click('button[type="submit"]');
    await page.waitForSelector(".form-error");
    assert.match(await page.textContent(".form-error"), /does not accept this token/);
    await ui.shot(page, "desktop-00-sign-in");

    t.diagnostic("the manager token signs in; the fleet is still empty");
    await page.fill('input[name="token"]', manager.token);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.connection[data-connection="live"]');
    await page.waitForSelector("text=No device has reported yet");
    await page.waitForSelector('.identity[data-role="manager"]');
    await watchForReload(page);

    t.diagnostic("the simulator starts: devices and the injected violation appear without a reload");
    fleet.startSimWithPositiveBI({ follow: true });
    const violation = await fleet.waitForInjected("cycle.bi_positive");
    await page.waitForSelector(`.fleet-side .alert-card[data-rule="cycle.bi_positive"]`, { timeout: 60000 });
    await waitFor("twelve device cards", async () => (await page.locator(".device-card").count()) >= 12, 60000);
    await expectNoReload(page);
    // Let the simulated days finish, so every screen shows the whole run.
    await fleet.waitForSimCatchUp(180000);
    await ui.shot(page, "desktop-01-fleet");

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
    await ui.shot(page, "desktop-02-alerts");

    t.diagnostic("the sterilizer's page lists the positive cycle");
    await go(page, `#/devices/${violation.device}`);
    const row = page.locator(`#cycles tr[data-cycle="${violation.subject}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /BI positive/);
    assert.match(await row.textContent(), /Recalled/);
    await ui.shot(page, "desktop-03-sterilizer");

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
    await ui.shot(page, "desktop-04-recall");
    await go(page, "#/recalls");
    await page.waitForSelector(`#recalls td:text-is("${violation.subject}")`);

    t.diagnostic("a pen's page shows its timeline");
    await go(page, "#/fleet");
    await page.locator('a.device-card[data-device$="PEN-01"]').first().click();
    await page.waitForSelector("#timeline .kind-session");
    await page.waitForSelector("#timeline .kind-reprocessing");
    await ui.shot(page, "desktop-05-pen");

    t.diagnostic("cartridge use and compliance charts");
    await page.click('.nav-link[href="#/cartridges"]');
    await page.waitForSelector("#cartridge-uses tbody tr");
    await page.waitForSelector(".chart canvas");
    await ui.shot(page, "desktop-06-cartridges");
    await page.click('.nav-link[href="#/compliance"]');
    await page.waitForSelector("#chart-compliance canvas");
    await page.waitForSelector("#chart-alerts canvas");
    const sessionsFigure = await page
      .locator(".figure", { hasText: "Sessions" })
      .first()
      .locator(".figure-value")
      .textContent();
    assert.ok(Number(sessionsFigure) > 0, `the compliance page counts sessions (${sessionsFigure})`);
    await ui.shot(page, "desktop-07-compliance");

    t.diagnostic("resolving asks for a reason, which reaches the audit trail");
    await page.click('.nav-link[href="#/alerts"]');
    await card.waitFor();
    await card.getByRole("button", { name: "Resolve…" }).click();
    const dialog = page.locator("dialog.dialog");
    await dialog.getByRole("button", { name: "Resolve alert" }).click();
    await dialog.locator(".form-error").waitFor();
    assert.match(await dialog.locator(".form-error").textContent(), /Give the reason/);
    await ui.shot(page, "desktop-08-resolve-dialog");
    await dialog.locator("textarea").fill("Load reprocessed; every listed patient contacted");
    await dialog.getByRole("button", { name: "Resolve alert" }).click();
    await card.waitFor({ state: "detached" });
    const resolved = await fleet.api(admin.token, "GET", `/alerts/${alertId}`);
    assert.equal(resolved.state, "resolved");
    assert.equal(resolved.resolution.reason, "Load reprocessed; every listed patient contacted");
    await expectNoReload(page);
  });
});

test("a token for one clinic is shown that clinic only, and says so", { timeout: 120000 }, async (t) => {
  await ui.withPage(t, "one-clinic", desktop, async (page) => {
    const clinics = (await fleet.api(admin.token, "GET", "/clinics")).items.map((c) => c.id);
    assert.ok(clinics.length > 1, `the simulator runs several clinics: ${clinics}`);
    const [only] = clinics;
    const scoped = await fleet.api(admin.token, "POST", "/tokens", {
      name: "browser-one-clinic",
      role: "manager",
      clinics: [only],
    });
    await ui.signIn(page, scoped.token, live);
    await page.waitForSelector(`.identity[data-clinics="${only}"]`);
    assert.equal((await page.textContent(".identity .clinics")).trim(), only);
    await page.waitForSelector("section.clinic[data-clinic]");
    const shown = await page.$$eval("section.clinic[data-clinic]", (s) => s.map((e) => e.dataset.clinic));
    assert.deepEqual([...new Set(shown)], [only]);
    await ui.shot(page, "desktop-10-one-clinic");
  });
});

test("a viewer sees the active alerts but no acknowledge or resolve button", { timeout: 120000 }, async (t) => {
  await ui.withPage(t, "viewer", desktop, async (page) => {
    await ui.signIn(page, viewer.token, live);
    // The actions depend on the daemon's answer to whoami: wait for it before looking for them.
    await page.waitForSelector('.identity[data-role="viewer"]');
    await page.click('.nav-link[href="#/alerts"]');
    await page.waitForSelector("#alert-list .alert-card.open, #alert-list .alert-card.acknowledged");
    assert.equal(await page.locator("#alert-list .alert-card").getByRole("button").count(), 0);
    // The outbox is for roles that oversee delivery: a viewer is shown no dead letters.
    assert.equal(await page.locator("#dead-letters").count(), 0);
    await ui.shot(page, "desktop-09-viewer-alerts");
  });
});

test(
  "a notification the receiver refused is dead on the alert's page and in the dead-letter panel",
  { timeout: 300000 },
  async (t) => {
    t.diagnostic("the webhook answered 410: the daemon disabled it and its notifications are dead");
    const dead = await waitFor(
      "a dead notification answered HTTP 410",
      async () => {
        const list = await fleet.api(admin.token, "GET", "/notifications?state=dead&limit=1000");
        const sent = list.items.find(
          (n) => n.alert_id && n.receiver === goneReceiver && n.history.some((a) => /^HTTP 410/.test(a.answer)),
        );
        return sent && list.disabled_receivers?.[goneReceiver] ? { list, sent } : null;
      },
      60000,
      500,
    );
    const { sent } = dead;
    assert.ok(goneRequests.length >= 1, "the webhook was called");
    assert.equal(sent.last_answer, "HTTP 410");
    assert.match(dead.list.disabled_receivers[goneReceiver].answer, /^HTTP 410/);

    // The link the notification carried is the alert's page on this dashboard.
    const notices = goneRequests.flatMap((body) => JSON.parse(body).notices);
    const notice = notices.find((n) => n.alert_url.endsWith(`/#/alerts/${sent.alert_id}`));
    assert.ok(notice, `a notice links to alert ${sent.alert_id}: ${notices.map((n) => n.alert_url).join(", ")}`);
    assert.equal(notice.alert_url, `${fleet.base}/#/alerts/${sent.alert_id}`);

    await ui.withPage(t, "dead-letters", desktop, async (page) => {
      t.diagnostic(`a manager follows the notification's link to alert ${sent.alert_id}`);
      await ui.signIn(page, manager.token, live);
      await page.goto(notice.alert_url);
      await page.waitForSelector(`[data-alert-page="${sent.alert_id}"]`);
      assert.equal(await page.locator("h1").count(), 1);
      await page.locator(`.alert-card[data-alert-id="${sent.alert_id}"]`).waitFor();
      await page.getByRole("heading", { name: "Notifications" }).waitFor();
      const row = page.locator(`#notifications tr[data-notification="${sent.id}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute("data-state"), "dead");
      assert.match(await row.textContent(), new RegExp(goneReceiver));
      assert.match(await row.textContent(), /DEAD/);
      assert.equal(await row.locator("[data-last-answer]").textContent(), "HTTP 410");
      await row.getByRole("button", { name: /Show \d+ attempts?/ }).click();
      // The same button now hides them again.
      const toggle = row.getByRole("button", { name: /Hide \d+ attempts?/ });
      assert.equal(await toggle.getAttribute("aria-expanded"), "true");
      const history = page.locator(`#history-${sent.id}`);
      await history.waitFor();
      assert.equal(await history.locator("th").first().textContent(), "Time");
      await history.locator("tbody tr", { hasText: "HTTP 410" }).first().waitFor();
      await ui.shot(page, "desktop-10-alert-notifications");

      t.diagnostic("the fleet overview and the alerts page show the dead letters to the manager");
      await go(page, "#/fleet");
      const summary = page.locator("#dead-letters-summary");
      await summary.waitFor();
      assert.match(await summary.textContent(), /\d+ notifications? could not be delivered/);
      await summary.getByRole("link").click();
      const panel = page.locator("#dead-letters");
      await panel.waitFor();
      const heading = await panel.getByRole("heading", { level: 2 }).textContent();
      const shownDead = Number(/(\d+) notifications? could not be delivered/.exec(heading)?.[1]);
      // More may die while the page loads (the receiver stays disabled): the count is what the outbox held.
      const counts = (await fleet.api(admin.token, "GET", "/notifications?state=dead&limit=1")).counts;
      assert.ok(shownDead >= 1 && shownDead <= counts.dead, `"${heading}" against ${counts.dead} dead`);
      const letter = panel.locator(`tr[data-notification="${sent.id}"]`);
      await letter.waitFor();
      assert.match(await letter.textContent(), new RegExp(goneReceiver));
      assert.match(await letter.textContent(), new RegExp(sent.clinic));
      assert.equal(await letter.locator("[data-last-answer]").textContent(), "HTTP 410");
      // Only an admin may enable a receiver: the manager is shown neither the list nor the button.
      assert.equal(await panel.getByRole("button", { name: /Enable/ }).count(), 0);
      await ui.shot(page, "desktop-11-dead-letters");
      await letter.getByRole("link").click();
      await page.waitForSelector(`[data-alert-page="${sent.alert_id}"]`);
    });

    t.diagnostic("an admin sees the disabled receiver and enables it again");
    await ui.withPage(t, "dead-letters-admin", desktop, async (adminPage) => {
      await ui.signIn(adminPage, admin.token, live);
      await go(adminPage, "#/alerts");
      const receiver = adminPage.locator(`#dead-letters [data-disabled-receiver="${goneReceiver}"]`);
      await receiver.waitFor();
      assert.match(await receiver.textContent(), /HTTP 410/);
      await ui.shot(adminPage, "desktop-12-disabled-receiver");
      await receiver.getByRole("button", { name: `Enable again: ${goneReceiver}` }).click();
      await receiver.waitFor({ state: "detached" });
      const after = await fleet.api(admin.token, "GET", "/notifications?state=dead&limit=1");
      assert.equal(after.disabled_receivers[goneReceiver], undefined);
      // The dead letters stay: enabling a receiver does not send what it missed.
      await adminPage.locator(`#dead-letters tr[data-notification="${sent.id}"]`).waitFor();
    });
  },
);

// Every page at desktop, tablet and phone widths, with screenshots, is layouts.test.mjs's.
test("a tablet's controls fit a finger; a revoked token signs it out", { timeout: 300000 }, async (t) => {
  await ui.withPage(t, "tablet", tablet, async (page) => {
    await ui.signIn(page, manager.token, live);
    await page.waitForSelector(".device-card");

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
    await ui.shot(page, "tablet-07-signed-out");
  });
  assert.deepEqual(ui.pageErrors, [], "errors in the page");
});
