// Every page of the dashboard at the widths it is used at: a desktop (1400 px), a tablet at the
// reprocessing station in landscape (1024) and portrait (820), and a phone (390). Each page must not
// scroll sideways (wide tables scroll inside their own container), no text may be squeezed to a letter
// a line, and acknowledge and resolve must be touch targets of at least 44 x 44 px. Then the live view
// after a tablet sleeps: a stream dead without an error, and a network that drops, are said in the top
// bar and replaced, and what happened meanwhile shows without a reload.
// One fleet for the file: Mosquitto, sterifleetd serving the built dashboard, sterifleet-sim with
// positive biological indicators, and two pens needing reprocessing published by hand, one with a short
// id (the card once squeezed to a letter a line at 1400 px) and one with a 62-character id. Screenshots
// go to SCREENSHOT_DIR as <page>-<width>.png (the CI artifact).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { Dashboard, expectNoReload, go, live, watchForReload } from "./lib/browser.mjs";
import { Fleet, waitFor } from "./lib/fleet.mjs";

const viewports = [
  { width: 1400, height: 900, touch: false },
  { width: 1024, height: 768, touch: true },
  { width: 820, height: 1180, touch: true },
  { width: 390, height: 844, touch: true },
];
// A pen needing reprocessing (the longest badge) with a short id, as in the report of a title squeezed to
// a letter a line at 1400 px, and one with a long id.
const shortPen = "C01-PEN-09";
const longPen = "C01-PEN-RECEPTION-TABLET-LOANER-WITH-A-VERY-LONG-ASSET-ID-0001";
const touchMin = 44;

let fleet;
let ui;
let admin;
let violation;

/** Publishes a pen's birth, presence and one session, so that it needs reprocessing. */
async function publishPen(device) {
  const now = () => new Date().toISOString();
  const topic = (channel) => `sterifleet/v1/C01/${device}/${channel}`;
  const envelope = (seq, type, body) => JSON.stringify({ v: 1, device, boot: 1, seq, ts: now(), type, body });
  const cartridge = {
    id: `CRT-${device.length}`,
    lot: "L-HAND",
    expires: "2099-12-31",
    needles: 12,
    max_strokes: 300000,
  };
  const messages = [
    [topic("birth"), envelope(1, "birth", { kind: "pen", model: "Dermapen 4", firmware: "4.2.1", heartbeat_s: 86400 })],
    [topic("status"), JSON.stringify({ v: 1, device, boot: 1, online: true }), { retain: true }],
    [topic("event"), envelope(2, "cartridge.insert", { cartridge })],
    [
      topic("event"),
      envelope(3, "session.start", {
        session: "S-HAND-1",
        cartridge,
        depth_mm: 1,
        speed: 100,
        operator: "op-hand",
        patient: "pt-hand",
        area: "cheek",
      }),
    ],
    [topic("event"), envelope(4, "session.end", { session: "S-HAND-1", strokes: 1000, runtime_s: 60 })],
  ];
  for (const [t, payload, options] of messages) await fleet.publish(t, payload, options);
  await waitFor(
    `${device} to need reprocessing`,
    async () => (await fleet.api(admin.token, "GET", `/devices/${device}`)).state === "needs_reprocessing",
    30000,
    250,
  );
}

before(async () => {
  fleet = await Fleet.start({ dashboard: true });
  // Admin sees every page (the auditor pages too) and may acknowledge and resolve.
  admin = await fleet.createToken("layouts-admin", "admin");
  fleet.startSimWithPositiveBI({ follow: true });
  // Requests cut by the test's own offline network are expected; anything else is a defect.
  ui = await Dashboard.launch(fleet, { expectedErrors: /ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED/ });
  try {
    violation = await fleet.waitForInjected("cycle.bi_positive");
    await fleet.waitForSimCatchUp(180000);
    await publishPen(shortPen);
    await publishPen(longPen);
  } catch (e) {
    console.error(fleet.logs());
    throw e;
  }
});

after(async () => {
  await ui?.close();
  await fleet?.stop();
});

/** The context of a page at one of the widths: touch for tablets and phones. */
function at({ width, height, touch }) {
  return { viewport: { width, height }, hasTouch: touch, deviceScaleFactor: 1 };
}

async function signIn(page) {
  await ui.signIn(page, admin.token, live, '.identity[data-role="admin"]');
  // The sections a role is offered follow the daemon's API description, loaded beside whoami.
  let links = -1;
  await waitFor(
    "the navigation to settle",
    async () => {
      const now = await page.locator(".nav .nav-link").count();
      const settled = now === links;
      links = now;
      return settled;
    },
    10000,
    1000,
  );
}

/**
 * What is wrong with the layout shown: the page scrolling sideways (with the elements that stick out of
 * it, not counting those inside a horizontally scrolling container), and texts of more than three
 * characters wrapped to three or more lines of about one character (a letter a line).
 */
function layoutProblems() {
  const describe = (e) => {
    const cls = typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "";
    return `<${e.tagName.toLowerCase()}${cls}> "${(e.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 60)}"`;
  };
  const problems = [];
  const width = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > width) {
    const scrolls = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return true;
      }
      return false;
    };
    const out = [...document.body.querySelectorAll("*")]
      .filter((e) => e.getBoundingClientRect().right > width + 0.5 && !scrolls(e))
      .slice(-6)
      .map(describe);
    problems.push(`the page scrolls sideways: ${scrollWidth} px wide in ${width} px; sticking out: ${out.join(", ")}`);
  }
  // A link of a navigation (the sections, a page's tabs) scrolled out of its bar is a page not found.
  for (const nav of document.querySelectorAll("nav")) {
    const box = nav.getBoundingClientRect();
    for (const link of nav.querySelectorAll("a")) {
      const r = link.getBoundingClientRect();
      if (r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.right > width)) {
        problems.push(`the link ${describe(link)} is cut off (${Math.round(r.left)} to ${Math.round(r.right)} px)`);
      }
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = (node.textContent ?? "").replace(/\s+/g, "");
    const parent = node.parentElement;
    if (text.length <= 3 || !parent || parent.closest("script, style, svg, option, .visually-hidden")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = new Set();
    let widest = 0;
    for (const r of range.getClientRects()) {
      if (r.width <= 0 || r.height <= 0) continue;
      lines.add(Math.round(r.top));
      widest = Math.max(widest, r.width);
    }
    const fontSize = parseFloat(getComputedStyle(parent).fontSize);
    if (lines.size >= 3 && (text.length / lines.size <= 2 || widest < 2 * fontSize)) {
      problems.push(
        `"${text.slice(0, 40)}" wraps to ${lines.size} lines ${Math.round(widest)} px wide in ${describe(parent)}`,
      );
    }
  }
  return problems;
}

/** Buttons whose accessible text matches `name` that are smaller than a fingertip. */
async function smallTargets(page, selector, name) {
  return page.$$eval(
    selector,
    (buttons, [source, min]) =>
      buttons
        .filter((b) => new RegExp(source).test(b.textContent ?? ""))
        .map((b) => ({ text: (b.textContent ?? "").trim(), ...b.getBoundingClientRect().toJSON() }))
        .filter((b) => b.width > 0 && (b.width < min || b.height < min))
        .map((b) => `${b.text} ${Math.round(b.width)}x${Math.round(b.height)}`),
    [name.source, touchMin],
  );
}

/**
 * Every page to visit: the sections in the top bar (whatever this role is shown) and the detail pages;
 * tabs a page shows in its own navigation are added as they are found (pageLinks).
 */
async function pagesOf(page) {
  const sections = await page.$$eval(".nav .nav-link", (links) => links.map((a) => a.getAttribute("href")));
  const open = await fleet.api(admin.token, "GET", "/alerts?state=open&rule=cycle.bi_positive&limit=1");
  const alertId = open.items[0]?.id;
  assert.ok(alertId, "an open positive-BI alert to show");
  const [sterilizer, cycle] = violation.subject.split("/");
  const ready = {
    "#/fleet": `.device-card[data-device="${longPen}"], .device-card[data-device="${shortPen}"]`,
    "#/alerts": "#alert-list .alert-card",
    "#/cartridges": "#cartridge-uses",
    "#/recalls": "#recalls",
    "#/compliance": "#chart-compliance canvas",
  };
  return [
    ...sections.map((hash) => ({ name: pageName(hash), hash, ready: ready[hash] })),
    { name: "alert", hash: `#/alerts/${alertId}`, ready: `[data-alert-page="${alertId}"] .alert-card` },
    { name: "pen", hash: "#/devices/C01-PEN-01", ready: "#timeline" },
    { name: "pen-long-id", hash: `#/devices/${encodeURIComponent(longPen)}`, ready: "#timeline" },
    { name: "sterilizer", hash: `#/devices/${violation.device}`, ready: "#cycles" },
    { name: "recall", hash: `#/recalls/${sterilizer}/${cycle}`, ready: `[data-recall="${violation.subject}"]` },
  ];
}

function pageName(hash) {
  return hash.replace(/^#\//, "").replace(/\W+/g, "-");
}

/** The pages a page links to from a navigation of its own (the auditor workspace's tabs). */
function pageLinks(page) {
  return page.$$eval('main nav a[href^="#/"]', (links) => links.map((a) => a.getAttribute("href")));
}

async function checkLayout(page, name, width) {
  const problems = await page.evaluate(layoutProblems);
  await ui.shot(page, `${name}-${width}`);
  return problems.map((p) => `${name} at ${width} px: ${p}`);
}

test("every page fits 1400, 1024, 820 and 390 px with no text a letter a line", { timeout: 600000 }, async (t) => {
  const problems = [];
  for (const viewport of viewports) {
    const { width } = viewport;
    await ui.withPage(t, `layouts-${width}`, at(viewport), async (page) => {
      t.diagnostic(`${width} px`);
      await page.goto(`${fleet.base}/`);
      await page.waitForSelector('input[name="token"]');
      problems.push(...(await checkLayout(page, "sign-in", width)));
      await signIn(page);
      await watchForReload(page);
      const pages = await pagesOf(page);
      for (let i = 0; i < pages.length; ++i) {
        const { name, hash, ready } = pages[i];
        await go(page, hash);
        await page.waitForSelector("main h1");
        if (ready) await page.waitForSelector(ready);
        await page.waitForFunction(() => !document.querySelector("main .loading"));
        problems.push(...(await checkLayout(page, name, width)));
        for (const link of await pageLinks(page)) {
          if (!pages.some((p) => p.hash === link)) pages.push({ name: pageName(link), hash: link });
        }
      }

      // Acknowledge and resolve where they are offered: the fleet's side panel, the alerts page, the dialog.
      const small = [];
      await go(page, "#/fleet");
      await page.waitForSelector("#fleet-alerts .alert-card .button");
      small.push(...(await smallTargets(page, "#fleet-alerts .alert-card button", /Acknowledge|Resolve/)));
      await go(page, "#/alerts");
      await page.waitForSelector("#alert-list .alert-card .button");
      small.push(...(await smallTargets(page, "#alert-list .alert-card button", /Acknowledge|Resolve/)));
      await page.locator("#alert-list .alert-card").first().getByRole("button", { name: "Resolve…" }).click();
      const dialog = page.locator("dialog.dialog");
      await dialog.waitFor();
      small.push(...(await smallTargets(page, "dialog.dialog button", /Resolve alert|Cancel/)));
      problems.push(...(await checkLayout(page, "resolve-dialog", width)));
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "detached" });
      problems.push(...small.map((s) => `at ${width} px, smaller than ${touchMin}x${touchMin}: ${s}`));
      await expectNoReload(page);
    });
  }
  // The long-id pen needing reprocessing is the card that once read one letter a line.
  assert.deepEqual(problems, [], "layout problems");
});

/** SIGSTOP: the daemon keeps its connections open and says nothing, as a stream that died in a sleep. */
async function whileDaemonFrozen(body) {
  fleet.daemon.child.kill("SIGSTOP");
  try {
    await body();
  } finally {
    fleet.daemon.child.kill("SIGCONT");
  }
}

test(
  "the live view says when it last heard from the daemon and reconnects after a sleep",
  { timeout: 180000 },
  async (t) => {
    const tablet = viewports[1];
    await ui.withPage(t, "live", { ...at(tablet), clock: true }, async (page) => {
      const status = page.locator(".connection");
      await signIn(page);
      await go(page, "#/alerts");
      await page.waitForSelector("#alert-list .alert-card");
      await watchForReload(page);
      assert.match(await status.textContent(), /^Live\s*last heard (just now|\d+ s ago)$/);

      t.diagnostic("the stream goes silent without an error and the tablet's clock jumps a minute (it slept)");
      await whileDaemonFrozen(async () => {
        await page.clock.fastForward(60000);
        await page.waitForSelector('.connection[data-connection="reconnecting"]');
        assert.match(await status.textContent(), /^Not connected — reconnecting\s*last heard 1 min ago$/);
        await ui.shot(page, `live-reconnecting-${tablet.width}`);
      });
      await page.waitForSelector('.connection[data-connection="live"]');

      t.diagnostic("the page becomes visible again after a shorter silence: the stream is replaced at once");
      // Right after something arrived (the heartbeat comes every 15 s), so the silence is the clock's jump.
      const heard = await page.getAttribute(".connection-heard", "data-last-heard");
      await page.waitForFunction(
        (before) => document.querySelector(".connection-heard")?.dataset.lastHeard !== before,
        heard,
        { timeout: 20000 },
      );
      await whileDaemonFrozen(async () => {
        await page.clock.fastForward(24000);
        assert.equal(await status.getAttribute("data-connection"), "live", "24 s of silence is not yet stale");
        await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
        await page.waitForSelector('.connection[data-connection="reconnecting"]');
      });
      await page.waitForSelector('.connection[data-connection="live"]');

      t.diagnostic("the network drops: the top bar says so; an alert acknowledged meanwhile shows once it is back");
      const open = await fleet.api(admin.token, "GET", "/alerts?state=open&limit=1000");
      const shown = await page.$$eval("#alert-list .alert-card.open", (cards) => cards.map((c) => c.dataset.alertId));
      const alert = open.items.find((a) => shown.includes(a.id));
      assert.ok(alert, "an open alert on the page");
      const card = page.locator(`#alert-list .alert-card[data-alert-id="${alert.id}"]`);
      await page.context().setOffline(true);
      await page.waitForSelector('.connection[data-connection="reconnecting"]');
      await fleet.api(admin.token, "POST", `/alerts/${alert.id}/ack`, {});
      await sleep(1000);
      assert.equal(await card.locator("[data-alert-state]").textContent(), "Open", "nothing arrives while offline");
      await ui.shot(page, `live-offline-${tablet.width}`);
      await page.context().setOffline(false);
      await page.waitForSelector('.connection[data-connection="live"]');
      await card.locator('[data-alert-state="acknowledged"]').waitFor();
      assert.match(await status.textContent(), /^Live\s*last heard (just now|\d+ s ago)$/);
      await expectNoReload(page);
      await ui.shot(page, `live-back-${tablet.width}`);
    });
    assert.deepEqual(ui.pageErrors, [], "errors in the page");
  },
);
