// Incidents: ListIncidents with filters (priority, status, company, search), kept current by
// the WatchIncidents events of the companies in scope.
import { IncidentStatus, Priority, errorText, severityNames } from "../api.js";
import type { MessageInitShape } from "@bufbuild/protobuf";

import type { Incident, ListIncidentsRequestSchema } from "../api.js";
import type { Ctx, View } from "../context.js";
import { debounce, field, h, mount } from "../dom.js";
import { isNewer, pageHeader, placeholder, priorityBadge, statusBadge, timeElement } from "./common.js";

const FILTER_KEY = "alertwhisperer.incident-filters";

interface Filters {
  priority: string; // "" | "1".."4" | "high" (P1+P2)
  status: string; // "" | "active" | "1".."3"
  query: string;
}

function loadFilters(): Filters {
  try {
    const saved = JSON.parse(sessionStorage.getItem(FILTER_KEY) ?? "{}") as Partial<Filters>;
    return { priority: saved.priority ?? "", status: saved.status ?? "active", query: saved.query ?? "" };
  } catch {
    return { priority: "", status: "active", query: "" };
  }
}

function priorities(filters: Filters): Priority[] {
  if (filters.priority === "high") return [Priority.P1, Priority.P2];
  return filters.priority ? [Number(filters.priority) as Priority] : [];
}

function statuses(filters: Filters): IncidentStatus[] {
  if (filters.status === "active") return [IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED];
  return filters.status ? [Number(filters.status) as IncidentStatus] : [];
}

export function incidentsView(ctx: Ctx): View {
  const filters = loadFilters();
  const scope = ctx.scope();
  const inScope = new Set(ctx.scopeIds());
  let incidents: Incident[] = [];
  let nextPageToken = "";
  let loading = true;
  let listError = "";
  const highlighted = new Set<string>();

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
  const search = h("input", {
    type: "search",
    value: filters.query,
    placeholder: "words in messages, assets, signatures",
    testid: "filter-search",
  });

  const table = h("div", { class: "table-wrap" });
  const more = h("div", { class: "more" });
  const element = h(
    "div",
    { class: "view incidents", testid: "incidents" },
    pageHeader("Incidents"),
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
      field("Priority", prioritySelect),
      field("Status", statusSelect),
      field("Company", companySelect),
      field("Search", search),
      h("button", { type: "submit", testid: "filter-apply" }, "Search"),
    ),
    table,
    more,
  );

  const matches = (incident: Incident): boolean => {
    if (!inScope.has(incident.companyId)) return false;
    const p = priorities(filters);
    if (p.length > 0 && !p.includes(incident.priority)) return false;
    const s = statuses(filters);
    return s.length === 0 || s.includes(incident.status);
  };

  const row = (incident: Incident) =>
    h(
      "tr",
      {
        testid: "incident-row",
        "data-incident-id": incident.id,
        class: highlighted.has(incident.id) ? "flash" : undefined,
      },
      h("td", null, priorityBadge(incident.priority)),
      h("td", null, statusBadge(incident.status)),
      h(
        "td",
        null,
        h(
          "a",
          { href: `#/incidents/${encodeURIComponent(incident.id)}`, testid: "incident-link" },
          incident.summary || incident.signature,
        ),
        h("div", { class: "muted" }, `${incident.asset} · ${incident.signature}`),
        incident.flapping ? h("span", { class: "tag" }, "flapping") : null,
        incident.childIncidentCount > 0 ? h("span", { class: "tag" }, `storm: ${incident.childIncidentCount}`) : null,
      ),
      h("td", null, ctx.companyName(incident.companyId)),
      h("td", { class: "num" }, String(incident.alertCount)),
      h("td", null, severityNames[incident.severity] ?? "—"),
      h("td", null, timeElement(incident.updateTime)),
    );

  const render = () => {
    if (listError) {
      mount(table, h("p", { class: "error", role: "alert", testid: "incidents-error" }, listError));
    } else if (loading && incidents.length === 0) {
      mount(table, placeholder("Loading…"));
    } else if (incidents.length === 0) {
      mount(table, placeholder("No incidents match.", "incidents-empty"));
    } else {
      mount(
        table,
        h(
          "table",
          { testid: "incidents-table" },
          h("caption", { class: "visually-hidden" }, "Incidents, newest first"),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Priority", "Status", "Incident", "Company", "Alerts", "Severity", "Last change"].map((t) =>
                h("th", { scope: "col" }, t),
              ),
            ),
          ),
          h("tbody", null, incidents.map(row)),
        ),
      );
    }
    mount(
      more,
      nextPageToken
        ? h("button", { type: "button", class: "secondary", testid: "load-more", onclick: () => void load(true) }, "Load more")
        : null,
    );
  };

  const request = (pageToken: string): MessageInitShape<typeof ListIncidentsRequestSchema> => ({
    companyIds: scope ? [scope] : [],
    priorities: priorities(filters),
    statuses: statuses(filters),
    query: filters.query,
    pageSize: 50,
    pageToken,
  });

  let generation = 0;
  const load = async (append = false) => {
    const mine = ++generation;
    loading = true;
    try {
      const answer = await ctx.client.incidents.listIncidents(request(append ? nextPageToken : ""));
      if (mine !== generation) return;
      incidents = append ? [...incidents, ...answer.incidents] : answer.incidents;
      nextPageToken = answer.nextPageToken;
      listError = "";
    } catch (error) {
      if (mine !== generation) return;
      listError = `Cannot list incidents: ${errorText(error)}`;
    }
    loading = false;
    render();
  };
  const relist = debounce(() => void load(), 300);

  function applyFilters(): void {
    filters.priority = prioritySelect.value;
    filters.status = statusSelect.value;
    filters.query = search.value.trim();
    sessionStorage.setItem(FILTER_KEY, JSON.stringify(filters));
    if (companySelect.value !== scope) {
      ctx.setScope(companySelect.value); // re-renders this page with the new scope
      return;
    }
    void load();
  }
  prioritySelect.addEventListener("change", applyFilters);
  statusSelect.addEventListener("change", applyFilters);
  companySelect.addEventListener("change", applyFilters);

  const unsubscribe = ctx.feed.subscribe({
    event: (event) => {
      const incident = event.incident;
      if (!incident || !inScope.has(incident.companyId)) return;
      const index = incidents.findIndex((i) => i.id === incident.id);
      if (index >= 0 && !isNewer(incident, incidents[index])) return;
      highlighted.add(incident.id);
      setTimeout(() => highlighted.delete(incident.id), 2000);
      if (index >= 0) {
        // In place: the list is ordered newest first by creation, as the server orders it.
        if (matches(incident)) incidents[index] = incident;
        else incidents.splice(index, 1);
      } else if (filters.query) {
        // Whether it matches the search only the server can tell.
        relist();
        return;
      } else if (matches(incident)) {
        incidents.unshift(incident);
      } else {
        return;
      }
      listError = "";
      render();
    },
    resync: (companyId) => {
      if (inScope.has(companyId)) relist();
    },
  });

  render();
  void load();
  return { element, dispose: unsubscribe };
}
