// The auditor's workspace in headless Chromium against the real system: Mosquitto, sterifleetd serving the
// built dashboard, and sterifleet-sim telling two and a half days of two clinics (with positive biological
// indicators) as fast as the daemon takes them, plus one malformed message for the quarantine. Per role:
// an auditor makes a compliance report, downloads it as CSV, JSON and PDF (the PDF read with pdftotext),
// checks files in the "verify a report" drop zone, reads the audit trail and the chain's verification,
// exports a recall trace and reads the quarantine; a manager sees the quarantine exactly when the daemon
// admits managers there; an admin creates, lists and revokes tokens; a viewer is offered none of it.
// Screenshots go to SCREENSHOT_DIR.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { Dashboard, go } from "./lib/browser.mjs";
import { Fleet, waitFor } from "./lib/fleet.mjs";

// Downloads are saved, to be read back.
const desktop = { viewport: { width: 1440, height: 900 }, acceptDownloads: true };
const tablet = { viewport: { width: 820, height: 1180 }, acceptDownloads: true };
// The payload of the malformed message: a session.start without its body's fields.
const rejectedMarker = "S-BROWSER-REJECTED";

let fleet;
let ui;
const tokens = {};
let description;

before(async () => {
  fleet = await Fleet.start({ dashboard: true });
  // The bootstrap secret works until an admin token exists: the admin token last.
  for (const role of ["auditor", "manager", "viewer", "admin"])
    tokens[role] = await fleet.createToken(`browser-${role}`, role);

  const sim = fleet.startSimWithPositiveBI({ follow: false });
  const ended = await sim.exited;
  assert.equal(ended.code, 0, `sterifleet-sim failed:\n${sim.log().slice(-3000)}`);
  await fleet.waitForIngestionToSettle();

  // One message no device should send: it lands in the quarantine with its reason and raw payload.
  const payload = JSON.stringify({
    v: 1,
    device: "C01-PEN-01",
    boot: 900,
    seq: 1,
    ts: new Date().toISOString(),
    type: "session.start",
    body: { session: rejectedMarker },
  });
  await fleet.publish("sterifleet/v1/C01/C01-PEN-01/event", payload);
  await waitFor(
    "the malformed message in the quarantine",
    async () => (await fleet.api(tokens.admin.token, "GET", "/quarantine?limit=10")).items.length > 0,
    30000,
    250,
  );
  description = await (await fetch(`${fleet.base}/api/v1/openapi.json`)).json();

  ui = await Dashboard.launch(fleet, {
    shotPrefix: "auditor-",
    // A token refused a page (the test's own viewer and revoked tokens), a stream it may not read.
    expectedErrors: /401|403|Unauthorized|EventSource/i,
  });
});

after(async () => {
  await ui?.close();
  await fleet?.stop();
});

/** Signs in with the role's token (or another), once the top bar names the role. */
function signIn(page, role, token = tokens[role].token) {
  return ui.signIn(page, token, `.identity[data-role="${role}"]`);
}

/** Clicks a button that makes the browser save a file; returns the file's path and bytes. */
async function download(page, button, name) {
  const [file] = await Promise.all([page.waitForEvent("download"), button.click()]);
  const target = fleet.file(`${name}-${file.suggestedFilename()}`);
  await file.saveAs(target);
  return { path: target, name: file.suggestedFilename(), bytes: readFileSync(target) };
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

function pdfText(file) {
  return execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
}

/**
 * The pages the dashboard offers this token: the top bar's sections and the workspace's tabs, once the
 * dashboard knows what the daemon admits (a workspace page then shows its content or says it is not allowed).
 */
async function offered(page) {
  await go(page, "#/reports");
  await page.waitForSelector(".not-allowed, #verify-report");
  const nav = await page.$$eval(".nav .nav-link", (links) => links.map((a) => a.getAttribute("href")));
  const tabs = await page.$$eval(".workspace-tabs [data-tab]", (t) => t.map((e) => `#/${e.dataset.tab}`));
  return [...new Set([...nav, ...tabs])];
}

/** Opens a page of the auditor's workspace by its tab. */
async function tab(page, name) {
  await page.click(`.workspace-tabs [data-tab="${name}"]`);
}

/** Whether the daemon's description admits a role to an operation (its x-roles, tested against its routes). */
function admits(role, method, route) {
  return description.paths[route]?.[method]?.["x-roles"]?.includes(role) ?? false;
}

/** Every audit record, as the API lists them. */
async function auditRecords(token) {
  const records = [];
  let after = 0;
  for (;;) {
    const page = await fleet.api(token, "GET", `/audit?after=${after}&limit=1000`);
    records.push(...page.items);
    if (!page.next) return records;
    after = page.next;
  }
}

test(
  "an auditor makes a report, downloads CSV, JSON and PDF, and checks files for authenticity",
  { timeout: 240000 },
  async (t) => {
    await ui.withPage(t, "reports", desktop, async (page) => {
      await signIn(page, "auditor");
      const shown = await offered(page);
      for (const s of ["#/reports", "#/audit"]) assert.ok(shown.includes(s), `the auditor is offered ${s}: ${shown}`);
      assert.ok(!shown.includes("#/tokens"), "an auditor is not offered tokens");
      assert.equal((await page.textContent('.nav-link[href="#/reports"]')).trim(), "Audit");

      t.diagnostic("the summary of clinic C01 for the last 30 days");
      await tab(page, "reports");
      await page.selectOption('select[name="clinic"]', "C01");
      await page.getByRole("button", { name: "Last 30 days" }).click();
      const from = await page.inputValue('input[name="from"]');
      const to = await page.inputValue('input[name="to"]');
      await page.getByRole("button", { name: "Show summary" }).click();
      const summary = page.locator("#report-shown");
      await summary.waitFor();
      const nextDay = new Date(Date.parse(`${to}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);
      const expected = await fleet.api(
        tokens.auditor.token,
        "GET",
        `/reports/compliance?clinic=C01&from=${from}T00:00:00Z&to=${nextDay}T00:00:00Z&format=json`,
      );
      assert.ok(expected.summary.sessions.total > 0, "the simulated days hold sessions");
      const figure = async (label) =>
        (await summary.locator(".figure", { hasText: label }).first().locator(".figure-value").textContent()).trim();
      assert.equal(await figure("Sessions"), String(expected.summary.sessions.total));
      assert.equal(await figure("Positive BIs"), String(expected.summary.recalls.positive_bis));
      assert.ok(expected.summary.recalls.positive_bis > 0, "the simulator injected positive BIs");
      await summary.locator('#report-violations tr[data-rule="cycle.bi_positive"]').waitFor();
      const shownSha = await summary.getAttribute("data-sha256");
      assert.match(shownSha, /^[0-9a-f]{64}$/);
      assert.equal((await summary.locator('[data-seal="sha256"]').textContent()).trim(), shownSha);
      assert.match(await summary.locator('[data-seal="audit-head"]').textContent(), /record #\d+ [0-9a-f]{64}/);
      await ui.shot(page, "01-report-summary");

      t.diagnostic("the JSON download is the report on screen, with the seal shown");
      const json = await download(page, page.getByRole("button", { name: "Download JSON" }), "report");
      assert.equal(JSON.parse(json.bytes.toString("utf8")).integrity.sha256, shownSha);

      t.diagnostic("the PDF: its SHA-256 is the one shown, and pdftotext reads the report");
      const pdf = await download(page, page.getByRole("button", { name: "Download PDF" }), "report");
      assert.match(pdf.name, /^compliance-C01-.*\.pdf$/);
      const pdfRow = page.locator('#reports-made tr[data-format="pdf"]');
      await pdfRow.waitFor();
      assert.equal(await pdfRow.getAttribute("data-sha256"), sha256(pdf.bytes), "the PDF's SHA-256 is the one shown");
      const head = (await pdfRow.locator("[data-audit-head]").getAttribute("data-audit-head")).split(" ");
      const text = pdfText(pdf.path);
      assert.match(text, /Compliance report/i);
      assert.match(text, /C01/);
      assert.ok(text.replace(/\s+/g, "").includes(head[1]), "the PDF prints the audit head shown");

      t.diagnostic("the CSV states the SHA-256 shown in its footer");
      const csv = await download(page, page.getByRole("button", { name: "Download CSV" }), "report");
      const csvSha = await page.locator('#reports-made tr[data-format="csv"]').getAttribute("data-sha256");
      assert.match(csv.bytes.toString("utf8"), new RegExp(`\\r\\nfooter,${csvSha},`));

      t.diagnostic("each file made is in the audit trail as report:<sha256>");
      const records = await auditRecords(tokens.admin.token);
      for (const sha of [shownSha, sha256(pdf.bytes), csvSha]) {
        assert.ok(
          records.some((r) => r.entity === `report:${sha}` && r.actor === "token:browser-auditor"),
          `audit record of report ${sha}`,
        );
      }
      await ui.shot(page, "02-reports-made");

      t.diagnostic("the PDF chosen in the drop zone is authentic");
      const zone = page.locator("#verify-report");
      await zone.locator('input[type="file"]').setInputFiles(pdf.path);
      const verdict = zone.locator("#verify-result");
      await verdict.waitFor();
      assert.equal(await verdict.getAttribute("data-genuine"), "true", await verdict.textContent());
      assert.match(await verdict.textContent(), /Authentic/);
      assert.equal((await verdict.locator('[data-verify="sha256"]').textContent()).trim(), sha256(pdf.bytes));
      assert.match(await verdict.locator('[data-verify="record"]').textContent(), /record #\d+/);
      await ui.shot(page, "03-verify-authentic");

      t.diagnostic("a CSV with one changed figure, dropped on the zone, is not authentic");
      const tampered = csv.bytes
        .toString("utf8")
        .replace(/\r\nsummary,sessions,(\d+)/, (_, n) => `\r\nsummary,sessions,${Number(n) + 1}`);
      assert.notEqual(tampered, csv.bytes.toString("utf8"));
      await zone.locator(".dropzone").evaluate((target, body) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([body], "altered.csv", { type: "text/csv" }));
        target.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, tampered);
      await zone.locator('#verify-result[data-genuine="false"]').waitFor();
      assert.match(await verdict.textContent(), /Not authentic/);
      assert.ok((await verdict.locator(".problems li").count()) > 0, "the problems are said");
      await ui.shot(page, "04-verify-altered");
    });
  },
);

test(
  "the audit trail: chain verified, records paged and filtered, before and after",
  { timeout: 120000 },
  async (t) => {
    await ui.withPage(t, "audit", desktop, async (page) => {
      await signIn(page, "auditor");
      await go(page, "#/reports");
      await tab(page, "audit");
      const status = page.locator('#chain-status[data-intact="true"]');
      await status.waitFor();
      assert.match(await status.textContent(), /Chain intact/);
      const verification = await fleet.api(tokens.auditor.token, "GET", "/audit/verify");
      assert.match(await status.textContent(), new RegExp(`record #\\d+`));
      assert.notEqual(await status.locator("[data-verified-at]").getAttribute("data-verified-at"), "");
      assert.ok(verification.records > 100, `enough records to page: ${verification.records}`);

      t.diagnostic("pages of 50 in the chain's order");
      const rows = page.locator("#audit-records tbody tr[data-seq]");
      await rows.first().waitFor();
      assert.equal(await rows.count(), 50);
      assert.equal(await rows.first().getAttribute("data-seq"), "1");
      await page.getByRole("button", { name: "Next" }).click();
      await page.locator('#audit-records tr[data-seq="51"]').waitFor();
      await page.getByRole("button", { name: "Previous" }).click();
      await page.locator('#audit-records tr[data-seq="1"]').waitFor();

      t.diagnostic("who and what: the auditor's own reports");
      await page.fill('#audit-filters input[name="actor"]', "token:browser-auditor");
      await page.fill('#audit-filters input[name="action"]', "compliance_report");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForSelector('#records-heading:has-text("matching the filters")');
      await waitFor(
        "only the auditor's reports",
        async () => {
          const actions = await page.$$eval("#audit-records tr[data-seq]", (r) => r.map((e) => e.dataset.action));
          return actions.length >= 3 && actions.every((a) => a === "compliance_report");
        },
        10000,
      );
      const actors = await page.$$eval('#audit-records [data-field="actor"]', (c) => c.map((e) => e.textContent));
      assert.ok(
        actors.every((a) => a === "token:browser-auditor"),
        actors.join(", "),
      );

      t.diagnostic("a record's before and after");
      const first = page.locator("#audit-records tr[data-seq]").first();
      await first.getByRole("button", { name: "Before / after" }).click();
      const detail = page.locator(`#audit-${await first.getAttribute("data-seq")}`);
      await detail.waitFor();
      assert.match(await detail.textContent(), /Before.*After/s);
      assert.match(await detail.locator("pre.json").last().textContent(), /"clinic": "C01"/);
      await ui.shot(page, "05-audit-trail");
    });

    t.diagnostic("an auditor of one clinic reads its records, and is told why the chain is not verified here");
    const scoped = await fleet.api(tokens.admin.token, "POST", "/tokens", {
      name: "browser-auditor-c02",
      role: "auditor",
      clinics: ["C02"],
    });
    await ui.withPage(t, "audit-scoped", desktop, async (page) => {
      await signIn(page, "auditor", scoped.token);
      await go(page, "#/audit");
      await page.locator("#audit-records tr[data-seq]").first().waitFor();
      assert.equal(await page.locator("#chain-status").count(), 0);
      assert.match(await page.locator(".notice").first().textContent(), /token for every clinic/);
      const clinics = await page.$$eval("#audit-records tr[data-seq] td:nth-child(5)", (c) =>
        c.map((e) => e.textContent),
      );
      assert.deepEqual([...new Set(clinics)], ["C02"]);
    });
  },
);

test("a recall trace is exported by the daemon as CSV and PDF", { timeout: 120000 }, async (t) => {
  const positive = (await fleet.api(tokens.admin.token, "GET", "/alerts?rule=cycle.bi_positive")).items;
  assert.ok(positive.length > 0, "a positive BI to recall");
  const subject = positive.find((a) => a.clinic === "C01")?.subject ?? positive[0].subject;
  const [sterilizer, cycle] = subject.split("/");
  const recall = await fleet.api(tokens.admin.token, "GET", `/recalls/${sterilizer}/${cycle}`);

  for (const role of ["auditor", "viewer"]) {
    await ui.withPage(t, `recall-${role}`, desktop, async (page) => {
      await signIn(page, role);
      await go(page, `#/recalls/${subject}`);
      await page.waitForSelector(`[data-recall="${subject}"]`);

      const csv = await download(page, page.getByRole("button", { name: "Download CSV" }), `recall-${role}`);
      assert.match(csv.name, /\.csv$/);
      const csvText = csv.bytes.toString("utf8");
      for (const s of recall.sessions)
        assert.match(csvText, new RegExp(`${s.pen}.*${s.session}|${s.session}.*${s.pen}`));

      const pdf = await download(page, page.getByRole("button", { name: "Download PDF" }), `recall-${role}`);
      assert.equal(pdf.bytes.subarray(0, 5).toString("latin1"), "%PDF-");
      // Sealed as a report: the SHA-256 shown is the file's.
      await page.locator(`#recall-saved[data-sha256="${sha256(pdf.bytes)}"]`).waitFor();
      const text = pdfText(pdf.path).replace(/\s+/g, " ");
      assert.ok(text.includes(cycle), `the PDF names the recalled cycle ${cycle}`);
      for (const s of recall.sessions) assert.ok(text.includes(s.session), `the PDF lists session ${s.session}`);
      if (role === "auditor") {
        for (const s of recall.sessions) {
          if (s.patient) assert.ok(text.includes(s.patient), `the auditor's PDF names patient ${s.patient}`);
        }
        await ui.shot(page, "06-recall");
      }
    });
  }
});

test(
  "the quarantine shows what was rejected and why, with the raw payload, to the roles the daemon admits",
  { timeout: 120000 },
  async (t) => {
    await ui.withPage(t, "quarantine", desktop, async (page) => {
      await signIn(page, "auditor");
      await go(page, "#/reports");
      await tab(page, "quarantine");
      const row = page.locator("#quarantine tr[data-quarantine]").first();
      await row.waitFor();
      const [message] = (await fleet.api(tokens.admin.token, "GET", "/quarantine?limit=1")).items;
      assert.equal(await row.getAttribute("data-quarantine"), String(message.id));
      assert.ok((await row.textContent()).includes(message.reason), "the reason is shown");
      await page.locator("#quarantine-counts .figure", { hasText: "Messages rejected" }).waitFor();
      await row.getByRole("button", { name: "Raw payload" }).click();
      const payload = page.locator(`#payload-${message.id} pre.payload`);
      await payload.waitFor();
      assert.match(await payload.textContent(), new RegExp(rejectedMarker));
      await ui.shot(page, "07-quarantine");

      await row.locator("a").first().click();
      await page.waitForSelector(`section[data-quarantine="${message.id}"]`);
      assert.match(await page.textContent("main"), new RegExp(rejectedMarker));
    });

    const managerMay = admits("manager", "get", "/api/v1/quarantine");
    t.diagnostic(`the daemon ${managerMay ? "admits" : "does not admit"} managers to the quarantine`);
    await ui.withPage(t, "quarantine-manager", desktop, async (page) => {
      await signIn(page, "manager");
      const shown = await offered(page);
      assert.equal(shown.includes("#/quarantine"), managerMay, `the manager's sections: ${shown}`);
      assert.ok(!shown.includes("#/reports") && !shown.includes("#/audit") && !shown.includes("#/tokens"));
      await go(page, "#/quarantine");
      if (managerMay) await page.locator("#quarantine tr[data-quarantine]").first().waitFor();
      else await page.waitForSelector(".not-allowed");
    });

    await ui.withPage(t, "viewer", desktop, async (page) => {
      await signIn(page, "viewer");
      const shown = await offered(page);
      for (const s of ["#/reports", "#/audit", "#/quarantine", "#/tokens"])
        assert.ok(!shown.includes(s), `a viewer is not offered ${s}`);
      for (const s of ["#/reports", "#/audit", "#/quarantine", "#/tokens"]) {
        await go(page, s);
        await page.waitForSelector(".not-allowed");
      }
      await ui.shot(page, "08-viewer-not-allowed");
    });
  },
);

test(
  "an admin creates a token for one clinic, sees its secret once, and revokes it",
  { timeout: 120000 },
  async (t) => {
    await ui.withPage(t, "tokens", desktop, async (page) => {
      await signIn(page, "admin");
      assert.ok((await offered(page)).includes("#/tokens"));
      await tab(page, "tokens");
      const form = page.locator("#create-token");
      await form.locator('select[name="role"] option', { hasText: "auditor" }).waitFor({ state: "attached" });

      t.diagnostic("a name is required");
      await form.getByRole("button", { name: "Create token" }).click();
      assert.match(await form.locator(".form-error").textContent(), /name/);

      await form.locator('input[name="name"]').fill("ann.auditor");
      await form.locator('select[name="role"]').selectOption("auditor");
      await form.locator('input[name="clinics"][value="C01"]').check();
      await form.getByRole("button", { name: "Create token" }).click();
      const created = page.locator("#new-token");
      await created.waitFor();
      const secret = await created.locator("[data-secret]").inputValue();
      assert.match(secret, /^sft_/);
      await ui.shot(page, "09-token-created");

      const me = await fleet.api(secret, "GET", "/whoami");
      assert.equal(me.role, "auditor");
      assert.deepEqual(me.clinics, ["C01"]);
      const row = page.locator('#tokens tr[data-name="ann.auditor"]');
      await row.waitFor();
      assert.match(await row.textContent(), /auditor/);
      assert.match(await row.textContent(), /C01/);
      assert.match(await row.locator("[data-token-state]").textContent(), /Active/);

      t.diagnostic("the secret is gone once stored, and not shown again after leaving the page");
      await created.getByRole("button", { name: "I have stored it" }).click();
      await created.waitFor({ state: "detached" });
      await go(page, "#/fleet");
      await go(page, "#/tokens");
      await row.waitFor();
      assert.ok(!(await page.content()).includes(secret), "the secret is not in the page any more");

      t.diagnostic("revoked: listed as such, and refused by the API");
      await row.getByRole("button", { name: "Revoke ann.auditor…" }).click();
      await row.getByRole("button", { name: "Revoke ann.auditor", exact: true }).click();
      await page.locator('#tokens tr[data-name="ann.auditor"][data-revoked="true"]').waitFor();
      assert.match(
        await page.locator('#tokens tr[data-name="ann.auditor"] [data-token-state]').textContent(),
        /Revoked/,
      );
      await assert.rejects(fleet.api(secret, "GET", "/whoami"), /401/);
      await ui.shot(page, "10-token-revoked");
    });
  },
);

test("the auditor's screens fit a tablet with touch-sized controls", { timeout: 120000 }, async (t) => {
  await ui.withPage(t, "tablet", tablet, async (page) => {
    await signIn(page, "admin");
    for (const [hash, ready] of [
      ["#/reports", "#verify-report"],
      ["#/audit", "#audit-records"],
      ["#/quarantine", "#quarantine"],
      ["#/tokens", "#tokens"],
    ]) {
      await go(page, hash);
      await page.waitForSelector(ready);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${hash} scrolls sideways on a tablet by ${overflow} px`);
      const small = await page.evaluate(() =>
        [
          ...document.querySelectorAll(
            "main .button, main select, main input:not([type=checkbox]):not([type=radio]):not([type=file])",
          ),
        ]
          .map((e) => ({ what: e.outerHTML.slice(0, 80), height: e.getBoundingClientRect().height }))
          .filter((e) => e.height > 0 && e.height < 44),
      );
      assert.deepEqual(small, [], `controls under 44 px on ${hash}`);
      await ui.shot(page, `tablet-${hash.slice(2)}`);
    }
  });
  assert.deepEqual(ui.pageErrors, [], "errors in the page");
});
