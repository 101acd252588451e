// Browser test of the dashboard against a running server (scripts/test-clients starts one):
// Debian's Chromium, headless, driven by playwright-core.
//
//   AW_URL=http://127.0.0.1:8080 AW_TOKEN=awo_... node test/dashboard.test.mjs
//
// Steps: a wrong token is refused; sign in; create a company in the UI and read its API key,
// webhook URL and curl example from the page; send an alert to the webhook from this process;
// the incident appears in the open page without a reload; acknowledge it in the UI; its status
// becomes acknowledged; the incident page lists the notifications a route sent to a webhook of
// this process, delivered, and Redeliver sends one again under the same webhook-id; on the
// company page, in the UI: a technician's Slack member id (set, refused, edited), a webhook
// channel to this process (signing secret shown once, Test signed and ok), a Slack channel, an
// email channel and a route without events refused with the server's INVALID_ARGUMENT, a route
// with two escalation levels, repeats and a weekly window listed by names, a viewer's
// PERMISSION_DENIED, the page at 390 px wide without sideways scrolling, FAILED_PRECONDITION for
// a channel in use, and deleting the route and channels; the overview's KPI charts show the company's bars, and a second alert's
// event refreshes them; the overview's trend chart (GetKpiTrend) counts two more alerts in its
// latest hour without a reload, and per day; the Compliance view of the company renders, and Sync answers that the
// company has no AWS role (FAILED_PRECONDITION); on an incident page of an instance, Session
// Manager's Start is disabled for a viewer and answers a technician FAILED_PRECONDITION (no AWS
// role). Then, with $AW_MOTO_URL (the server's AWS
// endpoint, the repo's moto emulator; scripts/test-clients starts both): give the company an AWS
// role through the API and make moto keep invocations in progress; on the incident page "Run
// runbook" refuses the built-in Service restart without its service_name (INVALID_ARGUMENT),
// then runs it with nginx on an instance; the Executions page shows it running with a command
// id, Cancel ends it cancelled (WatchExecutions, no reload); an approval-mode rule's executions
// appear live, Reject asks for a reason, Approve runs one (cancelled in turn); the first run's
// page and the incident's list show its outcome. Then triage (#23), in a company of its own: a
// bookmarked list URL with its filters; a storm nested under its parent with live counts and
// links both ways; keyboard triage (j/k, o/Enter, a, r, x, /, ?); a bulk resolve with a per-row
// failure; the "Mine" filter (a token linked to no technician says so; a technician's own token
// lists their incidents, live); the AWS role set on the company page; every main view at 390 px without sideways
// scrolling. Screenshots (company-phone.png, overview.png, compliance.png, executions.png,
// incidents-phone.png) go to
// $AW_TEST_OUTPUT (default clients/dashboard/test-output).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

const baseUrl = process.env.AW_URL;
const token = process.env.AW_TOKEN;
if (!baseUrl || !token) throw new Error("set AW_URL and AW_TOKEN");
// The server's AWS endpoint (moto with tests/moto/aw_moto.py); without it the runbook steps are
// left out.
const motoUrl = process.env.AW_MOTO_URL ?? "";
const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(process.env.AW_TEST_OUTPUT ?? path.join(here, "..", "test-output"));
const executablePath = process.env.AW_CHROMIUM ?? "/usr/bin/chromium";
const INCIDENT_TIMEOUT_MS = Number(process.env.AW_INCIDENT_TIMEOUT_MS ?? 20_000);

await mkdir(outDir, { recursive: true });
// From an earlier run.
for (const name of ["failure.png", "compliance.png", "executions.png", "company-phone.png", "incidents-phone.png"]) await rm(path.join(outDir, name), { force: true });

/**
 * The generated TypeScript client (clients/typescript/src), bundled by esbuild for Node as the
 * dashboard bundles it, for the calls this test makes itself (e.g. SetAwsRole).
 */
async function loadClient() {
  const root = path.join(here, "..");
  const dir = await mkdtemp(path.join(os.tmpdir(), "aw-dashboard-test-"));
  const out = path.join(dir, "client.mjs");
  await esbuild.build({
    absWorkingDir: root,
    stdin: { contents: 'export { createClient } from "../typescript/src/index.ts";', resolveDir: root, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: out,
    logLevel: "warning",
    plugins: [
      {
        // As in build.mjs: the runtime packages from this package's node_modules.
        name: "own-node-modules",
        setup(build) {
          build.onResolve({ filter: /^@(bufbuild|connectrpc)\// }, async (args) => {
            if (args.pluginData === "own") return undefined;
            return build.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: "own" });
          });
        },
      },
    ],
  });
  const module = await import(pathToFileURL(out).href);
  await rm(dir, { recursive: true, force: true });
  return module.createClient(baseUrl, token);
}
const api = await loadClient();

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Root in a container: Chromium's sandbox needs user namespaces it may not have.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(error));
page.on("console", (message) => {
  if (message.type() === "error") console.log(`  [browser console] ${message.text()}`);
});

const results = [];
let failed = false;
async function step(name, fn) {
  if (failed) {
    results.push({ name, status: "skipped" });
    console.log(`  - ${name}: skipped (an earlier step failed)`);
    return;
  }
  const started = Date.now();
  try {
    await fn();
    results.push({ name, status: "ok" });
    console.log(`  ok ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed = true;
    results.push({ name, status: "FAILED" });
    console.log(`  FAILED ${name}: ${error instanceof Error ? error.message : error}`);
    const shot = path.join(outDir, "failure.png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    const notices = await page.locator('[data-testid="notice"], .error').allTextContents().catch(() => []);
    if (notices.length > 0) console.log(`    page says: ${notices.join(" | ")}`);
    console.log(`    screenshot: ${shot}`);
  }
}
const byTestId = (id) => page.locator(`[data-testid="${id}"]`);

// A webhook receiver of this test, for the notifications of the test company.
const received = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    received.push({
      id: req.headers["webhook-id"],
      timestamp: req.headers["webhook-timestamp"],
      signature: req.headers["webhook-signature"],
      raw: body,
      body: JSON.parse(body),
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
receiver.unref();

const companyName = `dashboard-test-${Date.now()}`;
let apiKey = "";
let companyId = "";
let incidentId = "";

await step("the page loads and a wrong token is refused", async () => {
  const response = await page.goto(`${baseUrl}/`);
  assert.equal(response?.status(), 200);
  await byTestId("token-input").fill("awo_not_a_real_token");
  await byTestId("sign-in").click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="sign-in-error"]')?.textContent?.length > 0,
  );
});

await step("sign in with the admin token", async () => {
  await byTestId("token-input").fill(token);
  await byTestId("sign-in").click();
  await byTestId("overview").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("alertwhisperer.token")), token);
});

await step("create a company in the UI and read its API key", async () => {
  await byTestId("nav-companies").click();
  await byTestId("company-name").fill(companyName);
  await byTestId("create-company").click();
  await byTestId("new-api-key").waitFor();
  apiKey = (await byTestId("new-api-key").textContent())?.trim() ?? "";
  assert.match(apiKey, /^awk_/);
  assert.equal((await byTestId("webhook-url").first().textContent())?.trim(), `${baseUrl}/api/webhooks/alerts`);
  const curl = (await byTestId("curl-example").textContent()) ?? "";
  assert.ok(curl.includes(`X-API-Key: ${apiKey}`), curl);
  assert.ok(curl.includes(`${baseUrl}/api/webhooks/alerts`), curl);
  const row = page.locator('[data-testid="company-row"]', { hasText: companyName });
  await row.waitFor();
  companyId = (await row.getAttribute("data-company-id")) ?? "";
  assert.ok(companyId);
});

await step("select the company and open the incident list", async () => {
  await byTestId("company-select").selectOption(companyId);
  await byTestId("nav-incidents").click();
  await byTestId("incidents").waitFor();
  await byTestId("filter-status").selectOption("");
});

await step("a route sends the company's opened and acknowledged incidents to a webhook of this test", async () => {
  const { channel } = await api.notifications.createChannel({
    companyId,
    name: "dashboard test hook",
    config: { case: "webhook", value: { url: receiverUrl } },
  });
  await api.notifications.createRoute({
    companyId,
    name: "dashboard test",
    // NOTIFY_EVENT_OPENED, NOTIFY_EVENT_ACKNOWLEDGED
    events: [1, 3],
    maxPriority: 4,
    levels: [{ channelIds: [channel.id], delaySeconds: 0 }],
  });
});

await step("send an alert to the webhook (seed payload, X-API-Key)", async () => {
  const response = await fetch(`${baseUrl}/api/webhooks/alerts`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": apiKey },
    body: JSON.stringify({
      asset_name: "web-01",
      signature: "disk_full",
      severity: "critical",
      message: "/var is 97% full (dashboard test)",
      tool_source: "dashboard-test",
    }),
  });
  const text = await response.text();
  assert.equal(response.status, 202, text);
});

await step("the incident appears in the open page without a reload (WatchIncidents)", async () => {
  const navigations = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  const row = page.locator('[data-testid="incident-row"]', { hasText: "web-01" });
  await row.waitFor({ timeout: INCIDENT_TIMEOUT_MS });
  incidentId = (await row.getAttribute("data-incident-id")) ?? "";
  assert.ok(incidentId);
  assert.equal((await row.locator('[data-testid="incident-status"]').textContent())?.trim(), "open");
  assert.deepEqual(navigations.filter((u) => !u.includes("#")), [], "the page reloaded");
});

await step("acknowledge it in the UI; its status becomes acknowledged", async () => {
  await page.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"] [data-testid="incident-link"]`).click();
  await byTestId("incident-detail").waitFor();
  await byTestId("action-acknowledge").click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="incident-detail"] [data-testid="incident-status"]')?.textContent === "acknowledged",
    null,
    { timeout: 10_000 },
  );
  await page.locator('[data-testid="timeline-entry"][data-kind="acknowledged"]').first().waitFor({ timeout: 10_000 });
});

await step("the incident page lists its notifications delivered; Redeliver sends one again under its id", async () => {
  const delivered = '[data-testid="delivery-row"][data-status="delivered"]';
  await page.waitForFunction((selector) => document.querySelectorAll(selector).length === 2, delivered, { timeout: 15_000 });
  const ours = received.filter((r) => r.body.data.incident.id === incidentId);
  assert.deepEqual(ours.map((r) => r.body.type).sort(), ["incident.acknowledged", "incident.opened"]);
  const row = page.locator(delivered).first();
  const deliveryId = (await row.getAttribute("data-delivery-id")) ?? "";
  assert.ok(deliveryId);
  await row.locator('[data-testid="delivery-redeliver"]').click();
  const deadline = Date.now() + 15_000;
  while (received.filter((r) => r.id === deliveryId).length < 2) {
    assert.ok(Date.now() < deadline, "the redelivery did not arrive");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await page.waitForFunction(
    (id) => {
      const tr = document.querySelector(`[data-delivery-id="${id}"]`);
      return tr?.getAttribute("data-status") === "delivered" && tr.querySelectorAll("td")[4]?.textContent === "2";
    },
    deliveryId,
    { timeout: 15_000 },
  );
});

// The company page's notification settings (company-notifications.ts), through the UI: a
// technician's Slack member id, channels (webhook with its signing secret shown once, Test;
// Slack; an email channel the server refuses), routes with escalation levels (a refused one, a
// created one), a viewer's PERMISSION_DENIED, the page on a phone, and deleting what was made.
const uiHook = "ui test hook";
const uiSlack = "ui test slack";
const uiRoute = "ui escalation";
let uiHookId = "";
let uiSlackId = "";
let uiHookSecret = "";
let technicianId = "";
const channelRow = (name) => page.locator(`[data-testid="channel-row"][data-name="${name}"]`);
const routeRow = (name) => page.locator(`[data-testid="route-row"][data-name="${name}"]`);
const openCompanyPage = async () => {
  await page.evaluate(() => (window.location.hash = "#/overview"));
  await byTestId("overview").waitFor();
  await page.evaluate((id) => (window.location.hash = `#/companies/${encodeURIComponent(id)}`), companyId);
  await byTestId("company-detail").waitFor();
  // Loaded: the API-made channel is listed.
  await channelRow("dashboard test hook").waitFor({ timeout: 10_000 });
};
/** Runs `action`, which must ask window.confirm(), and accepts the dialog. */
async function confirming(action) {
  let asked = "";
  const handler = (dialog) => {
    asked = dialog.message();
    void dialog.accept();
  };
  page.once("dialog", handler);
  try {
    await action();
    const deadline = Date.now() + 5_000;
    while (!asked && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(asked, "no confirmation was asked");
  } finally {
    page.off("dialog", handler);
  }
  return asked;
}
const allChannels = async () => (await api.notifications.listChannels({ companyId, pageSize: 500 })).channels;
const allRoutes = async () => (await api.notifications.listRoutes({ companyId, pageSize: 500 })).routes;

await step("the company page lists the channel and route made through the API; a technician gets a Slack member id in the UI", async () => {
  await openCompanyPage();
  const row = channelRow("dashboard test hook");
  const text = (await row.textContent()) ?? "";
  assert.ok(text.includes("Webhook") && text.includes(receiverUrl), text);
  await routeRow("dashboard test").waitFor();
  assert.equal((await routeRow("dashboard test").locator('[data-testid="route-events"]').textContent())?.trim(), "opened, acknowledged");
  assert.ok(((await routeRow("dashboard test").textContent()) ?? "").includes("dashboard test hook"), "the route names its channel");
  // Add a technician (off duty: later incidents are not assigned) with a Slack member id.
  await byTestId("technician-name").fill("Dana Test");
  await byTestId("technician-email").fill("dana@example.com");
  await byTestId("technician-slack-member").fill("U0DANA01");
  await byTestId("technician-on-duty").uncheck();
  await byTestId("add-technician").click();
  const tech = page.locator('[data-testid="technician-row"]', { hasText: "Dana Test" });
  await tech.waitFor({ timeout: 10_000 });
  technicianId = (await tech.getAttribute("data-technician-id")) ?? "";
  assert.ok(technicianId);
  const value = tech.locator('[data-testid="technician-slack-value"]');
  assert.equal((await value.textContent())?.trim(), "U0DANA01");
  // Edit: an invalid id is refused with the server's message, then a valid one is saved.
  await tech.locator('[data-testid="technician-slack-edit"]').click();
  await tech.locator('[data-testid="technician-slack-input"]').fill("not-an-id");
  await tech.locator('[data-testid="technician-slack-save"]').click();
  const error = tech.locator('[data-testid="technician-slack-error"]');
  await error.waitFor({ timeout: 10_000 });
  assert.match((await error.textContent()) ?? "", /INVALID_ARGUMENT: slack_member_id: must be a Slack member id/);
  assert.equal(await tech.locator('[data-testid="technician-slack-input"]').inputValue(), "not-an-id", "the typed value stays");
  await tech.locator('[data-testid="technician-slack-input"]').fill("U0DANA02");
  await tech.locator('[data-testid="technician-slack-save"]').click();
  await page.waitForFunction(
    (id) => document.querySelector(`[data-technician-id="${id}"] [data-testid="technician-slack-value"]`)?.textContent === "U0DANA02",
    technicianId,
    { timeout: 10_000 },
  );
  assert.equal(await tech.locator('[data-testid="technician-slack-error"]').count(), 0);
  const { technicians } = await api.tenants.listTechnicians({ companyId });
  const dana = technicians.find((t) => t.id === technicianId);
  assert.equal(dana?.slackMemberId, "U0DANA02");
  assert.equal(dana?.onDuty, false);
});

await step("create a webhook channel in the UI: its signing secret is shown once; Test reaches this test's receiver and shows ok", async () => {
  await byTestId("channel-name").fill(uiHook);
  await byTestId("channel-kind").selectOption(String(1 /* WEBHOOK */));
  await byTestId("channel-url").fill(receiverUrl);
  await byTestId("channel-max-attempts").fill("3");
  await byTestId("channel-max-per-minute").fill("30");
  await byTestId("channel-add").click();
  const panel = byTestId("channel-secret-panel");
  await panel.waitFor({ timeout: 10_000 });
  assert.match((await panel.textContent()) ?? "", /shown only now/);
  uiHookSecret = (await byTestId("channel-signing-secret").textContent())?.trim() ?? "";
  assert.match(uiHookSecret, /^whsec_[A-Za-z0-9+/]+=*$/);
  const row = channelRow(uiHook);
  await row.waitFor({ timeout: 10_000 });
  uiHookId = (await row.getAttribute("data-channel-id")) ?? "";
  assert.ok(uiHookId);
  const cells = await row.locator("th, td").allTextContents();
  assert.deepEqual(cells.slice(0, 6), [uiHook, "Webhook (signed)", receiverUrl, "3", "30", "yes"]);
  // The form is empty again for the next channel.
  assert.equal(await byTestId("channel-name").inputValue(), "");
  const saved = (await allChannels()).find((c) => c.id === uiHookId);
  assert.equal(saved?.name, uiHook);
  assert.equal(saved?.target, receiverUrl);
  assert.equal(saved?.maxAttempts, 3);
  assert.equal(saved?.maxPerMinute, 30);
  // Shown once: opening the page again shows the channel without its secret.
  await openCompanyPage();
  await channelRow(uiHook).waitFor();
  assert.equal(await byTestId("channel-secret-panel").count(), 0);
  assert.ok(!((await page.content()).includes(uiHookSecret)), "the secret is on the page again");
  // Test: a signed test message reaches the receiver; the row shows ok, the status and latency.
  const before = received.length;
  await channelRow(uiHook).locator('[data-testid="channel-test"]').click();
  const result = channelRow(uiHook).locator('[data-testid="channel-test-result"][data-ok="true"]');
  await result.waitFor({ timeout: 15_000 });
  assert.match((await result.locator('[data-testid="channel-test-summary"]').textContent()) ?? "", /^ok · status 200 · \d+ ms$/);
  const tests = received.slice(before).filter((r) => r.id?.startsWith("test_"));
  assert.equal(tests.length, 1, `the receiver got ${received.length - before} requests`);
  const [test] = tests;
  assert.equal(test.body.type, "incident.opened");
  assert.equal(test.body.data.incident.id, "test");
  // Signed with the secret the page showed (Standard Webhooks).
  const key = Buffer.from(uiHookSecret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${test.id}.${test.timestamp}.${test.raw}`).digest("base64");
  assert.ok(test.signature.split(" ").includes(`v1,${expected}`), `signature ${test.signature}`);
});

await step("a Slack channel in the UI keeps its URL secret; the server's INVALID_ARGUMENT for an email channel shows by the form", async () => {
  await byTestId("channel-kind").selectOption(String(2 /* SLACK */));
  await byTestId("channel-name").fill(uiSlack);
  await byTestId("channel-slack-url").fill(receiverUrl);
  await byTestId("channel-add").click();
  const row = channelRow(uiSlack);
  await row.waitFor({ timeout: 10_000 });
  uiSlackId = (await row.getAttribute("data-channel-id")) ?? "";
  const cells = await row.locator("th, td").allTextContents();
  assert.deepEqual(cells.slice(0, 6), [uiSlack, "Slack", "127.0.0.1", "8", "no limit", "yes"]);
  assert.equal(await byTestId("channel-secret-panel").count(), 0, "a Slack channel has no signing secret to show");
  // Email: every SMTP field is there; a sender that is no address is refused by the server.
  await byTestId("channel-kind").selectOption(String(4 /* EMAIL */));
  for (const id of ["channel-smtp-host", "channel-smtp-port", "channel-smtp-security", "channel-smtp-username", "channel-smtp-password", "channel-email-from", "channel-email-to", "channel-email-ca"]) {
    await byTestId(id).waitFor();
  }
  assert.equal(await byTestId("channel-url").count(), 0);
  await byTestId("channel-name").fill("ui test email");
  await byTestId("channel-smtp-host").fill("smtp.example.com");
  await byTestId("channel-smtp-security").selectOption(String(2 /* TLS */));
  await byTestId("channel-email-from").fill("not an address");
  await byTestId("channel-email-to").fill("oncall@example.com");
  await byTestId("channel-add").click();
  const error = byTestId("channel-form-error");
  await error.waitFor({ timeout: 10_000 });
  assert.match((await error.textContent()) ?? "", /INVALID_ARGUMENT: email\.from: is not an e-mail address/);
  assert.equal(await byTestId("channel-smtp-host").inputValue(), "smtp.example.com", "the form keeps what was typed");
  // PagerDuty's fields.
  await byTestId("channel-kind").selectOption(String(5 /* PAGERDUTY */));
  await byTestId("channel-pagerduty-key").waitFor();
  await byTestId("channel-pagerduty-url").waitFor();
  assert.equal((await allChannels()).filter((c) => c.name === "ui test email").length, 0);
});

await step("a route without events shows the server's INVALID_ARGUMENT next to the form; the page keeps working", async () => {
  await byTestId("route-name").fill(uiRoute);
  await byTestId("route-level").first().locator(`[data-testid="route-level-channel"][data-channel-id="${uiHookId}"]`).check();
  await byTestId("route-add").click();
  const error = byTestId("route-form-error");
  await error.waitFor({ timeout: 10_000 });
  assert.match((await error.textContent()) ?? "", /^Add route: INVALID_ARGUMENT: events: at least one event is required$/);
  assert.equal(await byTestId("route-name").inputValue(), uiRoute, "the form keeps what was typed");
  assert.equal(await routeRow(uiRoute).count(), 0);
  assert.equal((await allRoutes()).filter((r) => r.name === uiRoute).length, 0);
  assert.deepEqual(pageErrors, []);
});

await step("create a route with two escalation levels, repeats and a weekly window in the UI; it is listed with channel and technician names", async () => {
  await byTestId("route-event-opened").check();
  await byTestId("route-event-resolved").check();
  await byTestId("route-max-priority").selectOption("2");
  await byTestId("route-add-level").click();
  const level2 = page.locator('[data-testid="route-level"][data-level="2"]');
  await level2.waitFor();
  await level2.locator('[data-testid="route-level-delay"]').fill("600");
  await level2.locator(`[data-testid="route-level-channel"][data-channel-id="${uiSlackId}"]`).check();
  await level2.locator(`[data-testid="route-level-technician"][data-technician-id="${technicianId}"]`).check();
  await byTestId("route-repeat-interval").fill("300");
  await byTestId("route-repeat-count").fill("2");
  await byTestId("route-time-zone").fill("Europe/Berlin");
  for (const day of [1, 2, 3, 4, 5]) await byTestId(`route-weekday-${day}`).check();
  await byTestId("route-window-start").fill("08:00");
  await byTestId("route-window-end").fill("18:00");
  await byTestId("route-add").click();
  const row = routeRow(uiRoute);
  await row.waitFor({ timeout: 10_000 });
  assert.equal(await byTestId("route-form-error").count(), 0);
  assert.equal((await row.locator('[data-testid="route-events"]').textContent())?.trim(), "opened, resolved");
  assert.equal((await row.locator('[data-testid="route-priority"]').textContent())?.trim(), "P1–P2");
  const levels = await row.locator('[data-testid="route-level-summary"]').allTextContents();
  assert.deepEqual(levels, [`at once: ${uiHook}`, `after 10 min: ${uiSlack} · pages Dana Test`]);
  assert.equal((await row.locator('[data-testid="route-when"]').textContent())?.trim(), "Mon, Tue, Wed, Thu, Fri 08:00–18:00 (Europe/Berlin)");
  assert.equal((await row.locator('[data-testid="route-repeats"]').textContent())?.trim(), "2× every 5 min");
  // A fresh form for the next route.
  assert.equal(await byTestId("route-name").inputValue(), "");
  assert.equal(await byTestId("route-level").count(), 1);
  const route = (await allRoutes()).find((r) => r.name === uiRoute);
  assert.ok(route, "the server has the route");
  assert.deepEqual(route.events, [1, 4]);
  assert.equal(route.maxPriority, 2);
  assert.deepEqual(route.levels.map((l) => l.delaySeconds), [0, 600]);
  assert.deepEqual(route.levels.map((l) => l.channelIds), [[uiHookId], [uiSlackId]]);
  assert.deepEqual(route.levels.map((l) => l.technicianIds), [[], [technicianId]]);
  assert.equal(route.repeatIntervalSeconds, 300);
  assert.equal(route.repeatCount, 2);
  assert.equal(route.timeZone, "Europe/Berlin");
  assert.deepEqual(route.windows.map((w) => [w.weekdays, w.startTime, w.endTime]), [[[1, 2, 3, 4, 5], "08:00", "18:00"]]);
});

await step("a viewer token sees the settings and gets PERMISSION_DENIED shown when it tests or adds a channel", async () => {
  const { token: viewerToken } = await api.tenants.createOperatorToken({ name: "dashboard test viewer", role: 3 /* VIEWER */, companyIds: [companyId] });
  assert.match(viewerToken, /^awo_/);
  const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await viewerContext.addInitScript((t) => sessionStorage.setItem("alertwhisperer.token", t), viewerToken);
    const viewer = await viewerContext.newPage();
    viewer.on("pageerror", (error) => pageErrors.push(error));
    await viewer.goto(`${baseUrl}/#/companies/${encodeURIComponent(companyId)}`);
    const row = viewer.locator(`[data-testid="channel-row"][data-name="${uiHook}"]`);
    await row.waitFor({ timeout: 10_000 });
    await viewer.locator(`[data-testid="route-row"][data-name="${uiRoute}"]`).waitFor();
    await row.locator('[data-testid="channel-test"]').click();
    const error = row.locator('[data-testid="channel-row-error"]');
    await error.waitFor({ timeout: 10_000 });
    assert.match((await error.textContent()) ?? "", /^Test: PERMISSION_DENIED: /);
    await viewer.locator('[data-testid="channel-name"]').fill("viewer hook");
    await viewer.locator('[data-testid="channel-url"]').fill(receiverUrl);
    await viewer.locator('[data-testid="channel-add"]').click();
    const formError = viewer.locator('[data-testid="channel-form-error"]');
    await formError.waitFor({ timeout: 10_000 });
    assert.match((await formError.textContent()) ?? "", /^Add channel: PERMISSION_DENIED: /);
  } finally {
    await viewerContext.close();
  }
  assert.equal((await allChannels()).filter((c) => c.name === "viewer hook").length, 0);
});

await step("on a phone (390 px wide, dark) the company page with its notification settings does not scroll sideways", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  try {
    await openCompanyPage();
    await routeRow(uiRoute).waitFor();
    // The widest states: a test result, two level rows, the email form.
    await channelRow(uiHook).locator('[data-testid="channel-test"]').click();
    await channelRow(uiHook).locator('[data-testid="channel-test-result"][data-ok="true"]').waitFor({ timeout: 15_000 });
    await byTestId("route-add-level").click();
    await page.locator('[data-testid="route-level"][data-level="2"]').waitFor();
    await byTestId("channel-kind").selectOption(String(4 /* EMAIL */));
    await byTestId("channel-email-ca").waitFor();
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
      wide: [...document.querySelectorAll("main *")]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest(".table-wrap"))
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}${e.dataset.testid ? `[${e.dataset.testid}]` : ""}.${e.className}`),
    }));
    assert.ok(widths.scroll <= 390, `the page is ${widths.scroll} px wide; too wide: ${widths.wide.join(", ")}`);
    const shot = path.join(outDir, "company-phone.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`    company page on a phone: ${shot}`);
  } finally {
    await page.emulateMedia({ colorScheme: null });
    await page.setViewportSize({ width: 1280, height: 900 });
  }
});

await step("deleting a channel a route uses shows FAILED_PRECONDITION; delete the route and the channels in the UI", async () => {
  await openCompanyPage();
  const asked = await confirming(() => channelRow(uiHook).locator('[data-testid="channel-delete"]').click());
  assert.ok(asked.includes(uiHook), asked);
  const error = channelRow(uiHook).locator('[data-testid="channel-row-error"]');
  await error.waitFor({ timeout: 10_000 });
  const text = (await error.textContent()) ?? "";
  assert.match(text, /^Delete: FAILED_PRECONDITION: /, text);
  assert.ok(text.includes(uiRoute), text);
  assert.ok((await allChannels()).some((c) => c.id === uiHookId), "the channel is still there");
  await confirming(() => routeRow(uiRoute).locator('[data-testid="route-delete"]').click());
  await routeRow(uiRoute).waitFor({ state: "detached", timeout: 10_000 });
  assert.equal((await allRoutes()).filter((r) => r.name === uiRoute).length, 0);
  for (const name of [uiHook, uiSlack]) {
    await confirming(() => channelRow(name).locator('[data-testid="channel-delete"]').click());
    await channelRow(name).waitFor({ state: "detached", timeout: 10_000 });
  }
  const left = (await allChannels()).map((c) => c.name);
  assert.deepEqual(left, ["dashboard test hook"]);
  // The API's route and channel stay, for the steps that follow.
  await routeRow("dashboard test").waitFor();
  assert.equal(await channelRow("dashboard test hook").count(), 1);
});

await step("the incident list shows it acknowledged", async () => {
  await byTestId("nav-incidents").click();
  const status = page.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"] [data-testid="incident-status"]`);
  await status.waitFor();
  assert.equal((await status.textContent())?.trim(), "acknowledged");
});

await step("the overview's KPI charts show the test company's bars, refreshed by WatchIncidents events", async () => {
  // The company selected: its stream is open whatever the number of companies (over plain
  // HTTP "All companies" follows only the 4 oldest).
  await byTestId("company-select").selectOption(companyId);
  await byTestId("nav-overview").click();
  await byTestId("overview").waitFor();
  const bar = (chart) =>
    page.locator(`[data-testid="${chart}"] [data-testid="chart-bar"][data-company-id="${companyId}"]`);
  await bar("chart-noise-reduction").waitFor({ timeout: 10_000 });
  // One alert, one incident: nothing folded yet.
  assert.equal(await bar("chart-noise-reduction").getAttribute("data-value"), "0");
  assert.match((await bar("chart-noise-reduction").locator('[data-testid="chart-bar-value"]').textContent()) ?? "", /%$/);
  // Acknowledged above: MTTA has a value; not resolved: MTTR has none.
  assert.notEqual((await bar("chart-mtta").locator('[data-testid="chart-bar-value"]').textContent())?.trim(), "—");
  assert.equal((await bar("chart-mttr").locator('[data-testid="chart-bar-value"]').textContent())?.trim(), "—");
  await bar("chart-self-healed").waitFor();
  // The same alert again folds into the incident: its event refreshes the KPIs (no reload, no
  // polling), and noise reduction becomes 1 − 1 incident / 2 alerts = 50 %.
  const response = await fetch(`${baseUrl}/api/webhooks/alerts`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": apiKey },
    body: JSON.stringify({
      asset_name: "web-01",
      signature: "disk_full",
      severity: "critical",
      message: "/var is 98% full (dashboard test, again)",
      tool_source: "dashboard-test",
    }),
  });
  assert.equal(response.status, 202, await response.text());
  await page.waitForFunction(
    (id) =>
      document
        .querySelector(`[data-testid="chart-noise-reduction"] [data-testid="chart-bar"][data-company-id="${id}"]`)
        ?.getAttribute("data-value") === "50",
    companyId,
    { timeout: 10_000 },
  );
  // All companies: one bar per company, the test company's among them.
  await byTestId("company-select").selectOption("");
  await page.locator(`[data-testid="overview"] .subtitle`, { hasText: "All companies" }).waitFor();
  await page.waitForFunction(
    (id) =>
      document
        .querySelector(`[data-testid="chart-noise-reduction"] [data-testid="chart-bar"][data-company-id="${id}"]`)
        ?.getAttribute("data-value") === "50",
    companyId,
    { timeout: 10_000 },
  );
});

await step("the overview's trend chart (GetKpiTrend) counts new alerts in its latest bucket without a reload", async () => {
  await byTestId("company-select").selectOption(companyId);
  await page.locator(`[data-testid="overview"] .subtitle`, { hasText: "All companies" }).waitFor({ state: "detached" });
  const navigations = [];
  const onNavigate = (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  };
  page.on("framenavigated", onNavigate);
  const latest = () =>
    page.evaluate(() => {
      const buckets = document.querySelectorAll('[data-testid="trend-counts"] [data-testid="trend-bucket"]');
      const last = buckets[buckets.length - 1];
      return {
        count: buckets.length,
        start: last?.getAttribute("data-start") ?? "",
        alerts: Number(last?.getAttribute("data-alerts") || "0"),
        firstAlerts: buckets[0]?.getAttribute("data-alerts") ?? null,
      };
    });
  // 24 hourly buckets; the company is new, so the first hour has no data (a gap, not a 0).
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="trend-counts"] [data-testid="trend-bucket"]').length === 24,
    null,
    { timeout: 10_000 },
  );
  const before = await latest();
  assert.equal(before.firstAlerts, "", "an empty bucket has no value");
  for (const asset of ["trend-01", "trend-02"]) {
    const response = await fetch(`${baseUrl}/api/webhooks/alerts`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": apiKey },
      body: JSON.stringify({
        asset_name: asset,
        signature: "high_cpu",
        severity: "warning",
        message: `CPU at 95% on ${asset} (dashboard trend test)`,
        tool_source: "dashboard-test",
      }),
    });
    assert.equal(response.status, 202, await response.text());
  }
  // The incidents' events refetch the trend (at most every 5 s): the latest bucket rises by 2
  // (or, if an hour began meanwhile, the new latest bucket holds them).
  await page.waitForFunction(
    ({ start, alerts }) => {
      const buckets = document.querySelectorAll('[data-testid="trend-counts"] [data-testid="trend-bucket"]');
      const last = buckets[buckets.length - 1];
      const now = Number(last?.getAttribute("data-alerts") || "0");
      return last?.getAttribute("data-start") === start ? now >= alerts + 2 : now >= 2;
    },
    before,
    { timeout: 20_000 },
  );
  // The noise reduction line has a value in the latest hour; MTTA/MTTR charts are drawn.
  const pct = await page
    .locator('[data-testid="trend-noise-reduction"] [data-testid="trend-bucket"]')
    .last()
    .getAttribute("data-pct");
  assert.ok(pct !== null && pct !== "", "the latest hour has a noise reduction");
  await byTestId("trend-durations").waitFor();
  // Per day for 30 days: today's bucket holds at least the four alerts.
  await byTestId("kpi-trend-days").click();
  await page.waitForFunction(
    () => {
      const buckets = document.querySelectorAll('[data-testid="trend-counts"] [data-testid="trend-bucket"]');
      return buckets.length === 30 && Number(buckets[buckets.length - 1]?.getAttribute("data-alerts") || "0") >= 4;
    },
    null,
    { timeout: 10_000 },
  );
  page.off("framenavigated", onNavigate);
  assert.deepEqual(navigations.filter((u) => !u.includes("#")), [], "the page reloaded");
  // Back to all companies, as the next steps expect.
  await byTestId("company-select").selectOption("");
  await page.locator(`[data-testid="overview"] .subtitle`, { hasText: "All companies" }).waitFor();
});

await step("the Compliance view of the test company renders; Sync answers FAILED_PRECONDITION (no AWS role)", async () => {
  await byTestId("nav-compliance").click();
  // All companies: the test company has a row, never synced.
  const row = page.locator(`[data-testid="compliance-company-row"][data-company-id="${companyId}"]`);
  await row.waitFor({ timeout: 10_000 });
  assert.ok(((await row.textContent()) ?? "").includes("never synced"));
  // The company itself.
  await byTestId("company-select").selectOption(companyId);
  await page.locator(`[data-testid="compliance"][data-company-id="${companyId}"]`).waitFor();
  assert.equal((await byTestId("compliance-scope").textContent())?.trim(), companyName);
  await byTestId("compliance-never-synced").waitFor({ timeout: 10_000 });
  assert.equal((await byTestId("compliance-instances-value").textContent())?.trim(), "—");
  await byTestId("compliance-trend-empty").waitFor();
  await byTestId("compliance-instances-empty").waitFor();
  assert.equal(await byTestId("compliance-csv").isDisabled(), true);
  await byTestId("compliance-sync").click();
  const error = byTestId("sync-error");
  await error.waitFor({ timeout: 10_000 });
  const text = (await error.textContent()) ?? "";
  assert.match(text, /FAILED_PRECONDITION/, text);
  assert.match(text, /no AWS role/, text);
  assert.ok(text.includes(companyId), text);
  const shot = path.join(outDir, "compliance.png");
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`    compliance screenshot: ${shot}`);
});

await step("Session Manager on an incident page: a viewer gets the controls disabled; a technician's Start shows FAILED_PRECONDITION (no AWS role)", async () => {
  // An incident on an instance id (StartSession takes only the incident's own instances).
  const sessionAsset = "i-0feedfacecafe0001";
  const response = await fetch(`${baseUrl}/api/webhooks/alerts`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": apiKey },
    body: JSON.stringify({ asset_name: sessionAsset, signature: "session_test", severity: "high", message: "needs a look (dashboard test)", tool_source: "dashboard-test" }),
  });
  assert.equal(response.status, 202, await response.text());
  let sessionIncidentId = "";
  const deadline = Date.now() + INCIDENT_TIMEOUT_MS;
  while (!sessionIncidentId && Date.now() < deadline) {
    const { incidents } = await api.incidents.listIncidents({ companyIds: [companyId], asset: sessionAsset, pageSize: 10 });
    sessionIncidentId = incidents[0]?.id ?? "";
    if (!sessionIncidentId) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(sessionIncidentId, "the session test's incident was not created");
  const incidentUrl = `${baseUrl}/#/incidents/${encodeURIComponent(sessionIncidentId)}`;

  const { token: viewerToken } = await api.tenants.createOperatorToken({ name: "dashboard test session viewer", role: 3 /* VIEWER */, companyIds: [companyId] });
  const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await viewerContext.addInitScript((t) => sessionStorage.setItem("alertwhisperer.token", t), viewerToken);
    const viewer = await viewerContext.newPage();
    viewer.on("pageerror", (error) => pageErrors.push(error));
    await viewer.goto(incidentUrl);
    const note = viewer.locator('[data-testid="session-role-note"]');
    await viewer.waitForFunction(() => document.querySelector('[data-testid="session-role-note"]')?.textContent, null, { timeout: 10_000 });
    assert.match((await note.textContent()) ?? "", /technician or admin/);
    assert.equal(await viewer.locator('[data-testid="session-start"]').isDisabled(), true);
    assert.equal(await viewer.locator('[data-testid="session-reason"]').isDisabled(), true);
  } finally {
    await viewerContext.close();
  }

  const { token: technicianToken } = await api.tenants.createOperatorToken({ name: "dashboard test session technician", role: 2 /* TECHNICIAN */, companyIds: [companyId] });
  const technicianContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await technicianContext.addInitScript((t) => sessionStorage.setItem("alertwhisperer.token", t), technicianToken);
    const technician = await technicianContext.newPage();
    technician.on("pageerror", (error) => pageErrors.push(error));
    await technician.goto(incidentUrl);
    const start = technician.locator('[data-testid="session-start"]');
    await technician.waitForFunction(() => document.querySelector('[data-testid="session-start"]')?.disabled === false, null, { timeout: 10_000 });
    assert.equal(await technician.locator('[data-testid="session-instance"]').inputValue(), sessionAsset, "prefilled with the incident's asset");
    assert.equal((await technician.locator('[data-testid="session-role-note"]').textContent()) ?? "", "");
    await technician.locator('[data-testid="session-reason"]').fill("check the disk");
    await start.click();
    const error = technician.locator('[data-testid="session-error"]');
    await error.waitFor({ timeout: 10_000 });
    const text = (await error.textContent()) ?? "";
    assert.match(text, /^Start session: FAILED_PRECONDITION: /, text);
    assert.match(text, /AWS role/, text);
    assert.equal(await technician.locator('[data-testid="session-started"]').count(), 0);
  } finally {
    await technicianContext.close();
  }
});

// Runbooks, against moto (the server's AWS endpoint).
const INSTANCE_ID = "i-0123456789abcdef0";
const EXECUTION_TIMEOUT_MS = Number(process.env.AW_EXECUTION_TIMEOUT_MS ?? 20_000);
let executionId = "";
const executionRow = () => page.locator(`[data-testid="execution-row"][data-execution-id="${executionId}"]`);
async function runbookStep(name, fn) {
  if (!motoUrl) {
    results.push({ name, status: "skipped" });
    console.log(`  - ${name}: skipped (set AW_MOTO_URL to the server's moto endpoint)`);
    return;
  }
  await step(name, fn);
}

await runbookStep("give the company an AWS role (SetAwsRole); moto keeps invocations in progress", async () => {
  const answer = await api.tenants.setAwsRole({
    companyId,
    roleArn: "arn:aws:iam::111111111111:role/AlertWhisperer",
    externalId: "ext-1",
  });
  assert.equal(answer.company?.id, companyId);
  const response = await fetch(`${motoUrl}/_aw/invocation_outcomes`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ "*": { Status: "InProgress" } }),
  });
  assert.equal(response.status, 204, await response.text());
});

await runbookStep("Run runbook on the incident page: a missing parameter is refused, then Service restart runs", async () => {
  await page.evaluate((id) => (window.location.hash = `#/incidents/${encodeURIComponent(id)}`), incidentId);
  await page.locator(`[data-testid="incident-detail"][data-incident-id="${incidentId}"]`).waitFor();
  await byTestId("incident-executions-empty").waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="runbook-select"] option[value="builtin-service-restart"]').waitFor({ state: "attached", timeout: 10_000 });
  await byTestId("runbook-select").selectOption("builtin-service-restart");
  const serviceName = byTestId("runbook-param-service_name");
  await serviceName.waitFor();
  assert.equal(await serviceName.inputValue(), "", "service_name has no default");
  // The target is prefilled with the incident's asset (a host name here, not an instance id).
  assert.equal(await byTestId("runbook-target").inputValue(), "web-01");
  await byTestId("runbook-target").fill(INSTANCE_ID);
  // Without service_name: the server's INVALID_ARGUMENT, naming the field.
  await byTestId("runbook-run").click();
  const error = byTestId("runbook-error");
  await error.waitFor({ timeout: 10_000 });
  const text = (await error.textContent()) ?? "";
  assert.match(text, /INVALID_ARGUMENT/, text);
  assert.match(text, /service_name/, text);
  await serviceName.fill("nginx");
  await byTestId("runbook-comment").fill("restart from the dashboard test");
  await byTestId("runbook-run").click();
  const created = byTestId("runbook-created");
  await created.waitFor({ timeout: 10_000 });
  executionId = (await created.getAttribute("data-execution-id")) ?? "";
  assert.ok(executionId);
  assert.ok(((await created.textContent()) ?? "").includes(INSTANCE_ID));
  // The incident's executions list it.
  await page.locator(`[data-testid="incident-execution-row"][data-execution-id="${executionId}"]`).waitFor({ timeout: 10_000 });
});

await runbookStep("the Executions page shows it running with a command id, live (WatchExecutions)", async () => {
  const navigations = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  await byTestId("nav-executions").click();
  await page.locator(`[data-testid="executions"][data-company-id="${companyId}"]`).waitFor();
  await byTestId("execution-filter-status").selectOption("");
  await executionRow().waitFor({ timeout: 10_000 });
  // Manual runs are sent at once; moto keeps the invocation in progress.
  await page.locator(`[data-testid="execution-row"][data-execution-id="${executionId}"][data-status="running"]`).waitFor({ timeout: EXECUTION_TIMEOUT_MS });
  const commandId = executionRow().locator('[data-testid="execution-command-id"]');
  await commandId.waitFor({ timeout: EXECUTION_TIMEOUT_MS });
  assert.match((await commandId.getAttribute("data-command-id")) ?? "", /^[0-9a-f-]{36}$/);
  const row = (await executionRow().textContent()) ?? "";
  assert.ok(row.includes("Service restart"), row);
  assert.ok(row.includes("manual"), row);
  await executionRow().locator('[data-testid="execution-cancel"]').waitFor();
  assert.equal(await executionRow().locator('[data-testid="execution-approve"]').count(), 0);
  // The header follows the company's execution stream.
  await page.locator('[data-testid="live-status"][data-state="live"]').waitFor({ timeout: 10_000 });
  assert.deepEqual(navigations.filter((u) => !u.includes("#")), [], "the page reloaded");
});

await runbookStep("Cancel ends it cancelled without a reload", async () => {
  await executionRow().locator('[data-testid="execution-cancel"]').click();
  // CancelCommand is sent and the executor polls until the invocation stops: the last change
  // comes by the WatchExecutions stream.
  await page.locator(`[data-testid="execution-row"][data-execution-id="${executionId}"][data-status="cancelled"]`).waitFor({ timeout: EXECUTION_TIMEOUT_MS });
  assert.equal(await executionRow().locator('[data-testid="execution-cancel"]').count(), 0);
  assert.equal(await byTestId("executions-error").count(), 0, "no API error shown");
});

await runbookStep("a rule's executions wait for approval and appear live; Reject needs a reason; Approve runs one, Cancel stops it", async () => {
  // An approval-mode rule (through the API): alerts with signature service_down ask to restart
  // nginx on the instance.
  const rule = await api.runbooks.createRemediationRule({
    companyId,
    name: "Restart nginx when it is down (dashboard test)",
    matchers: [{ name: "signature", operator: 1 /* EQUAL */, value: "service_down" }],
    runbookId: "builtin-service-restart",
    parameterTemplates: { service_name: "nginx" },
    targets: { instanceIds: [INSTANCE_ID] },
    mode: 2 /* APPROVAL */,
    cooldown: { seconds: 0n, nanos: 0 },
  });
  assert.ok(rule.remediationRule?.id);
  // Two incidents (two assets), each with its execution waiting for approval, while the page
  // is open.
  for (const asset of ["web-02", "web-03"]) {
    const response = await fetch(`${baseUrl}/api/webhooks/alerts`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": apiKey },
      body: JSON.stringify({
        asset_name: asset,
        signature: "service_down",
        severity: "high",
        message: `nginx is down on ${asset} (dashboard test)`,
        tool_source: "dashboard-test",
      }),
    });
    assert.equal(response.status, 202, await response.text());
  }
  const pending = page.locator('[data-testid="execution-row"][data-status="pending approval"]');
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="execution-row"][data-status="pending approval"]').length === 2,
    null,
    { timeout: EXECUTION_TIMEOUT_MS },
  );
  const [approveId, rejectId] = await pending.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-execution-id")));
  const rowOf = (id) => page.locator(`[data-testid="execution-row"][data-execution-id="${id}"]`);
  assert.ok(((await rowOf(rejectId).textContent()) ?? "").includes("rule"));

  // Reject: the reason field; without a reason nothing is sent and the page says so.
  await rowOf(rejectId).locator('[data-testid="execution-reject"]').click();
  await rowOf(rejectId).locator('[data-testid="execution-reject-confirm"]').click();
  await page.locator('[data-testid="executions-error"]', { hasText: "give a reason" }).waitFor();
  await rowOf(rejectId).locator('[data-testid="execution-reject-reason"]').fill("not now (dashboard test)");
  await rowOf(rejectId).locator('[data-testid="execution-reject-confirm"]').click();
  await page.locator(`[data-testid="execution-row"][data-execution-id="${rejectId}"][data-status="rejected"]`).waitFor({ timeout: 10_000 });
  assert.equal(await byTestId("executions-error").count(), 0, "the error is gone after the rejection");

  // Approve: queued, then sent (moto keeps it in progress).
  await rowOf(approveId).locator('[data-testid="execution-approve"]').click();
  await page.locator(`[data-testid="execution-row"][data-execution-id="${approveId}"][data-status="running"] [data-testid="execution-command-id"]`).waitFor({ timeout: EXECUTION_TIMEOUT_MS });
  const shot = path.join(outDir, "executions.png");
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`    executions screenshot: ${shot}`);
  await rowOf(approveId).locator('[data-testid="execution-cancel"]').click();
  await page.locator(`[data-testid="execution-row"][data-execution-id="${approveId}"][data-status="cancelled"]`).waitFor({ timeout: EXECUTION_TIMEOUT_MS });
});

await runbookStep("the execution's page shows the instance's invocation; the incident lists it cancelled", async () => {
  await executionRow().locator('[data-testid="execution-link"]').click();
  await page.locator(`[data-testid="execution-detail"][data-execution-id="${executionId}"]`).waitFor();
  const invocation = page.locator(`[data-testid="invocation-row"][data-instance-id="${INSTANCE_ID}"]`);
  await invocation.waitFor({ timeout: 10_000 });
  assert.equal((await invocation.locator('[data-testid="invocation-status"]').textContent())?.trim(), "cancelled");
  assert.equal((await page.locator('[data-testid="execution-detail"] [data-testid="execution-status"]').first().textContent())?.trim(), "cancelled");
  assert.ok(((await page.locator('[data-testid="execution-parameters"]').textContent()) ?? "").includes("nginx"));
  await page.locator(`[data-testid="invocation-output"][data-instance-id="${INSTANCE_ID}"]`).waitFor();
  // Back to the incident: its list and timeline have the outcome.
  await page.locator('[data-testid="execution-incident-link"]').click();
  await page.locator(`[data-testid="incident-detail"][data-incident-id="${incidentId}"]`).waitFor();
  await page
    .locator(`[data-testid="incident-execution-row"][data-execution-id="${executionId}"] [data-testid="execution-status"][data-status="cancelled"]`)
    .waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="timeline-entry"][data-kind="remediation failed"]').first().waitFor({ timeout: 10_000 });
});

// Triage (#23), in a company of its own (made through the API) so that the steps above keep
// their figures: a bookmarked list URL, a storm nested under its parent with live counts,
// keyboard triage, a bulk resolve with a per-row failure, and every main view at 390 px wide.
let triageCompanyId = "";
let triageKey = "";
const triageUrl = (query) => `${baseUrl}/#/incidents?company=${encodeURIComponent(triageCompanyId)}&status=any${query}`;
const sendAlert = async (key, asset, signature, message, severity = "high") => {
  const response = await fetch(`${baseUrl}/api/webhooks/alerts`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": key },
    body: JSON.stringify({ asset_name: asset, signature, severity, message, tool_source: "dashboard-test" }),
  });
  assert.equal(response.status, 202, await response.text());
};
/** Opens a URL as a bookmark would: a fresh page load (the tab keeps its session). */
const openFresh = async (url) => {
  await page.goto("about:blank");
  await page.goto(url);
};
const rowOfIncident = (id) => page.locator(`[data-testid="incident-row"][data-incident-id="${id}"]`);
/** Waits until the incident list shows exactly the rows (not nested) matching `selector`, `count` of them. */
const waitRows = (selector, count) =>
  page.waitForFunction(([s, n]) => document.querySelectorAll(s).length === n, [selector, count], { timeout: INCIDENT_TIMEOUT_MS });

await step("a bookmarked incident list URL opens with its company and filters", async () => {
  const answer = await api.tenants.createCompany({ name: `dashboard-triage-${Date.now()}` });
  triageCompanyId = answer.company?.id ?? "";
  triageKey = answer.apiKeySecret;
  assert.ok(triageCompanyId && triageKey);
  await openFresh(triageUrl("&sort=priority&dir=asc"));
  await byTestId("incidents").waitFor();
  await byTestId("incidents-empty").waitFor({ timeout: 10_000 });
  assert.equal(await byTestId("filter-company").inputValue(), triageCompanyId);
  assert.equal(await byTestId("filter-status").inputValue(), "");
  assert.equal(await byTestId("company-select").inputValue(), triageCompanyId, "the header follows the list's company");
  // A filter change is written back into the URL.
  await byTestId("filter-priority").selectOption("high");
  await page.waitForFunction(() => window.location.hash.includes("priority=high"));
  assert.match(await page.evaluate(() => window.location.hash), /sort=priority&dir=asc/);
  await byTestId("filter-priority").selectOption("");
  await page.waitForFunction(() => !window.location.hash.includes("priority="));
});

let stormParentId = "";
await step("a storm (one signature on 6 assets) shows as one parent with its incidents nested beneath, counts live", async () => {
  const navigations = [];
  const onNavigate = (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  };
  page.on("framenavigated", onNavigate);
  try {
    for (let i = 1; i <= 5; i++) await sendAlert(triageKey, `storm-0${i}`, "cpu_storm", `CPU at 100% on storm-0${i} (storm test)`);
    const parent = page.locator('[data-testid="incident-row"][data-storm="true"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="incident-row"][data-storm="true"]')?.getAttribute("data-child-count") === "5", null, { timeout: INCIDENT_TIMEOUT_MS });
    stormParentId = (await parent.getAttribute("data-incident-id")) ?? "";
    assert.ok(stormParentId);
    // Collapsed: the children are folded into their parent's row, the only row.
    await waitRows('[data-testid="incident-row"]', 1);
    assert.equal((await parent.locator('[data-testid="incident-alert-count"]').textContent())?.trim(), "5");
    await parent.locator('[data-testid="storm-toggle"]').click();
    assert.equal(await parent.locator('[data-testid="storm-toggle"]').getAttribute("aria-expanded"), "true");
    await waitRows(`[data-testid="incident-row"][data-parent-id="${stormParentId}"]`, 5);
    // A sixth asset joins the storm: the parent's counts and its nested rows follow, no reload.
    await sendAlert(triageKey, "storm-06", "cpu_storm", "CPU at 100% on storm-06 (storm test)");
    await page.waitForFunction((id) => document.querySelector(`[data-incident-id="${id}"] [data-testid="storm-count"]`)?.textContent === "6", stormParentId, { timeout: INCIDENT_TIMEOUT_MS });
    await waitRows(`[data-testid="incident-row"][data-parent-id="${stormParentId}"]`, 6);
    await page.waitForFunction((id) => document.querySelector(`[data-incident-id="${id}"] [data-testid="incident-alert-count"]`)?.textContent === "6", stormParentId, { timeout: INCIDENT_TIMEOUT_MS });
    assert.equal(await page.locator('[data-testid="incident-row"]:not([data-parent-id])').count(), 1, "children are not listed on their own");
    assert.deepEqual(navigations.filter((u) => !u.includes("#")), [], "the page reloaded");
  } finally {
    page.off("framenavigated", onNavigate);
  }
  // Linked both ways: the parent's page lists its incidents and their alerts; a child links back.
  await rowOfIncident(stormParentId).locator('[data-testid="incident-link"]').click();
  await page.locator(`[data-testid="incident-detail"][data-incident-id="${stormParentId}"]`).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="storm-child-row"]').length === 6, null, { timeout: 10_000 });
  assert.equal(await page.locator('[data-testid="alert-row"] [data-testid="alert-incident-link"]').count(), 6);
  // Alerts and timeline come before the Run runbook form.
  const order = await page.evaluate(() => {
    const top = (s) => document.querySelector(s)?.getBoundingClientRect().top ?? -1;
    return { alerts: top('[data-testid="incident-alerts"]'), timeline: top('[data-testid="incident-timeline"]'), runbook: top('[data-testid="runbook-select"]') };
  });
  assert.ok(order.alerts >= 0 && order.timeline >= 0 && (order.runbook < 0 || (order.alerts < order.runbook && order.timeline < order.runbook)), JSON.stringify(order));
  await page.locator('[data-testid="storm-child-link"]').first().click();
  await byTestId("incident-parent-link").waitFor({ timeout: 10_000 });
  assert.equal(await byTestId("incident-parent-link").getAttribute("href"), `#/incidents/${encodeURIComponent(stormParentId)}`);
});

await step("keyboard triage: / focuses the search, j/k move, o and Enter open, a acknowledges, r resolves, ? shows the help", async () => {
  await sendAlert(triageKey, "kb-01", "kb_first", "first keyboard test alert");
  await sendAlert(triageKey, "kb-02", "kb_second", "second keyboard test alert");
  await openFresh(triageUrl(""));
  await byTestId("incidents-table").waitFor({ timeout: 10_000 });
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "filter-search");
  // Typed into the search, "keyboard" (a, r, o among its letters) is text, not shortcuts.
  await page.keyboard.type("keyboard");
  await page.keyboard.press("Enter");
  await waitRows('[data-testid="incident-row"]', 2);
  assert.equal(await byTestId("resolve-dialog").evaluate((d) => d.open), false);
  assert.equal(await byTestId("filter-search").inputValue(), "keyboard");
  assert.match(await page.evaluate(() => window.location.hash), /q=keyboard/);
  const ids = await page.locator('[data-testid="incident-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-incident-id")));
  const cursorId = () => page.evaluate(() => document.querySelector('[data-testid="incident-row"][data-cursor="true"]')?.getAttribute("data-incident-id") ?? "");
  await page.keyboard.press("Tab"); // out of the search field
  await page.keyboard.press("j");
  assert.equal(await cursorId(), ids[0]);
  await page.keyboard.press("j");
  assert.equal(await cursorId(), ids[1]);
  await page.keyboard.press("k");
  assert.equal(await cursorId(), ids[0]);
  await page.keyboard.press("o");
  await page.locator(`[data-testid="incident-detail"][data-incident-id="${ids[0]}"]`).waitFor();
  await page.keyboard.press("u"); // back to the list, with its filters
  await waitRows('[data-testid="incident-row"]', 2);
  // Back from the incident, the cursor is where it was.
  await page.waitForFunction((id) => document.querySelector('[data-testid="incident-row"][data-cursor="true"]')?.getAttribute("data-incident-id") === id, ids[0]);
  await page.keyboard.press("j");
  await page.keyboard.press("Enter");
  await page.locator(`[data-testid="incident-detail"][data-incident-id="${ids[1]}"]`).waitFor();
  await page.goBack();
  await waitRows('[data-testid="incident-row"]', 2);
  await page.waitForFunction((id) => document.querySelector('[data-testid="incident-row"][data-cursor="true"]')?.getAttribute("data-incident-id") === id, ids[1]);
  // Acknowledge the first with a, resolve it with r (the dialog takes the resolution).
  await page.keyboard.press("k");
  assert.equal(await cursorId(), ids[0]);
  await page.keyboard.press("a");
  await page.waitForFunction((id) => document.querySelector(`[data-testid="incident-row"][data-incident-id="${id}"] [data-testid="incident-status"]`)?.textContent === "acknowledged", ids[0], { timeout: 10_000 });
  await page.keyboard.press("r");
  await byTestId("resolve-dialog").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "resolve-dialog-text");
  await page.keyboard.type("fixed from the keyboard");
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => document.querySelector(`[data-testid="incident-row"][data-incident-id="${id}"] [data-testid="incident-status"]`)?.textContent === "resolved", ids[0], { timeout: 10_000 });
  const resolved = await api.incidents.getIncident({ incidentId: ids[0] });
  assert.equal(resolved.incident?.resolution, "fixed from the keyboard");
  // x selects; ? shows the help, Esc closes it.
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  assert.equal((await byTestId("bulk-count").textContent())?.trim(), "1 selected");
  await page.keyboard.press("x");
  await page.keyboard.press("?");
  await byTestId("shortcuts-help").waitFor();
  assert.ok(((await byTestId("shortcuts-help").textContent()) ?? "").includes("acknowledge"));
  await page.keyboard.press("Escape");
  await byTestId("shortcuts-help").waitFor({ state: "hidden" });
  // The incident's timeline names who acknowledged and resolved it, not "token:<id>".
  await page.evaluate((id) => (window.location.hash = `#/incidents/${encodeURIComponent(id)}`), ids[0]);
  await page.locator('[data-testid="timeline-entry"][data-kind="resolved"]').waitFor({ timeout: 10_000 });
  const actorsNamed = () =>
    page.evaluate(() => {
      const actors = [...document.querySelectorAll('[data-testid="timeline-entry"]:is([data-kind="resolved"], [data-kind="acknowledged"]) [data-testid="timeline-actor"]')].map((a) => a.textContent ?? "");
      return actors.length === 2 && actors.every((a) => a.endsWith("(operator)") && !a.includes("token:")) ? "" : actors.join(", ") || "none";
    });
  // (Names looked up after the page loads arrive with a second render.)
  await page.waitForFunction(
    () => {
      const actors = [...document.querySelectorAll('[data-testid="timeline-entry"]:is([data-kind="resolved"], [data-kind="acknowledged"]) [data-testid="timeline-actor"]')].map((a) => a.textContent ?? "");
      return actors.length === 2 && actors.every((a) => a.endsWith("(operator)") && !a.includes("token:"));
    },
    null,
    { timeout: 10_000 },
  ).catch(async () => assert.fail(`timeline actors: ${await actorsNamed()}`));
});

await step("bulk assign and bulk resolve of several incidents; a failure shows on its row", async () => {
  const { technician } = await api.tenants.createTechnician({ companyId: triageCompanyId, name: "Bulk Tester", email: "bulk@example.com", onDuty: false });
  for (const asset of ["bulk-01", "bulk-02", "bulk-03"]) await sendAlert(triageKey, asset, `bulk_${asset}`, `bulk test alert on ${asset}`);
  await openFresh(triageUrl("&q=bulk"));
  await waitRows('[data-testid="incident-row"]', 3);
  const ids = await page.locator('[data-testid="incident-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-incident-id")));
  // Assign all three to the technician; the Technician filter (in the URL) then lists them.
  await page.locator(`[data-testid="bulk-assign-select"] option[value="${technician.id}"]`).waitFor({ state: "attached" });
  await byTestId("select-all").check();
  await byTestId("bulk-assign-select").selectOption(technician.id);
  await byTestId("bulk-assign").click();
  await page.locator('[data-testid="bulk-result"]', { hasText: "Assign: 3 done." }).waitFor({ timeout: 15_000 });
  assert.equal((await byTestId("bulk-count").textContent())?.trim().startsWith("Select incidents"), true, "done ones are unselected");
  for (const id of ids) assert.equal((await api.incidents.getIncident({ incidentId: id })).incident?.assignedTechnicianId, technician.id);
  await openFresh(triageUrl(`&technician=${technician.id}`));
  await waitRows('[data-testid="incident-row"]', 3);
  await page.waitForFunction(
    (id) => {
      const select = document.querySelector('[data-testid="filter-technician"]');
      const assigned = [...document.querySelectorAll('[data-testid="incident-row"] td[data-label="Assigned"]')].map((td) => td.textContent);
      return select?.value === id && select.selectedOptions[0]?.textContent === "Bulk Tester" && assigned.length === 3 && assigned.every((t) => t === "Bulk Tester");
    },
    technician.id,
  );
  // One is resolved elsewhere first: resolving it again is refused (FAILED_PRECONDITION).
  await api.incidents.resolveIncident({ incidentId: ids[2], resolution: "resolved by the test's API call" });
  await page.waitForFunction((id) => document.querySelector(`[data-incident-id="${id}"] [data-testid="incident-status"]`)?.textContent === "resolved", ids[2], { timeout: 10_000 });
  await byTestId("select-all").check();
  assert.equal((await byTestId("bulk-count").textContent())?.trim(), "3 selected");
  await byTestId("bulk-resolve").click();
  await byTestId("resolve-dialog-text").fill("bulk fix (dashboard test)");
  await byTestId("resolve-dialog-submit").click();
  await page.locator('[data-testid="bulk-result"]', { hasText: "Resolve: 2 done, 1 failed" }).waitFor({ timeout: 15_000 });
  for (const id of ids.slice(0, 2)) {
    assert.equal((await rowOfIncident(id).locator('[data-testid="incident-status"]').textContent())?.trim(), "resolved");
    assert.equal((await api.incidents.getIncident({ incidentId: id })).incident?.resolution, "bulk fix (dashboard test)");
  }
  assert.match((await rowOfIncident(ids[2]).locator('[data-testid="row-error"]').textContent()) ?? "", /^Resolve: FAILED_PRECONDITION: /);
  assert.equal((await byTestId("bulk-count").textContent())?.trim(), "1 selected", "the failed one stays selected");
});

await step("Mine: a token linked to no technician says so; one linked to a technician lists their incidents, live", async () => {
  // The admin token is linked to no one: a shared Mine link explains instead of listing nothing.
  await openFresh(triageUrl("&mine=1"));
  await byTestId("mine-unlinked").waitFor({ timeout: 10_000 });
  assert.match((await byTestId("filter-mine-note").textContent()) ?? "", /linked to no technician/);
  assert.equal(await byTestId("incidents-table").count(), 0);
  await byTestId("mine-clear").click();
  await byTestId("incidents-table").waitFor({ timeout: 10_000 });
  assert.doesNotMatch(await page.evaluate(() => window.location.hash), /mine=/);
  assert.equal(await byTestId("filter-mine").isDisabled(), true, "Mine cannot be switched on without a technician");

  // A technician's own token (CreateOperatorToken technician_id), limited to the company.
  const { technician } = await api.tenants.createTechnician({ companyId: triageCompanyId, name: "Mia Mine", email: "mia@example.com", onDuty: false });
  const created = await api.tenants.createOperatorToken({ name: "mia's laptop", role: 2 /* TECHNICIAN */, companyIds: [triageCompanyId], technicianId: technician.id });
  assert.equal(created.operatorToken?.technicianId, technician.id);
  for (const asset of ["mine-01", "mine-02", "mine-03"]) await sendAlert(triageKey, asset, `mine_${asset}`, `mine test alert on ${asset}`);
  const incidents = (await api.incidents.listIncidents({ companyIds: [triageCompanyId], pageSize: 500 })).incidents.filter((i) => i.signature.startsWith("mine_"));
  assert.equal(incidents.length, 3);
  const [first, second] = incidents.map((i) => i.id);
  await api.incidents.assignIncident({ incidentId: first, technicianId: technician.id });

  // Mia signs in in a tab of her own and opens the list with Mine on.
  const miaContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const mia = await miaContext.newPage();
  mia.on("pageerror", (error) => pageErrors.push(error));
  try {
    await mia.goto(baseUrl);
    await mia.locator('[data-testid="token-input"]').fill(created.token);
    await mia.locator('[data-testid="sign-in"]').click();
    await mia.locator('[data-testid="overview"]').waitFor({ timeout: 10_000 });
    await mia.evaluate((hash) => (window.location.hash = hash), `#/incidents?company=${encodeURIComponent(triageCompanyId)}&status=any&mine=1`);
    const miaRows = () => mia.locator('[data-testid="incident-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-incident-id")));
    await mia.waitForFunction((id) => {
      const rows = [...document.querySelectorAll('[data-testid="incident-row"]')];
      return rows.length === 1 && rows[0].getAttribute("data-incident-id") === id;
    }, first, { timeout: 10_000 });
    assert.equal(await mia.locator('[data-testid="filter-mine"]').isChecked(), true);
    assert.equal((await mia.locator('[data-testid="filter-mine-name"]').textContent())?.trim(), "(Mia Mine)");
    assert.equal(await mia.locator('[data-testid="filter-technician"]').isDisabled(), true);
    // Assigned to her elsewhere: it joins her list without a reload.
    await api.incidents.assignIncident({ incidentId: second, technicianId: technician.id });
    await mia.waitForFunction(() => document.querySelectorAll('[data-testid="incident-row"]').length === 2, null, { timeout: INCIDENT_TIMEOUT_MS });
    assert.deepEqual((await miaRows()).sort(), [first, second].sort());
    // Off: everyone's incidents again, and the URL forgets it.
    await mia.locator('[data-testid="filter-mine"]').uncheck();
    await mia.waitForFunction(() => document.querySelectorAll('[data-testid="incident-row"]').length > 2, null, { timeout: 10_000 });
    assert.doesNotMatch(await mia.evaluate(() => window.location.hash), /mine=/);
    await mia.locator('[data-testid="filter-mine"]').check();
    await mia.waitForFunction(() => window.location.hash.includes("mine=1") && document.querySelectorAll('[data-testid="incident-row"]').length === 2, null, { timeout: 10_000 });
  } finally {
    await miaContext.close();
  }
});

await step("the company page sets the AWS role (SetAwsRole), a malformed ARN shows INVALID_ARGUMENT; a corrected correlation window saves", async () => {
  await page.evaluate((id) => (window.location.hash = `#/companies/${encodeURIComponent(id)}`), triageCompanyId);
  await byTestId("aws-role-save").waitFor({ timeout: 10_000 });
  assert.equal(await byTestId("company-select").inputValue(), triageCompanyId, "the header follows the company page");
  await byTestId("aws-role-arn").fill("not-an-arn");
  await byTestId("aws-external-id").fill("ext-triage");
  await byTestId("aws-role-save").click();
  await byTestId("aws-role-error").waitFor({ timeout: 10_000 });
  assert.match((await byTestId("aws-role-error").textContent()) ?? "", /INVALID_ARGUMENT/);
  assert.equal(await byTestId("aws-role-arn").inputValue(), "not-an-arn", "the form keeps what was typed");
  await byTestId("aws-role-arn").fill("arn:aws:iam::222222222222:role/Triage");
  await byTestId("aws-role-save").click();
  await byTestId("aws-role-saved").waitFor({ timeout: 10_000 });
  assert.ok(((await byTestId("aws-role-status").textContent()) ?? "").includes("arn:aws:iam::222222222222:role/Triage"));
  const { company } = await api.tenants.getCompany({ companyId: triageCompanyId });
  assert.deepEqual([company?.awsRole?.roleArn, company?.awsRole?.externalId], ["arn:aws:iam::222222222222:role/Triage", "ext-triage"]);
  // The correlation form: Preview flags an out-of-range window; once corrected, Save saves it.
  await byTestId("correlation-window").fill("20");
  await byTestId("action-preview").click();
  assert.equal(await byTestId("correlation-window").evaluate((input) => input.validity.customError), true);
  await byTestId("correlation-window").fill("12");
  await byTestId("action-save-correlation").click();
  await page.locator('[data-testid="notice"]', { hasText: "Correlation settings saved" }).waitFor({ timeout: 10_000 });
  const { config } = await api.correlation.getCorrelationConfig({ companyId: triageCompanyId });
  assert.equal(Number(config?.window?.seconds), 720);
});

await step("at 390 px wide no main view scrolls sideways; the menu collapses", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const views = [
      ["#/overview", '[data-testid="kpi-charts"] figure, [data-testid="kpi-charts-placeholder"]'],
      [`#/incidents?company=${encodeURIComponent(triageCompanyId)}&status=any`, '[data-testid="incidents-table"]'],
      [`#/incidents/${encodeURIComponent(stormParentId)}`, '[data-testid="storm-child-row"]'],
      ["#/companies", '[data-testid="company-row"]'],
      [`#/companies/${encodeURIComponent(triageCompanyId)}`, '[data-testid="correlation-window"]'],
      ["#/executions", '[data-testid="executions"]'],
      ["#/compliance", '[data-testid="compliance-summary"], [data-testid="compliance-never-synced"], [data-testid="compliance-companies-table"]'],
    ];
    for (const [hash, ready] of views) {
      await page.evaluate((h) => (window.location.hash = h), hash);
      await page.locator(ready).first().waitFor({ timeout: 10_000 });
      if (hash.startsWith("#/companies/")) {
        assert.equal(await byTestId("company-select").inputValue(), triageCompanyId, "the header follows the company page");
      }
      if (hash.startsWith("#/incidents?")) {
        // The widest state: the storm open, a row selected.
        const toggle = page.locator('[data-testid="storm-toggle"]').first();
        await toggle.waitFor();
        if ((await toggle.getAttribute("aria-expanded")) === "false") await toggle.click();
        await page.locator('[data-testid="incident-row"][data-parent-id]').first().waitFor();
        await page.locator('[data-testid="row-select"]').first().check();
      }
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
        wide: [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".table-wrap"))
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}${e.dataset.testid ? `[${e.dataset.testid}]` : ""}.${e.className}`),
      }));
      assert.ok(widths.scroll <= widths.inner, `${hash}: the page is ${widths.scroll} px wide for ${widths.inner}; too wide: ${widths.wide.join(", ")}`);
    }
    // The navigation hides behind Menu.
    assert.equal(await byTestId("nav-incidents").isVisible(), false);
    await byTestId("menu-toggle").click();
    await byTestId("nav-incidents").waitFor();
    await byTestId("nav-incidents").click();
    await byTestId("incidents").waitFor();
    assert.equal(await byTestId("nav-incidents").isVisible(), false, "the menu closes after a choice");
    const shot = path.join(outDir, "incidents-phone.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`    incident list on a phone: ${shot}`);
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
});

// Always: the overview of the test company, for a person to look at.
const overviewShot = path.join(outDir, "overview.png");
try {
  if (companyId) await byTestId("company-select").selectOption(companyId).catch(() => {});
  await page.evaluate(() => (window.location.hash = "#/overview"));
  await byTestId("overview").waitFor({ timeout: 5_000 });
  await page.waitForTimeout(1_000);
  await page.screenshot({ path: overviewShot, fullPage: true });
  console.log(`  overview screenshot: ${overviewShot}`);
} catch (error) {
  console.log(`  could not take the overview screenshot: ${error}`);
}

await browser.close();

if (pageErrors.length > 0) {
  failed = true;
  for (const error of pageErrors) console.log(`  uncaught error in the page: ${error.stack ?? error}`);
}
const ok = results.filter((r) => r.status === "ok").length;
console.log(`dashboard browser test: ${ok} of ${results.length} steps passed${failed ? "; FAILED" : ""}`);
process.exit(failed ? 1 : 0);
