// Component tests of the views under Node, without a browser: the views (src/views) are bundled
// with esbuild and rendered into happy-dom's DOM; the API is faked at the view's boundary, the
// Ctx the shell hands every view (its `client` answers ListIncidents, GetCaller and the rest
// from an in-memory list and records every request). Checked: the incident list's grouping of a
// storm parent with its children, sorting and filters kept in the URL, bulk selection and
// actions, the "Mine" filter (with and without a technician linked to the token), keyboard
// triage, empty states that show no fake zeros, the incident page's Session Manager card
// (role-gated Start session, the command line shown, Terminate), and the execution actions
// (Approve and Reject also for an Automation's waiting aws:approve step).
//
//   node --test test/views.test.mjs
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import * as esbuild from "esbuild";
import { Window } from "happy-dom";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");

// ---- a DOM for the views: happy-dom's window, its names made global as in a browser ----

const window = new Window({ url: "http://127.0.0.1:8080/", width: 1280, height: 800 });
for (const key of Object.getOwnPropertyNames(window)) {
  // Node's own globals (timers, URL, Event, fetch …) stay; the DOM's are added.
  if (key in globalThis || key.startsWith("_")) continue;
  Object.defineProperty(globalThis, key, { configurable: true, get: () => window[key] });
}
assert.equal(globalThis.document, window.document);

// ---- the views, bundled as build.mjs bundles them ----

async function loadModules() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "aw-views-"));
  const out = path.join(dir, "views.mjs");
  await esbuild.build({
    absWorkingDir: root,
    stdin: {
      contents: [
        'export { incidentsView } from "./src/views/incidents.ts";',
        'export { overviewView } from "./src/views/overview.ts";',
        'export { incidentSessions } from "./src/views/incident-sessions.ts";',
        'export { ExecutionActions, waitsOnApprovalStep } from "./src/views/executions.ts";',
        'export * from "./src/api.ts";',
        'export { create } from "@bufbuild/protobuf";',
        'export { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";',
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: out,
    logLevel: "warning",
    plugins: [
      {
        // As in build.mjs: one copy of the runtime packages, from this package.
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
  const modules = await import(pathToFileURL(out).href);
  await rm(dir, { recursive: true, force: true });
  return modules;
}

const m = await loadModules();
const { IncidentStatus, Priority, Severity, Code, ConnectError, create, timestampFromMs, durationFromMs } = m;

// ---- fake data and a fake API ----

const NOW = Date.now();
const MINUTE = 60_000;

/** An incident message; `minutesAgo` sets its creation, `updatedMinutesAgo` its last change. */
function incident(id, fields = {}) {
  const { minutesAgo = 10, updatedMinutesAgo = minutesAgo, ...rest } = fields;
  return create(m.IncidentSchema, {
    id,
    companyId: "c1",
    asset: `host-${id}`,
    signature: "high_cpu",
    summary: `CPU on ${id}`,
    status: IncidentStatus.OPEN,
    priority: Priority.P3,
    severity: Severity.HIGH,
    alertCount: 1n,
    createTime: timestampFromMs(NOW - minutesAgo * MINUTE),
    updateTime: timestampFromMs(NOW - updatedMinutesAgo * MINUTE),
    ...rest,
  });
}

const ADA = { id: "t-ada", companyId: "c1", name: "Ada", email: "ada@example.com", onDuty: true };
const BOB = { id: "t-bob", companyId: "c1", name: "Bob", email: "bob@example.com", onDuty: true };

/**
 * A Ctx over an in-memory API. `linked` is the technician GetCaller answers (undefined: the
 * token is linked to none); `failing` the incident ids whose actions fail.
 */
function fakeApp({ incidents = [], technicians = [ADA, BOB], linked, scope = "", failing = [], kpis, trend } = {}) {
  const store = new Map(incidents.map((i) => [i.id, i]));
  const requests = [];
  const listeners = new Set();
  const failures = [];
  const companies = [create(m.CompanySchema, { id: "c1", name: "Acme" }), create(m.CompanySchema, { id: "c2", name: "Globex" })];
  let clock = NOW;
  const call = (name, request) => {
    requests.push({ name, request });
  };
  const change = (incidentId, fields) => {
    if (failing.includes(incidentId)) throw new ConnectError("the incident is busy", Code.FailedPrecondition);
    const current = store.get(incidentId);
    if (!current) throw new ConnectError(`incident ${incidentId}`, Code.NotFound);
    clock += 1000;
    const next = create(m.IncidentSchema, { ...current, ...fields, updateTime: timestampFromMs(clock) });
    store.set(incidentId, next);
    return { incident: next };
  };
  const client = {
    incidents: {
      async listIncidents(request) {
        call("listIncidents", request);
        const list = [...store.values()].filter(
          (i) =>
            (request.companyIds?.length ? request.companyIds.includes(i.companyId) : true) &&
            (request.statuses?.length ? request.statuses.includes(i.status) : true) &&
            (request.priorities?.length ? request.priorities.includes(i.priority) : true) &&
            (!request.asset || i.asset === request.asset) &&
            (!request.assignedTechnicianId || i.assignedTechnicianId === request.assignedTechnicianId) &&
            (!request.parentIncidentId || i.parentIncidentId === request.parentIncidentId),
        );
        return create(m.ListIncidentsResponseSchema, { incidents: list, nextPageToken: "" });
      },
      async acknowledgeIncident(request) {
        call("acknowledgeIncident", request);
        return change(request.incidentId, { status: IncidentStatus.ACKNOWLEDGED });
      },
      async resolveIncident(request) {
        call("resolveIncident", request);
        return change(request.incidentId, { status: IncidentStatus.RESOLVED });
      },
      async assignIncident(request) {
        call("assignIncident", request);
        return change(request.incidentId, { assignedTechnicianId: request.technicianId });
      },
      async getKpis(request) {
        call("getKpis", request);
        return create(m.GetKpisResponseSchema, kpis ?? {});
      },
      async getKpiTrend(request) {
        call("getKpiTrend", request);
        return create(m.GetKpiTrendResponseSchema, trend ?? {});
      },
    },
    tenants: {
      async listTechnicians(request) {
        call("listTechnicians", request);
        return create(m.ListTechniciansResponseSchema, {
          technicians: technicians.map((t) => create(m.TechnicianSchema, t)),
        });
      },
      async getCaller(request) {
        call("getCaller", request);
        return create(m.GetCallerResponseSchema, {
          operatorToken: { id: "tok-1", name: linked ? `${linked.name}'s laptop` : "noc wall", role: m.OperatorRole.TECHNICIAN, technicianId: linked?.id ?? "" },
          technician: linked ? create(m.TechnicianSchema, linked) : undefined,
        });
      },
    },
  };
  const ctx = {
    client,
    token: "awo_test",
    feed: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    executionFeed: { subscribe: () => () => undefined },
    caller: () => client.tenants.getCaller({}),
    companies: () => companies,
    companyName: (id) => companies.find((c) => c.id === id)?.name ?? id,
    scope: () => scope,
    scopeIds: () => (scope ? [scope] : companies.map((c) => c.id)),
    setScope: (id) => call("setScope", id),
    pinStream: () => undefined,
    refreshCompanies: async () => undefined,
    notify: () => undefined,
    fail: (error, what) => failures.push(`${what}: ${error}`),
  };
  return {
    ctx,
    store,
    failures,
    requests: (name) => requests.filter((r) => r.name === name).map((r) => r.request),
    /** A WatchIncidents event, as the live feed delivers it. */
    emit(next) {
      store.set(next.id, next);
      for (const listener of listeners) listener.event?.({ sequence: 1n, companyId: next.companyId, incident: next });
    },
  };
}

// ---- helpers ----

/** Lets the views' pending answers and re-renders run. */
async function settle() {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

let disposeView;
/** Renders a view into the document, as the shell mounts it. */
async function show(view) {
  disposeView = () => view.dispose();
  document.body.replaceChildren(view.element);
  await settle();
  return view.element;
}

/** Renders the incident list for the query `query` (the part of the hash after "?"). */
function incidentList(app, query = "") {
  window.location.hash = `#/incidents?${query}`;
  return show(m.incidentsView(app.ctx, new URLSearchParams(query)));
}

const byTestId = (element, id) => [...element.querySelectorAll(`[data-testid="${id}"]`)];
const one = (element, id) => {
  const found = byTestId(element, id);
  assert.equal(found.length, 1, `one [data-testid=${id}], found ${found.length}`);
  return found[0];
};
/** The ids of the incident rows, top to bottom. */
const rowIds = (element) => byTestId(element, "incident-row").map((row) => row.getAttribute("data-incident-id"));
/** The list's query in the URL. */
const urlParams = () => new URLSearchParams(window.location.hash.split("?")[1] ?? "");

function change(control, value) {
  if (value !== undefined) control.value = value;
  control.dispatchEvent(new window.Event("change", { bubbles: true }));
}
function toggle(checkbox) {
  checkbox.checked = !checkbox.checked;
  checkbox.dispatchEvent(new window.Event("change", { bubbles: true }));
}
function key(k) {
  document.dispatchEvent(new window.KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
}

beforeEach(() => {
  window.sessionStorage.clear();
  window.location.hash = "";
});
afterEach(() => {
  disposeView?.();
  disposeView = undefined;
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  document.body.replaceChildren();
});

// ---- the incident list ----

describe("incident list: storms", () => {
  const storm = () => [
    incident("parent", { isStormParent: true, childIncidentCount: 2, alertCount: 5n, summary: "high_cpu on 2 assets", asset: "", minutesAgo: 5 }),
    incident("child-1", { parentIncidentId: "parent", alertCount: 3n, minutesAgo: 5 }),
    incident("child-2", { parentIncidentId: "parent", alertCount: 2n, minutesAgo: 4 }),
    incident("lone", { minutesAgo: 20 }),
  ];

  test("a storm parent lists once, its children nested beneath it when opened", async () => {
    const app = fakeApp({ incidents: storm() });
    const view = await incidentList(app);
    // Collapsed: the children are not top-level rows.
    assert.deepEqual(rowIds(view), ["parent", "lone"]);
    const parentRow = view.querySelector('tr[data-incident-id="parent"]');
    assert.equal(parentRow.getAttribute("data-storm"), "true");
    assert.equal(one(view, "storm-count").textContent, "2");
    const toggleButton = one(view, "storm-toggle");
    assert.equal(toggleButton.getAttribute("aria-expanded"), "false");

    toggleButton.click();
    await settle();
    // The storm's incidents were asked for by parent, and show right below it.
    const childRequest = app.requests("listIncidents").find((r) => r.parentIncidentId === "parent");
    assert.ok(childRequest, "ListIncidents with parent_incident_id");
    assert.deepEqual(childRequest.companyIds, ["c1"]);
    assert.deepEqual(rowIds(view), ["parent", "child-2", "child-1", "lone"]);
    for (const id of ["child-1", "child-2"]) {
      const row = view.querySelector(`tr[data-incident-id="${id}"]`);
      assert.equal(row.getAttribute("data-parent-id"), "parent");
      assert.ok(row.classList.contains("child"));
      assert.match(row.textContent, /↳/);
    }
    assert.equal(one(view, "storm-toggle").getAttribute("aria-expanded"), "true");

    // Closing it hides them again.
    one(view, "storm-toggle").click();
    await settle();
    assert.deepEqual(rowIds(view), ["parent", "lone"]);
  });

  test("a live child joins its open storm and the parent's count follows", async () => {
    const app = fakeApp({ incidents: storm() });
    const view = await incidentList(app);
    one(view, "storm-toggle").click();
    await settle();
    app.emit(incident("child-3", { parentIncidentId: "parent", minutesAgo: 1 }));
    app.emit(incident("parent", { isStormParent: true, childIncidentCount: 3, alertCount: 6n, asset: "", minutesAgo: 5, updatedMinutesAgo: 0 }));
    await settle();
    assert.deepEqual(rowIds(view), ["parent", "child-3", "child-2", "child-1", "lone"]);
    assert.equal(one(view, "storm-count").textContent, "3");
    assert.equal(view.querySelector('tr[data-incident-id="parent"] [data-testid="incident-alert-count"]').textContent, "6");
  });

  test("a child whose parent is filtered out stands alone, linked to its parent", async () => {
    const incidents = storm();
    incidents[0] = incident("parent", { isStormParent: true, childIncidentCount: 2, priority: Priority.P4, asset: "" });
    incidents[1] = incident("child-1", { parentIncidentId: "parent", priority: Priority.P1 });
    const view = await incidentList(fakeApp({ incidents }), "status=active&priority=1");
    assert.deepEqual(rowIds(view), ["child-1"]);
    assert.equal(one(view, "storm-parent-link").getAttribute("href"), "#/incidents/parent");
  });
});

describe("incident list: sorting and filters in the URL", () => {
  const three = () => [
    incident("a", { priority: Priority.P3, alertCount: 7n, minutesAgo: 30, updatedMinutesAgo: 1 }),
    incident("b", { priority: Priority.P1, alertCount: 2n, minutesAgo: 20, updatedMinutesAgo: 15 }),
    incident("c", { priority: Priority.P2, alertCount: 4n, minutesAgo: 10, updatedMinutesAgo: 5 }),
  ];

  test("the default is the active incidents, newest first, and says so in the URL", async () => {
    const app = fakeApp({ incidents: three() });
    const view = await incidentList(app);
    assert.deepEqual(rowIds(view), ["c", "b", "a"]);
    assert.equal(urlParams().get("status"), "active");
    assert.equal(urlParams().get("sort"), null);
    const [request] = app.requests("listIncidents");
    assert.deepEqual(request.statuses, [IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED]);
    assert.equal(window.sessionStorage.getItem("alertwhisperer.incident-query"), urlParams().toString());
  });

  test("the column headers sort, and a second click turns the direction", async () => {
    const app = fakeApp({ incidents: three() });
    const view = await incidentList(app);
    one(view, "sort-priority").click();
    assert.deepEqual(rowIds(view), ["b", "c", "a"]);
    assert.equal(urlParams().get("sort"), "priority");
    assert.equal(urlParams().get("dir"), "asc");
    assert.equal(view.querySelector('th[aria-sort="ascending"]').textContent.trim(), "Priority ▲");

    one(view, "sort-alerts").click();
    assert.deepEqual(rowIds(view), ["a", "c", "b"]);
    assert.equal(urlParams().get("dir"), "desc");
    one(view, "sort-alerts").click();
    assert.deepEqual(rowIds(view), ["b", "c", "a"]);
    assert.equal(urlParams().get("dir"), "asc");

    one(view, "sort-updated").click();
    assert.deepEqual(rowIds(view), ["a", "c", "b"]);
    // Sorting is the view's: no new request.
    assert.equal(app.requests("listIncidents").length, 1);
  });

  test("a bookmarked URL restores its filters and sort, and asks the server with them", async () => {
    const app = fakeApp({ incidents: [...three(), incident("d", { priority: Priority.P1, asset: "db-1", alertCount: 9n, assignedTechnicianId: BOB.id })] });
    const view = await incidentList(app, "status=any&priority=high&asset=db-1&technician=t-bob&sort=alerts&dir=asc");
    const [request] = app.requests("listIncidents");
    assert.deepEqual(request.statuses, []);
    assert.deepEqual(request.priorities, [Priority.P1, Priority.P2]);
    assert.equal(request.asset, "db-1");
    assert.equal(request.assignedTechnicianId, "t-bob");
    assert.equal(one(view, "filter-status").value, "");
    assert.equal(one(view, "filter-priority").value, "high");
    assert.equal(one(view, "filter-asset").value, "db-1");
    assert.equal(one(view, "filter-technician").value, "t-bob");
    assert.equal(view.querySelector('th[aria-sort="ascending"]').textContent.trim(), "Alerts ▲");
    assert.deepEqual(Object.fromEntries(urlParams()), { status: "any", priority: "high", asset: "db-1", technician: "t-bob", sort: "alerts", dir: "asc" });
  });

  test("changing a filter lists again and updates the URL", async () => {
    const app = fakeApp({ incidents: [...three(), incident("r", { status: IncidentStatus.RESOLVED })] });
    const view = await incidentList(app);
    change(one(view, "filter-status"), String(IncidentStatus.RESOLVED));
    await settle();
    assert.deepEqual(rowIds(view), ["r"]);
    assert.equal(urlParams().get("status"), String(IncidentStatus.RESOLVED));
    assert.deepEqual(app.requests("listIncidents").at(-1).statuses, [IncidentStatus.RESOLVED]);

    change(one(view, "filter-technician"), "t-ada");
    await settle();
    assert.equal(urlParams().get("technician"), "t-ada");
    assert.equal(app.requests("listIncidents").at(-1).assignedTechnicianId, "t-ada");
    assert.equal(one(view, "incidents-empty").textContent, "No incidents match.");

    // Another company goes through the shell (the selector), which renders the page again.
    change(one(view, "filter-company"), "c2");
    assert.deepEqual(app.requests("setScope"), ["c2"]);
  });
});

describe("incident list: selection and bulk actions", () => {
  const four = () => ["w", "x", "y", "z"].map((id, i) => incident(id, { minutesAgo: 10 + i }));

  test("selected incidents are acknowledged together and the selection clears", async () => {
    const app = fakeApp({ incidents: four() });
    const view = await incidentList(app);
    assert.match(one(view, "bulk-count").textContent, /^Select incidents/);
    assert.ok(one(view, "bulk-acknowledge").disabled);

    const boxes = byTestId(view, "row-select");
    toggle(boxes[0]);
    toggle(byTestId(view, "row-select")[2]);
    assert.equal(one(view, "bulk-count").textContent, "2 selected");
    assert.ok(!one(view, "bulk-acknowledge").disabled);
    assert.deepEqual(
      [...view.querySelectorAll("tr.selected")].map((row) => row.getAttribute("data-incident-id")),
      ["w", "y"],
    );

    one(view, "bulk-acknowledge").click();
    await settle();
    assert.deepEqual(app.requests("acknowledgeIncident").map((r) => r.incidentId).sort(), ["w", "y"]);
    assert.equal(one(view, "bulk-result").textContent, "Acknowledge: 2 done.");
    assert.equal(view.querySelectorAll("tr.selected").length, 0);
    assert.equal(view.querySelector('tr[data-incident-id="w"]').getAttribute("data-status"), String(IncidentStatus.ACKNOWLEDGED));
    assert.equal(view.querySelector('tr[data-incident-id="x"]').getAttribute("data-status"), String(IncidentStatus.OPEN));
  });

  test("select-all, bulk assign, and a failure that stays selected with its reason on the row", async () => {
    const app = fakeApp({ incidents: four(), failing: ["z"] });
    const view = await incidentList(app);
    toggle(one(view, "select-all"));
    assert.equal(one(view, "bulk-count").textContent, "4 selected");
    change(one(view, "bulk-assign-select"), "t-bob");
    one(view, "bulk-assign").click();
    await settle();
    assert.deepEqual(app.requests("assignIncident").map((r) => [r.incidentId, r.technicianId]).sort(), [
      ["w", "t-bob"],
      ["x", "t-bob"],
      ["y", "t-bob"],
      ["z", "t-bob"],
    ]);
    assert.equal(one(view, "bulk-result").textContent, "Assign: 3 done, 1 failed (see the rows).");
    assert.equal(one(view, "bulk-count").textContent, "1 selected");
    const failed = view.querySelector('tr[data-incident-id="z"]');
    assert.ok(failed.classList.contains("selected"));
    assert.match(one(view, "row-error").textContent, /^Assign: FAILED_PRECONDITION: the incident is busy/);
    assert.match(view.querySelector('tr[data-incident-id="w"]').textContent, /Bob/);
  });

  test("bulk resolve asks for the resolution once, then resolves every selected incident", async () => {
    const app = fakeApp({ incidents: four() });
    const view = await incidentList(app);
    toggle(byTestId(view, "row-select")[1]);
    toggle(byTestId(view, "row-select")[3]);
    one(view, "bulk-resolve").click();
    const dialog = one(view, "resolve-dialog");
    assert.ok(dialog.open);
    assert.equal(dialog.querySelector("h2").textContent, "Resolve 2 incidents");
    one(view, "resolve-dialog-text").value = "rebooted";
    dialog.querySelector("form").dispatchEvent(new window.Event("submit", { bubbles: true, cancelable: true }));
    await settle();
    assert.ok(!dialog.open);
    assert.deepEqual(app.requests("resolveIncident").map((r) => [r.incidentId, r.resolution]).sort(), [
      ["x", "rebooted"],
      ["z", "rebooted"],
    ]);
    // Resolved incidents leave the active list.
    assert.deepEqual(rowIds(view), ["w", "y"]);
  });

  test("the keyboard moves, selects and acknowledges", async () => {
    const app = fakeApp({ incidents: four() });
    const view = await incidentList(app);
    key("j");
    key("j");
    assert.equal(view.querySelector('tr[data-cursor="true"]').getAttribute("data-incident-id"), "x");
    key("x");
    key("j");
    key("x");
    assert.equal(one(view, "bulk-count").textContent, "2 selected");
    key("a");
    await settle();
    assert.deepEqual(app.requests("acknowledgeIncident").map((r) => r.incidentId).sort(), ["x", "y"]);
    key("?");
    assert.ok(one(view, "shortcuts-help").open);
  });
});

describe("incident list: Mine", () => {
  const assigned = () => [
    incident("ada-1", { assignedTechnicianId: ADA.id, minutesAgo: 3 }),
    incident("bob-1", { assignedTechnicianId: BOB.id, minutesAgo: 2 }),
    incident("nobody", { minutesAgo: 1 }),
  ];

  test("with a linked technician, Mine lists what is assigned to them and stays in the URL", async () => {
    const app = fakeApp({ incidents: assigned(), linked: ADA });
    const view = await incidentList(app, "status=active&mine=1");
    const mine = one(view, "filter-mine");
    assert.ok(mine.checked);
    assert.ok(!mine.disabled);
    assert.equal(one(view, "filter-mine-name").textContent, " (Ada)");
    assert.equal(one(view, "filter-mine-note").textContent, "");
    assert.ok(one(view, "filter-technician").disabled, "Mine replaces the technician filter");
    // Nothing was listed before GetCaller told who "me" is, then only Ada's.
    const requests = app.requests("listIncidents");
    assert.equal(requests.length, 1);
    assert.equal(requests[0].assignedTechnicianId, ADA.id);
    assert.deepEqual(rowIds(view), ["ada-1"]);
    assert.equal(urlParams().get("mine"), "1");
    assert.equal(urlParams().get("technician"), null);

    // Live: an incident assigned to Ada joins; one assigned to Bob does not.
    app.emit(incident("ada-2", { assignedTechnicianId: ADA.id, minutesAgo: 0 }));
    app.emit(incident("bob-2", { assignedTechnicianId: BOB.id, minutesAgo: 0 }));
    await settle();
    assert.deepEqual(rowIds(view), ["ada-2", "ada-1"]);
  });

  test("switching Mine on and off lists again and changes the URL", async () => {
    const app = fakeApp({ incidents: assigned(), linked: ADA });
    const view = await incidentList(app, "status=active&technician=t-bob");
    assert.deepEqual(rowIds(view), ["bob-1"]);
    toggle(one(view, "filter-mine"));
    await settle();
    assert.deepEqual(rowIds(view), ["ada-1"]);
    assert.equal(urlParams().get("mine"), "1");
    assert.equal(urlParams().get("technician"), null, "Mine replaces the technician");
    assert.equal(one(view, "filter-technician").value, "");

    toggle(one(view, "filter-mine"));
    await settle();
    assert.deepEqual(rowIds(view), ["nobody", "bob-1", "ada-1"]);
    assert.equal(urlParams().get("mine"), null);
    assert.ok(!one(view, "filter-technician").disabled);
  });

  test("nothing assigned to me says so by name", async () => {
    const app = fakeApp({ incidents: [incident("bob-1", { assignedTechnicianId: BOB.id })], linked: ADA });
    const view = await incidentList(app, "mine=1");
    assert.equal(one(view, "incidents-empty").textContent, "No incidents assigned to Ada match.");
    assert.equal(view.querySelector("table"), null);
  });

  test("without a linked technician the control says so instead of showing an empty list", async () => {
    const app = fakeApp({ incidents: assigned() });
    const view = await incidentList(app);
    const mine = one(view, "filter-mine");
    assert.ok(mine.disabled, "Mine cannot be switched on");
    assert.equal(one(view, "filter-mine-note").textContent, "Your token is linked to no technician.");
    assert.equal(one(view, "filter-mine-name").textContent, "");
    assert.deepEqual(rowIds(view), ["nobody", "bob-1", "ada-1"]);
  });

  test("a shared Mine link on a token without a technician explains, and offers everyone's", async () => {
    const app = fakeApp({ incidents: assigned() });
    const view = await incidentList(app, "status=active&mine=1");
    const unlinked = one(view, "mine-unlinked");
    assert.match(unlinked.textContent, /linked to no technician/);
    assert.match(unlinked.textContent, /noc wall/);
    assert.equal(byTestId(view, "incidents-empty").length, 0, "not an empty list");
    assert.equal(app.requests("listIncidents").length, 0, "nothing asked for that cannot be answered");
    // It can still be switched off, from the box or the button.
    assert.ok(!one(view, "filter-mine").disabled);
    one(view, "mine-clear").click();
    await settle();
    assert.equal(urlParams().get("mine"), null);
    assert.deepEqual(rowIds(view), ["nobody", "bob-1", "ada-1"]);
    assert.ok(one(view, "filter-mine").disabled);
  });

  test("a failed GetCaller is shown, not taken for an empty list", async () => {
    const app = fakeApp({ incidents: assigned(), linked: ADA });
    app.ctx.caller = async () => {
      throw new ConnectError("down for maintenance", Code.Unavailable);
    };
    const view = await incidentList(app, "mine=1");
    assert.match(one(view, "incidents-error").textContent, /Cannot tell who you are \(GetCaller\): UNAVAILABLE/);
    assert.equal(one(view, "filter-mine-note").textContent, "Cannot tell who you are.");
    assert.equal(app.requests("listIncidents").length, 0);
  });
});

describe("incident list: empty and failed states", () => {
  test("no incidents is a sentence, not a table of zeros", async () => {
    const view = await incidentList(fakeApp({ incidents: [] }));
    assert.equal(one(view, "incidents-empty").textContent, "No incidents match.");
    assert.equal(view.querySelector("table"), null);
  });

  test("a failed list says why", async () => {
    const app = fakeApp({ incidents: [incident("a")] });
    app.ctx.client.incidents.listIncidents = async () => {
      throw new ConnectError("database is locked", Code.Unavailable);
    };
    const view = await incidentList(app);
    assert.match(one(view, "incidents-error").textContent, /^Cannot list incidents: UNAVAILABLE: database is locked/);
    assert.equal(byTestId(view, "incidents-empty").length, 0);
  });
});

// ---- the overview ----

describe("overview: no fake zeros", () => {
  const empty = (companyId) => create(m.KpisSchema, { companyId });

  test("an install without alerts shows no data, not 0.0 %", async () => {
    const app = fakeApp({
      kpis: { total: empty(""), companies: [empty("c1"), empty("c2")] },
      trend: { buckets: [{ startTime: timestampFromMs(NOW - 3600_000) }, { startTime: timestampFromMs(NOW) }] },
    });
    const view = await show(m.overviewView(app.ctx));
    assert.equal(one(view, "kpi-noise-reduction-value").textContent, "no data yet");
    assert.equal(one(view, "kpi-mttr-value").textContent, "no data yet");
    assert.equal(one(view, "kpi-self-healed-value").textContent, "no data yet");
    // Counts of what is there now are real zeros.
    assert.equal(one(view, "kpi-active-incidents-value").textContent, "0");
    // (The trend charts' axes do read 0.0 % to 100.0 %: a scale, not a value.)
    assert.doesNotMatch(one(view, "kpi-cards").textContent, /0\.0 %/);
    assert.doesNotMatch(one(view, "per-company-table").textContent, /0\.0 %/);
    for (const bar of byTestId(one(view, "chart-noise-reduction"), "chart-bar")) {
      assert.equal(bar.getAttribute("data-value"), "", "an empty bar, not a bar of 0");
    }
    const buckets = byTestId(one(view, "trend-counts"), "trend-bucket");
    assert.equal(buckets.length, 2);
    for (const bucket of buckets) {
      assert.equal(bucket.getAttribute("data-alerts"), "", "no bar, not a bar of 0");
      assert.match(bucket.textContent, /Alerts no data, Incidents no data/);
    }
    assert.match(view.textContent, /No active incidents\./);
  });

  test("measured figures show, per company and in total", async () => {
    const measured = (companyId) =>
      create(m.KpisSchema, { companyId, rawAlertCount: 10n, incidentCount: 2n, noiseReductionPct: 80, mttr: durationFromMs(90 * MINUTE), selfHealedCount: 1n, selfHealedPct: 50 });
    const app = fakeApp({
      incidents: [incident("a", { severity: Severity.CRITICAL, priority: Priority.P1, alertCount: 3n })],
      kpis: { total: measured(""), companies: [measured("c1"), empty("c2")] },
    });
    const view = await show(m.overviewView(app.ctx));
    assert.equal(one(view, "kpi-noise-reduction-value").textContent, "80.0 %");
    assert.equal(one(view, "kpi-mttr-value").textContent, "1 h 30 min");
    assert.equal(one(view, "kpi-critical-alerts-value").textContent, "3");
    const rows = byTestId(view, "per-company-row");
    assert.match(rows[0].textContent, /80\.0 %/);
    assert.match(rows[1].textContent, /no data yet/);
  });
});

// ---- the incident page's Session Manager card ----

describe("incident page: Session Manager", () => {
  /** The card for incident "inc-1" (asset i-0abc) with a token of `role`, over a fake RunbookService. */
  async function sessionsCard({ role = m.OperatorRole.TECHNICIAN, startError } = {}) {
    const app = fakeApp();
    const requests = [];
    let active = [
      create(m.SsmSessionSchema, { sessionId: "alice-0old", companyId: "c1", instanceId: "i-0abc", status: "Connected", incidentId: "inc-1", reason: "look", startedBy: "alice" }),
    ];
    app.ctx.caller = async () =>
      create(m.GetCallerResponseSchema, { operatorToken: { id: "tok-1", name: "someone", role } });
    app.ctx.client.runbooks = {
      async listSessions(request) {
        requests.push({ name: "listSessions", request });
        return create(m.ListSessionsResponseSchema, { sessions: active });
      },
      async startSession(request) {
        requests.push({ name: "startSession", request });
        if (startError) throw startError;
        const session = create(m.SsmSessionSchema, { sessionId: "alice-0new", companyId: "c1", instanceId: request.instanceId, status: "Connected", incidentId: request.incidentId, reason: request.reason });
        active = [session, ...active];
        return create(m.StartSessionResponseSchema, {
          session,
          region: "eu-west-1",
          tokenValue: "tok",
          streamUrl: "wss://example",
          commandLine: `aws ssm start-session --target ${request.instanceId} --region eu-west-1 --reason 'incident inc-1: ${request.reason}'`,
        });
      },
      async terminateSession(request) {
        requests.push({ name: "terminateSession", request });
        const session = active.find((s) => s.sessionId === request.sessionId);
        active = active.filter((s) => s.sessionId !== request.sessionId);
        return create(m.TerminateSessionResponseSchema, { session });
      },
    };
    const card = m.incidentSessions(app.ctx, "inc-1");
    disposeView = undefined;
    document.body.replaceChildren(card.element);
    card.setIncident(incident("inc-1", { asset: "i-0abc" }));
    await settle();
    return { element: card.element, requests: (name) => requests.filter((r) => r.name === name).map((r) => r.request) };
  }

  test("a viewer cannot start or terminate: the controls are disabled with a note", async () => {
    const { element, requests } = await sessionsCard({ role: m.OperatorRole.VIEWER });
    assert.ok(one(element, "session-start").disabled);
    assert.ok(one(element, "session-reason").disabled);
    assert.match(one(element, "session-role-note").textContent, /technician or admin/);
    assert.ok(one(element, "session-terminate").disabled);
    // The list is still shown (ListSessions is any role's).
    assert.equal(byTestId(element, "session-row").length, 1);
    one(element, "session-reason").value = "look";
    element.querySelector("form").dispatchEvent(new window.Event("submit", { bubbles: true, cancelable: true }));
    await settle();
    assert.equal(requests("startSession").length, 0);
  });

  test("a technician starts a session with the reason; the command line and session id are shown", async () => {
    const { element, requests } = await sessionsCard();
    assert.equal(one(element, "session-instance").value, "i-0abc", "prefilled with the incident's asset");
    assert.equal(one(element, "session-role-note").textContent, "");
    assert.equal(requests("listSessions")[0].incidentId, "inc-1");
    assert.equal(requests("listSessions")[0].companyId, "c1");
    one(element, "session-reason").value = "  check the disk  ";
    assert.ok(!one(element, "session-start").disabled);
    element.querySelector("form").dispatchEvent(new window.Event("submit", { bubbles: true, cancelable: true }));
    await settle();
    assert.deepEqual(
      requests("startSession").map((r) => ({ incidentId: r.incidentId, instanceId: r.instanceId, reason: r.reason })),
      [{ incidentId: "inc-1", instanceId: "i-0abc", reason: "check the disk" }],
    );
    assert.equal(one(element, "session-id").textContent, "alice-0new");
    assert.equal(
      one(element, "session-command").textContent,
      "aws ssm start-session --target i-0abc --region eu-west-1 --reason 'incident inc-1: check the disk'",
    );
    assert.equal(one(element, "session-reason").value, "", "the reason is cleared after a start");
    assert.deepEqual(byTestId(element, "session-row").map((r) => r.getAttribute("data-session-id")), ["alice-0new", "alice-0old"]);
  });

  test("Terminate calls TerminateSession and the session leaves the list", async () => {
    const { element, requests } = await sessionsCard();
    one(element, "session-terminate").click();
    await settle();
    assert.deepEqual(
      requests("terminateSession").map((r) => ({ companyId: r.companyId, sessionId: r.sessionId })),
      [{ companyId: "c1", sessionId: "alice-0old" }],
    );
    assert.equal(byTestId(element, "session-row").length, 0);
    assert.ok(one(element, "sessions-empty"));
  });

  test("a FAILED_PRECONDITION from StartSession is shown with its code", async () => {
    const { element } = await sessionsCard({ startError: new ConnectError("company c1 has no AWS role configured", Code.FailedPrecondition) });
    one(element, "session-reason").value = "look";
    element.querySelector("form").dispatchEvent(new window.Event("submit", { bubbles: true, cancelable: true }));
    await settle();
    assert.match(one(element, "session-error").textContent, /^Start session: FAILED_PRECONDITION: .*AWS role/);
    assert.equal(byTestId(element, "session-started").length, 0);
  });
});

// ---- execution actions ----

describe("execution actions: approval at the start and at an aws:approve step", () => {
  function execution(fields) {
    return create(m.ExecutionSchema, { id: "ex-1", companyId: "c1", kind: m.RunbookKind.AUTOMATION, ...fields });
  }
  const step = (action, status) => create(m.AutomationStepSchema, { name: "s", action, status });

  /** The action controls of `e`, over a fake RunbookService that records its requests. */
  function controls(e) {
    const requests = [];
    const app = fakeApp();
    app.ctx.client.runbooks = {
      async approveExecution(request) {
        requests.push({ name: "approveExecution", request });
        return create(m.ApproveExecutionResponseSchema, {});
      },
      async rejectExecution(request) {
        requests.push({ name: "rejectExecution", request });
        return create(m.RejectExecutionResponseSchema, {});
      },
    };
    let element;
    const actions = new m.ExecutionActions(
      app.ctx,
      () => undefined,
      async () => undefined,
      () => element.replaceChildren(actions.controls(e)),
    );
    element = document.createElement("div");
    element.replaceChildren(actions.controls(e));
    document.body.replaceChildren(element);
    return { element, requests: (name) => requests.filter((r) => r.name === name).map((r) => r.request) };
  }

  test("a running automation waiting on an aws:approve step offers Approve and Reject", async () => {
    const waiting = execution({
      status: m.ExecutionStatus.RUNNING,
      automationExecutionId: "auto-1",
      commandId: "auto-1",
      steps: [step("aws:approve", m.AutomationStepStatus.WAITING)],
    });
    assert.ok(m.waitsOnApprovalStep(waiting));
    const { element, requests } = controls(waiting);
    one(element, "execution-approve").click();
    await settle();
    assert.deepEqual(requests("approveExecution").map((r) => r.executionId), ["ex-1"]);
    one(element, "execution-reject").click();
    one(element, "execution-reject-reason").value = "not now";
    element.querySelector("form").dispatchEvent(new window.Event("submit", { bubbles: true, cancelable: true }));
    await settle();
    assert.deepEqual(
      requests("rejectExecution").map((r) => ({ executionId: r.executionId, reason: r.reason })),
      [{ executionId: "ex-1", reason: "not now" }],
    );
    assert.ok(one(element, "execution-cancel"), "a sent automation can still be cancelled");
  });

  test("a running step that waits on nothing, or another action waiting, offers no approval", () => {
    for (const steps of [
      [step("aws:approve", m.AutomationStepStatus.IN_PROGRESS)],
      [step("aws:sleep", m.AutomationStepStatus.WAITING)],
      [],
    ]) {
      const running = execution({ status: m.ExecutionStatus.RUNNING, commandId: "auto-1", steps });
      assert.ok(!m.waitsOnApprovalStep(running));
      const { element } = controls(running);
      assert.equal(byTestId(element, "execution-approve").length, 0);
      assert.equal(byTestId(element, "execution-reject").length, 0);
    }
    const { element } = controls(execution({ status: m.ExecutionStatus.PENDING_APPROVAL }));
    assert.ok(one(element, "execution-approve"));
  });
});
