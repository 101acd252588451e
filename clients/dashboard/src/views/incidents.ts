// Incidents: the triage list. ListIncidents with filters (company, status, priority, asset,
// technician, "mine", search) and a sort, all kept in the URL (#/incidents?status=active&sort=priority…)
// so that a view can be bookmarked; storm parents with their children nested beneath
// (collapsible); multi-select with bulk acknowledge, assign and resolve; per-row acknowledge and
// resolve; keyboard shortcuts (j/k, Enter/o, a, r, x, /, ?). Rows follow the WatchIncidents
// events of the companies in scope (the server streams a storm parent when a child changes).
import { IncidentStatus, Priority, allPages, errorText, formatTime, timeMillis } from "../api.js";
import type { MessageInitShape } from "@bufbuild/protobuf";

import type { GetCallerResponse, Incident, ListIncidentsRequestSchema, Technician } from "../api.js";
import { INCIDENT_QUERY_KEY } from "../context.js";
import type { Ctx, View } from "../context.js";
import { debounce, field, h, mount } from "../dom.js";
import { RecentIncidents, isNewer, pageHeader, placeholder, priorityBadge, statusBadge, timeElement } from "./common.js";

type SortKey = "created" | "priority" | "updated" | "alerts";
type Direction = "asc" | "desc";

interface Filters {
  priority: string; // "" | "1".."4" | "high" (P1+P2)
  status: string; // "" (any) | "active" | "1".."3"
  asset: string;
  query: string;
  technician: string; // technician id; "" for any
  /** Only the incidents assigned to the caller's technician (GetCaller); replaces `technician`. */
  mine: boolean;
  sort: SortKey;
  dir: Direction;
}

/** The open storms and the keyboard cursor of the list, kept for the tab (back from an incident). */
const VIEW_STATE_KEY = "alertwhisperer.incident-list-state";

interface ViewState {
  expanded?: string[];
  cursor?: string;
}

function loadViewState(): ViewState {
  try {
    return JSON.parse(sessionStorage.getItem(VIEW_STATE_KEY) ?? "{}") as ViewState;
  } catch {
    return {};
  }
}

const SORT_KEYS: SortKey[] = ["created", "priority", "updated", "alerts"];
/** The direction a column sorts in on its first click: the most pressing first. */
const FIRST_DIRECTION: Record<SortKey, Direction> = { created: "desc", priority: "asc", updated: "desc", alerts: "desc" };

export const SHORTCUTS: Array<[string, string]> = [
  ["j / k", "move down / up the list"],
  ["Enter or o", "open the incident"],
  ["a", "acknowledge (the selected incidents, or the one under the cursor)"],
  ["r", "resolve (asks for the resolution)"],
  ["x", "select or unselect the incident under the cursor"],
  ["/", "focus the search"],
  ["?", "show this help"],
  ["Esc", "close a dialog or this help"],
];

function filtersFrom(params: URLSearchParams): Filters {
  const sort = params.get("sort") as SortKey | null;
  const status = params.get("status");
  return {
    priority: params.get("priority") ?? "",
    status: status === null ? "active" : status === "any" ? "" : status,
    asset: params.get("asset") ?? "",
    query: params.get("q") ?? "",
    technician: params.get("technician") ?? "",
    mine: params.get("mine") === "1",
    sort: sort && SORT_KEYS.includes(sort) ? sort : "created",
    dir: params.get("dir") === "asc" ? "asc" : params.get("dir") === "desc" ? "desc" : FIRST_DIRECTION[sort && SORT_KEYS.includes(sort) ? sort : "created"],
  };
}

function paramsOf(filters: Filters, company: string): URLSearchParams {
  const params = new URLSearchParams();
  if (company) params.set("company", company);
  params.set("status", filters.status || "any");
  if (filters.priority) params.set("priority", filters.priority);
  if (filters.asset) params.set("asset", filters.asset);
  if (filters.query) params.set("q", filters.query);
  if (filters.mine) params.set("mine", "1");
  else if (filters.technician) params.set("technician", filters.technician);
  if (filters.sort !== "created" || filters.dir !== "desc") {
    params.set("sort", filters.sort);
    params.set("dir", filters.dir);
  }
  return params;
}

function priorities(filters: Filters): Priority[] {
  if (filters.priority === "high") return [Priority.P1, Priority.P2];
  return filters.priority ? [Number(filters.priority)] : [];
}

function statuses(filters: Filters): IncidentStatus[] {
  if (filters.status === "active") return [IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED];
  return filters.status ? [Number(filters.status)] : [];
}

/** A storm parent: the server folds a signature's incidents on many assets under it. */
export function isStormParent(incident: Incident): boolean {
  return incident.isStormParent;
}

/** "45 s", "12 min", "3 h", "2 d" since `ms`. */
function age(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}

function compare(key: SortKey): (a: Incident, b: Incident) => number {
  switch (key) {
    case "priority":
      return (a, b) => a.priority - b.priority;
    case "updated":
      return (a, b) => timeMillis(a.updateTime) - timeMillis(b.updateTime);
    case "alerts":
      return (a, b) => Number(a.alertCount - b.alertCount);
    case "created":
      return (a, b) => timeMillis(a.createTime) - timeMillis(b.createTime);
  }
}

function sorted(incidents: Incident[], filters: Filters): Incident[] {
  const by = compare(filters.sort);
  const sign = filters.dir === "asc" ? 1 : -1;
  const newest = compare("created");
  return [...incidents].sort((a, b) => sign * by(a, b) || -newest(a, b) || a.id.localeCompare(b.id));
}

/** Whether keys typed into this element are text, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  return false;
}

export function incidentsView(ctx: Ctx, params: URLSearchParams): View {
  const filters = filtersFrom(params);
  const scope = ctx.scope();
  const inScope = new Set(ctx.scopeIds());
  let incidents: Incident[] = [];
  let nextPageToken = "";
  let loading = true;
  let listError = "";
  let technicians: Technician[] = [];
  /** Who the token is (for "Mine"); undefined until GetCaller answers. */
  let me: GetCallerResponse | undefined;
  let meError = "";
  const highlighted = new Set<string>();
  const viewState = loadViewState();
  /** Storm parents shown open, and the children fetched for them (ListIncidents parent_incident_id). */
  const expanded = new Set<string>(viewState.expanded ?? []);
  const fetchedChildren = new Map<string, Incident[]>();
  const childErrors = new Map<string, string>();
  const selected = new Set<string>();
  const rowErrors = new Map<string, string>();
  let cursor: string | undefined = viewState.cursor;
  let visibleOrder: string[] = [];
  let busy = false;
  let bulkResult = "";

  const saveUrl = () => {
    const query = paramsOf(filters, scope).toString();
    history.replaceState(null, "", `#/incidents?${query}`);
    sessionStorage.setItem(INCIDENT_QUERY_KEY, query);
  };
  saveUrl();

  const prioritySelect = h(
    "select",
    { testid: "filter-priority" },
    h("option", { value: "" }, "Any"),
    h("option", { value: "high" }, "P1 + P2"),
    [Priority.P1, Priority.P2, Priority.P3, Priority.P4].map((p) => h("option", { value: String(p) }, `P${p}`)),
  );
  prioritySelect.value = filters.priority;
  const statusSelect = h(
    "select",
    { testid: "filter-status" },
    h("option", { value: "" }, "Any"),
    h("option", { value: "active" }, "Active (open or acknowledged)"),
    h("option", { value: String(IncidentStatus.OPEN) }, "Open"),
    h("option", { value: String(IncidentStatus.ACKNOWLEDGED) }, "Acknowledged"),
    h("option", { value: String(IncidentStatus.RESOLVED) }, "Resolved"),
  );
  statusSelect.value = filters.status;
  const companySelect = h(
    "select",
    { testid: "filter-company" },
    h("option", { value: "" }, "All companies"),
    ctx.companies().map((c) => h("option", { value: c.id }, c.name)),
  );
  companySelect.value = scope;
  // Until the technicians are listed, the filter from the URL shows as its id.
  const technicianSelect = h(
    "select",
    { testid: "filter-technician" },
    h("option", { value: "" }, "Anyone"),
    filters.technician ? h("option", { value: filters.technician }, filters.technician) : null,
  );
  technicianSelect.value = filters.technician;
  technicianSelect.disabled = filters.mine;
  const mineBox = h("input", { type: "checkbox", checked: filters.mine, testid: "filter-mine" });
  const mineName = h("span", { testid: "filter-mine-name" });
  /** Why "Mine" cannot be used, or whose incidents it shows. */
  const mineNote = h("small", { class: "hint", id: "filter-mine-note", testid: "filter-mine-note" });
  mineBox.setAttribute("aria-describedby", "filter-mine-note");
  const assetInput = h("input", { type: "text", value: filters.asset, placeholder: "exact asset name", spellcheck: "false", testid: "filter-asset" });
  const search = h("input", {
    type: "search",
    value: filters.query,
    placeholder: "words in messages, assets, signatures",
    "aria-keyshortcuts": "/",
    testid: "filter-search",
  });

  // Bulk actions on the selection.
  const bulkAssignSelect = h("select", { testid: "bulk-assign-select", "aria-label": "Assign the selected incidents to" });
  const bulkBar = h("div", { class: "bulk-bar", role: "region", "aria-label": "Selected incidents", testid: "bulk-bar" });
  const table = h("div", { class: "table-wrap" });
  const more = h("div", { class: "more" });

  // The resolve dialog (one incident or the selection) and the shortcut help.
  const resolveInput = h("input", { type: "text", required: true, maxlength: "4096", testid: "resolve-dialog-text" });
  const resolveTitle = h("h2", { id: "resolve-dialog-title" }, "Resolve");
  let resolveTargets: string[] = [];
  const resolveDialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": "resolve-dialog-title", testid: "resolve-dialog" },
    h(
      "form",
      {
        method: "dialog",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const text = resolveInput.value.trim();
          if (!text) return;
          resolveDialog.close();
          const ids = resolveTargets;
          void runEach("Resolve", ids, (incidentId) => ctx.client.incidents.resolveIncident({ incidentId, resolution: text }));
        },
      },
      resolveTitle,
      field("Resolution", resolveInput, "what fixed it; goes to the timeline"),
      h(
        "div",
        { class: "inline" },
        h("button", { type: "submit", testid: "resolve-dialog-submit" }, "Resolve"),
        h("button", { type: "button", class: "secondary", onclick: () => resolveDialog.close() }, "Cancel"),
      ),
    ),
  );
  const helpDialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": "shortcuts-title", testid: "shortcuts-help" },
    h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
    h("dl", { class: "facts shortcuts" }, SHORTCUTS.map(([keys, what]) => [h("dt", null, h("kbd", null, keys)), h("dd", null, what)])),
    h("p", { class: "hint" }, "On an incident's page: a acknowledges it, r goes to the resolution, u returns to this list."),
    h("p", { class: "hint" }, "Shortcuts do nothing while you type in a field."),
    h("button", { type: "button", onclick: () => helpDialog.close() }, "Close"),
  );

  const element = h(
    "div",
    { class: "view incidents", testid: "incidents" },
    pageHeader(
      "Incidents",
      h(
        "button",
        { type: "button", class: "secondary small", "aria-keyshortcuts": "?", testid: "shortcuts-button", onclick: () => helpDialog.showModal() },
        "Keyboard shortcuts (?)",
      ),
    ),
    h(
      "form",
      {
        class: "filters",
        role: "search",
        "aria-label": "Filter incidents",
        onsubmit: (event: Event) => {
          event.preventDefault();
          applyFilters();
        },
      },
      field("Company", companySelect),
      field("Status", statusSelect),
      field("Priority", prioritySelect),
      field("Technician", technicianSelect),
      h("div", { class: "field checkbox mine" }, h("label", null, mineBox, " Mine", mineName), mineNote),
      field("Asset", assetInput),
      field("Search", search),
      h("button", { type: "submit", testid: "filter-apply" }, "Search"),
    ),
    bulkBar,
    table,
    more,
    resolveDialog,
    helpDialog,
  );

  const technicianName = (id: string) => technicians.find((t) => t.id === id)?.name ?? id;
  const byId = () => new Map(incidents.map((i) => [i.id, i]));

  /** The technician the list is limited to: the caller's for "Mine", else the select's. */
  const technicianFilter = (): string => (filters.mine ? (me?.technician?.id ?? "") : filters.technician);
  /** "Mine" is on but cannot be answered (yet): nothing to list. */
  const mineBlocked = (): boolean => filters.mine && !me?.technician;

  const matches = (incident: Incident): boolean => {
    if (!inScope.has(incident.companyId) || mineBlocked()) return false;
    const p = priorities(filters);
    if (p.length > 0 && !p.includes(incident.priority)) return false;
    const s = statuses(filters);
    if (s.length > 0 && !s.includes(incident.status)) return false;
    if (filters.asset && incident.asset !== filters.asset) return false;
    const technician = technicianFilter();
    return !technician || incident.assignedTechnicianId === technician;
  };

  /** A storm parent's children: those fetched for it and those in the list, the newer of each. */
  const childrenOf = (parentId: string): Incident[] => {
    const merged = new Map<string, Incident>();
    for (const child of fetchedChildren.get(parentId) ?? []) merged.set(child.id, child);
    for (const child of incidents) {
      if (child.parentIncidentId !== parentId) continue;
      if (isNewer(child, merged.get(child.id))) merged.set(child.id, child);
    }
    return sorted([...merged.values()], filters);
  };

  const toggleStorm = async (parent: Incident) => {
    if (expanded.has(parent.id)) {
      expanded.delete(parent.id);
      render();
      return;
    }
    expanded.add(parent.id);
    render();
    await fetchChildren(parent);
  };

  /** Lists a storm's incidents (ListIncidents parent_incident_id) for its nested rows. */
  const fetchChildren = async (parent: Incident) => {
    try {
      const children = await allPages(async (pageToken) => {
        const answer = await ctx.client.incidents.listIncidents({ companyIds: [parent.companyId], parentIncidentId: parent.id, pageSize: 500, pageToken });
        return { items: answer.incidents, next: answer.nextPageToken };
      }, 2);
      fetchedChildren.set(parent.id, children);
      replayRecent();
      childErrors.delete(parent.id);
    } catch (error) {
      childErrors.set(parent.id, `Cannot list the storm's incidents: ${errorText(error)}`);
    }
    render();
  };

  const checkbox = (incident: Incident) =>
    h("input", {
      type: "checkbox",
      checked: selected.has(incident.id),
      "aria-label": `Select ${incident.summary || incident.signature} (${incident.asset})`,
      testid: "row-select",
      onchange: (event: Event) => {
        if ((event.target as HTMLInputElement).checked) selected.add(incident.id);
        else selected.delete(incident.id);
        cursor = incident.id;
        render();
      },
    });

  const row = (incident: Incident, now: number, child: boolean, parentsShown: Map<string, Incident>) => {
    const storm = isStormParent(incident);
    const open = expanded.has(incident.id);
    const error = rowErrors.get(incident.id);
    const classes = [highlighted.has(incident.id) ? "flash" : "", child ? "child" : "", storm ? "storm" : "", cursor === incident.id ? "cursor" : "", selected.has(incident.id) ? "selected" : ""]
      .filter(Boolean)
      .join(" ");
    const orphanParent = !child && incident.parentIncidentId && !parentsShown.has(incident.parentIncidentId) ? incident.parentIncidentId : "";
    return h(
      "tr",
      {
        testid: "incident-row",
        "data-incident-id": incident.id,
        "data-parent-id": incident.parentIncidentId || undefined,
        "data-storm": storm ? "true" : undefined,
        "data-child-count": storm ? String(incident.childIncidentCount) : undefined,
        "data-status": incident.status,
        "data-cursor": cursor === incident.id ? "true" : undefined,
        "aria-current": cursor === incident.id ? "true" : undefined,
        tabindex: "-1",
        class: classes || undefined,
      },
      h("td", { class: "select" }, checkbox(incident)),
      h("td", { "data-label": "Priority" }, priorityBadge(incident.priority)),
      h("td", { "data-label": "Status" }, statusBadge(incident.status)),
      h(
        "td",
        { class: "incident-cell" },
        child ? h("span", { class: "child-mark", "aria-hidden": "true" }, "↳ ") : null,
        h("a", { href: `#/incidents/${encodeURIComponent(incident.id)}`, testid: "incident-link" }, incident.summary || incident.signature),
        h("div", { class: "muted break" }, incident.asset ? `${incident.asset} · ${incident.signature}` : incident.signature),
        storm
          ? h(
              "button",
              {
                type: "button",
                class: "secondary small storm-toggle",
                "aria-expanded": String(open),
                testid: "storm-toggle",
                onclick: () => void toggleStorm(incident),
              },
              h("span", { "aria-hidden": "true" }, open ? "▾ " : "▸ "),
              "storm: ",
              h("span", { testid: "storm-count" }, String(incident.childIncidentCount)),
              ` incident${incident.childIncidentCount === 1 ? "" : "s"}`,
            )
          : null,
        orphanParent
          ? h("span", { class: "tag" }, "in storm ", h("a", { href: `#/incidents/${encodeURIComponent(orphanParent)}`, testid: "storm-parent-link" }, "open parent"))
          : null,
        incident.flapping ? h("span", { class: "tag" }, "flapping") : null,
        error ? h("p", { class: "error row-error", role: "alert", testid: "row-error" }, error) : null,
      ),
      h("td", { "data-label": "Company" }, ctx.companyName(incident.companyId)),
      h("td", { class: "num", "data-label": "Alerts", testid: "incident-alert-count" }, String(incident.alertCount)),
      h("td", { "data-label": "Assigned" }, incident.assignedTechnicianId ? technicianName(incident.assignedTechnicianId) : h("span", { class: "muted" }, "—")),
      h("td", { "data-label": "Age" }, h("span", { title: `created ${formatTime(incident.createTime)}` }, age(timeMillis(incident.createTime), now))),
      h("td", { "data-label": "Last change" }, timeElement(incident.updateTime)),
      h(
        "td",
        { class: "row-actions" },
        h(
          "div",
          { class: "badges" },
          incident.status === IncidentStatus.OPEN
            ? h("button", { type: "button", class: "small", testid: "row-acknowledge", disabled: busy, onclick: () => void runEach("Acknowledge", [incident.id], acknowledge) }, "Ack")
            : null,
          incident.status !== IncidentStatus.RESOLVED
            ? h("button", { type: "button", class: "small secondary", testid: "row-resolve", disabled: busy, onclick: () => askResolve([incident.id]) }, "Resolve")
            : null,
        ),
      ),
    );
  };

  const sortHeader = (label: string, key: SortKey | undefined, extra?: string) => {
    if (!key) return h("th", { scope: "col", class: extra }, label);
    const active = filters.sort === key;
    return h(
      "th",
      { scope: "col", class: extra, "aria-sort": active ? (filters.dir === "asc" ? "ascending" : "descending") : "none" },
      h(
        "button",
        {
          type: "button",
          class: "sort",
          testid: `sort-${key}`,
          onclick: () => {
            if (active) filters.dir = filters.dir === "asc" ? "desc" : "asc";
            else {
              filters.sort = key;
              filters.dir = FIRST_DIRECTION[key];
            }
            saveUrl();
            render();
          },
        },
        label,
        h("span", { "aria-hidden": "true" }, active ? (filters.dir === "asc" ? " ▲" : " ▼") : ""),
      ),
    );
  };

  const renderBulk = () => {
    const count = selected.size;
    const chosen = bulkAssignSelect.value || "auto";
    const many = !scope;
    mount(
      bulkAssignSelect,
      h("option", { value: "auto" }, "Automatically (on-duty round-robin)"),
      technicians.map((t) => h("option", { value: t.id }, `${t.name}${many ? ` · ${ctx.companyName(t.companyId)}` : ""}${t.onDuty ? "" : " (off duty)"}`)),
    );
    bulkAssignSelect.value = chosen;
    if (!bulkAssignSelect.value) bulkAssignSelect.value = "auto";
    const off = busy || count === 0;
    mount(
      bulkBar,
      h("span", { testid: "bulk-count" }, count === 0 ? "Select incidents (x or the boxes) to act on several at once." : `${count} selected`),
      h("button", { type: "button", testid: "bulk-acknowledge", disabled: off, onclick: () => void runEach("Acknowledge", [...selected], acknowledge) }, "Acknowledge"),
      h("span", { class: "inline" }, bulkAssignSelect, h("button", { type: "button", class: "secondary", testid: "bulk-assign", disabled: off, onclick: () => void bulkAssign() }, "Assign")),
      h("button", { type: "button", class: "secondary", testid: "bulk-resolve", disabled: off, onclick: () => askResolve([...selected]) }, "Resolve…"),
      h("button", { type: "button", class: "link-button", testid: "bulk-clear", disabled: count === 0, onclick: () => { selected.clear(); render(); } }, "Clear selection"),
      bulkResult ? h("p", { class: "bulk-result", role: "status", testid: "bulk-result" }, bulkResult) : null,
    );
  };

  let disposed = false;
  const render = () => {
    // A list or fetch that ends after the page was left must not touch it (or the tab's state).
    if (disposed) return;
    renderBulk();
    sessionStorage.setItem(VIEW_STATE_KEY, JSON.stringify({ expanded: [...expanded], cursor } satisfies ViewState));
    // Keep the focus on the same control (or row) across the re-render.
    const focused = document.activeElement;
    const focusRow = focused instanceof HTMLElement && table.contains(focused) ? focused.closest("tr")?.getAttribute("data-incident-id") : undefined;
    const focusTestId = focused instanceof HTMLElement && table.contains(focused) ? (focused.dataset.testid ?? "") : "";
    const focusWasRow = focused instanceof HTMLTableRowElement;
    visibleOrder = [];
    renderMine();
    if (filters.mine && me && !me.technician) {
      mount(
        table,
        h(
          "div",
          { class: "placeholder", role: "status", testid: "mine-unlinked" },
          h("p", null, `“Mine” shows the incidents assigned to the technician your token is linked to, and this token (${me.operatorToken?.name ?? "?"}) is linked to no technician.`),
          h("p", { class: "hint" }, "An admin can create a token linked to you (CreateOperatorToken with technician_id, or admin create-token --technician). Until then pick yourself under Technician."),
          h("button", { type: "button", class: "secondary", testid: "mine-clear", onclick: () => setMine(false) }, "Show everyone’s incidents"),
        ),
      );
    } else if (filters.mine && meError) {
      mount(table, h("p", { class: "error", role: "alert", testid: "incidents-error" }, meError));
    } else if (listError) {
      mount(table, h("p", { class: "error", role: "alert", testid: "incidents-error" }, listError));
    } else if ((loading || mineBlocked()) && incidents.length === 0) {
      mount(table, placeholder("Loading…"));
    } else if (incidents.length === 0) {
      mount(
        table,
        placeholder(filters.mine && me?.technician ? `No incidents assigned to ${me.technician.name} match.` : "No incidents match.", "incidents-empty"),
      );
    } else {
      const now = Date.now();
      const all = byId();
      // Children whose parent is listed show under it; the others (parent filtered out) stand alone.
      const top = sorted(
        incidents.filter((i) => !i.parentIncidentId || !all.has(i.parentIncidentId)),
        filters,
      );
      const parentsShown = new Map(top.filter(isStormParent).map((p) => [p.id, p]));
      const rows: HTMLElement[] = [];
      for (const incident of top) {
        rows.push(row(incident, now, false, parentsShown));
        visibleOrder.push(incident.id);
        if (isStormParent(incident) && expanded.has(incident.id)) {
          const children = childrenOf(incident.id);
          const problem = childErrors.get(incident.id);
          if (problem || (children.length === 0 && !fetchedChildren.has(incident.id))) {
            rows.push(h("tr", { class: "child" }, h("td", { colspan: "11" }, problem ? h("span", { class: "error" }, problem) : placeholder("Loading the storm's incidents…"))));
          }
          for (const child of children) {
            rows.push(row(child, now, true, parentsShown));
            visibleOrder.push(child.id);
          }
        }
      }
      // A cursor on a storm's incident waits for the storm's incidents to be listed.
      const childrenPending = [...expanded].some((id) => !fetchedChildren.has(id) && !childErrors.has(id));
      if (cursor && !visibleOrder.includes(cursor) && !childrenPending) cursor = undefined;
      const allSelected = visibleOrder.length > 0 && visibleOrder.every((id) => selected.has(id));
      mount(
        table,
        h(
          "table",
          { class: "incidents-table", testid: "incidents-table" },
          h("caption", { class: "visually-hidden" }, "Incidents; storm parents list their incidents beneath them"),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h(
                "th",
                { scope: "col", class: "select" },
                h("input", {
                  type: "checkbox",
                  checked: allSelected,
                  "aria-label": "Select every incident shown",
                  testid: "select-all",
                  onchange: (event: Event) => {
                    const on = (event.target as HTMLInputElement).checked;
                    for (const id of visibleOrder) {
                      if (on) selected.add(id);
                      else selected.delete(id);
                    }
                    render();
                  },
                }),
              ),
              sortHeader("Priority", "priority"),
              sortHeader("Status", undefined),
              sortHeader("Incident", undefined),
              sortHeader("Company", undefined),
              sortHeader("Alerts", "alerts", "num"),
              sortHeader("Assigned", undefined),
              sortHeader("Age", "created"),
              sortHeader("Last change", "updated"),
              h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
            ),
          ),
          h("tbody", null, rows),
        ),
      );
      if (focusRow) {
        const again = table.querySelector<HTMLElement>(`tr[data-incident-id="${CSS.escape(focusRow)}"]`);
        const target = focusWasRow ? again : again?.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focusTestId)}"]`);
        (target ?? again)?.focus({ preventScroll: true });
      }
    }
    mount(
      more,
      nextPageToken
        ? h("button", { type: "button", class: "secondary", testid: "load-more", onclick: () => void load(true) }, "Load more")
        : null,
    );
  };

  // ---- actions ----

  const acknowledge = (incidentId: string) => ctx.client.incidents.acknowledgeIncident({ incidentId });

  /**
   * Calls `call` for each incident in turn; failures show on their rows, a summary above. Runs
   * one batch at a time: a batch asked for while another runs (e.g. a then r) waits its turn.
   */
  let queue: Promise<void> = Promise.resolve();
  const runEach = (what: string, ids: string[], call: (id: string) => Promise<{ incident?: Incident }>) => {
    if (ids.length === 0) return queue;
    queue = queue.then(() => runBatch(what, ids, call));
    return queue;
  };
  const runBatch = async (what: string, ids: string[], call: (id: string) => Promise<{ incident?: Incident }>) => {
    busy = true;
    bulkResult = `${what}: ${ids.length} incident${ids.length === 1 ? "" : "s"}…`;
    render();
    let done = 0;
    const failures: string[] = [];
    for (const id of ids) {
      try {
        const answer = await call(id);
        rowErrors.delete(id);
        done += 1;
        if (answer.incident) upsert(answer.incident);
      } catch (error) {
        const text = `${what}: ${errorText(error)}`;
        rowErrors.set(id, text);
        failures.push(id);
        if (errorText(error).startsWith("UNAUTHENTICATED")) {
          ctx.fail(error, what);
          break;
        }
      }
    }
    busy = false;
    // What failed stays selected, to try again.
    for (const id of ids) if (!failures.includes(id)) selected.delete(id);
    bulkResult = `${what}: ${done} done${failures.length > 0 ? `, ${failures.length} failed (see the rows)` : ""}.`;
    render();
  };

  const bulkAssign = () => {
    const value = bulkAssignSelect.value;
    return runEach("Assign", [...selected], (incidentId) =>
      ctx.client.incidents.assignIncident(value === "auto" ? { incidentId, autoAssign: true } : { incidentId, technicianId: value }),
    );
  };

  const askResolve = (ids: string[]) => {
    if (ids.length === 0) return;
    resolveTargets = ids;
    resolveTitle.textContent = ids.length === 1 ? "Resolve this incident" : `Resolve ${ids.length} incidents`;
    if (!resolveInput.value) resolveInput.value = "Resolved from the dashboard";
    resolveDialog.showModal();
    resolveInput.focus();
    resolveInput.select();
  };

  /** Takes a newer state of an incident into the children fetched for open storms. */
  const upsertChild = (incident: Incident) => {
    for (const [parentId, children] of fetchedChildren) {
      const index = children.findIndex((c) => c.id === incident.id);
      if (index >= 0 && isNewer(incident, children[index])) children[index] = incident;
      else if (index < 0 && incident.parentIncidentId === parentId) children.push(incident);
    }
  };

  /** Takes a newer state of an incident into the list (and the storm children it belongs to). */
  const upsert = (incident: Incident) => {
    upsertChild(incident);
    const index = incidents.findIndex((i) => i.id === incident.id);
    if (index >= 0) {
      if (!isNewer(incident, incidents[index])) return false;
      if (matches(incident)) incidents[index] = incident;
      else incidents.splice(index, 1);
      return true;
    }
    if (matches(incident)) {
      incidents.unshift(incident);
      return true;
    }
    return false;
  };

  // ---- loading ----

  const request = (pageToken: string): MessageInitShape<typeof ListIncidentsRequestSchema> => ({
    companyIds: scope ? [scope] : [],
    priorities: priorities(filters),
    statuses: statuses(filters),
    asset: filters.asset,
    query: filters.query,
    assignedTechnicianId: technicianFilter(),
    pageSize: 100,
    pageToken,
  });

  let generation = 0;
  const load = async (append = false) => {
    if (disposed) return;
    const mine = ++generation;
    if (mineBlocked()) {
      // Waits for GetCaller (loadCaller lists again), or says why it cannot list.
      incidents = [];
      nextPageToken = "";
      loading = false;
      render();
      return;
    }
    loading = true;
    try {
      const answer = await ctx.client.incidents.listIncidents(request(append ? nextPageToken : ""));
      if (mine !== generation) return;
      incidents = append ? [...incidents, ...answer.incidents.filter((i) => !incidents.some((j) => j.id === i.id))] : answer.incidents;
      nextPageToken = answer.nextPageToken;
      listError = "";
      replayRecent();
    } catch (error) {
      if (mine !== generation) return;
      listError = `Cannot list incidents: ${errorText(error)}`;
    }
    loading = false;
    // Children of open storms are listed again too; storms no longer listed close.
    fetchedChildren.clear();
    childErrors.clear();
    const parents = incidents.filter((i) => expanded.has(i.id));
    expanded.clear();
    for (const parent of parents) expanded.add(parent.id);
    render();
    for (const parent of parents) void fetchChildren(parent);
  };
  const relist = debounce(() => void load(), 300);

  /**
   * Events that arrived while a list answer was on its way (a filter change while a storm
   * forms) are applied again over it.
   */
  const recent = new RecentIncidents();
  function replayRecent(): void {
    for (const incident of recent.all()) {
      // With search words only the server tells which incidents match: update, never add.
      if (filters.query && !incidents.some((i) => i.id === incident.id)) upsertChild(incident);
      else upsert(incident);
    }
  }

  const loadTechnicians = async () => {
    try {
      technicians = await allPages(async (pageToken) => {
        const answer = await ctx.client.tenants.listTechnicians({ companyId: scope, pageSize: 500, pageToken });
        return { items: answer.technicians, next: answer.nextPageToken };
      }, 5);
    } catch (error) {
      ctx.fail(error, "Technicians");
    }
    const many = !scope;
    mount(
      technicianSelect,
      h("option", { value: "" }, "Anyone"),
      technicians.map((t) => h("option", { value: t.id }, `${t.name}${many ? ` · ${ctx.companyName(t.companyId)}` : ""}`)),
    );
    if (filters.technician && !technicians.some((t) => t.id === filters.technician)) {
      technicianSelect.append(h("option", { value: filters.technician }, filters.technician));
    }
    technicianSelect.value = filters.technician;
    render();
  };

  /** The "Mine" control: whose incidents it shows, or why it cannot show any. */
  function renderMine(): void {
    const technician = me?.technician;
    mineName.textContent = technician ? ` (${technician.name})` : "";
    if (meError) mineNote.textContent = "Cannot tell who you are.";
    else if (!me) mineNote.textContent = "";
    else if (!technician) mineNote.textContent = "Your token is linked to no technician.";
    else mineNote.textContent = "";
    // Off and unusable when the token has no technician; it can still be switched off.
    mineBox.disabled = !filters.mine && (Boolean(meError) || (me !== undefined && !technician));
    mineBox.title = me && !technician ? "This token is linked to no technician" : "";
  }

  const loadCaller = async () => {
    try {
      me = await ctx.caller();
      meError = "";
    } catch (error) {
      meError = `Cannot tell who you are (GetCaller): ${errorText(error)}`;
    }
    if (disposed) return;
    if (filters.mine && me?.technician) void load();
    else render();
  };

  function applyFilters(): void {
    filters.priority = prioritySelect.value;
    filters.status = statusSelect.value;
    filters.asset = assetInput.value.trim();
    filters.query = search.value.trim();
    filters.mine = mineBox.checked;
    filters.technician = filters.mine ? "" : technicianSelect.value;
    if (filters.mine) technicianSelect.value = "";
    technicianSelect.disabled = filters.mine;
    saveUrl();
    if (companySelect.value !== scope) {
      ctx.setScope(companySelect.value); // renders this page again, with the new company in the URL
      return;
    }
    selected.clear();
    rowErrors.clear();
    bulkResult = "";
    void load();
  }
  function setMine(on: boolean): void {
    mineBox.checked = on;
    applyFilters();
  }
  for (const control of [prioritySelect, statusSelect, companySelect, technicianSelect, mineBox, assetInput]) {
    control.addEventListener("change", applyFilters);
  }

  // ---- keyboard ----

  const moveCursor = (step: number) => {
    if (visibleOrder.length === 0) return;
    const index = cursor ? visibleOrder.indexOf(cursor) : -1;
    const next = index < 0 ? (step > 0 ? 0 : visibleOrder.length - 1) : Math.min(visibleOrder.length - 1, Math.max(0, index + step));
    cursor = visibleOrder[next];
    render();
    const tr = table.querySelector<HTMLElement>(`tr[data-incident-id="${CSS.escape(cursor)}"]`);
    tr?.focus({ preventScroll: true });
    tr?.scrollIntoView({ block: "nearest" });
  };
  const targets = (): string[] => (selected.size > 0 ? [...selected] : cursor ? [cursor] : []);

  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!element.isConnected || document.querySelector("dialog[open]")) return;
    if (isTyping(event.target)) return;
    const onControl = event.target instanceof HTMLElement && event.target.closest("button, a, summary") !== null;
    switch (event.key) {
      case "j":
        moveCursor(1);
        break;
      case "k":
        moveCursor(-1);
        break;
      case "Enter":
        if (onControl) return; // the button or link does its own thing
        if (!cursor) return;
        window.location.hash = `#/incidents/${encodeURIComponent(cursor)}`;
        break;
      case "o":
        if (!cursor) return;
        window.location.hash = `#/incidents/${encodeURIComponent(cursor)}`;
        break;
      case "a":
        void runEach("Acknowledge", targets(), acknowledge);
        break;
      case "r":
        askResolve(targets());
        break;
      case "x":
        if (!cursor) return;
        if (selected.has(cursor)) selected.delete(cursor);
        else selected.add(cursor);
        render();
        table.querySelector<HTMLElement>(`tr[data-incident-id="${CSS.escape(cursor)}"]`)?.focus({ preventScroll: true });
        break;
      case "/":
        search.focus();
        search.select();
        break;
      case "?":
        helpDialog.showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  };
  document.addEventListener("keydown", onKey);

  // ---- live ----

  const unsubscribe = ctx.feed.subscribe({
    event: (event) => {
      const incident = event.incident;
      if (!incident || !inScope.has(incident.companyId)) return;
      recent.remember(incident);
      const known = incidents.some((i) => i.id === incident.id);
      if (!known && filters.query) {
        if (fetchedChildren.has(incident.parentIncidentId)) {
          // A new incident of an open storm: it shows under its parent, whatever the search.
          upsertChild(incident);
        } else {
          // Whether it matches the search only the server can tell.
          relist();
          return;
        }
      } else if (!upsert(incident) && !fetchedChildren.has(incident.parentIncidentId)) {
        return;
      }
      highlighted.add(incident.id);
      setTimeout(() => highlighted.delete(incident.id), 2000);
      listError = "";
      render();
    },
    resync: (companyId) => {
      if (inScope.has(companyId)) relist();
    },
  });

  render();
  void load();
  void loadTechnicians();
  void loadCaller();
  return {
    element,
    dispose: () => {
      disposed = true;
      generation += 1;
      unsubscribe();
      document.removeEventListener("keydown", onKey);
    },
  };
}
