// One incident: GetIncident (alerts, timeline) and the actions acknowledge, assign, resolve,
// reopen and comment; its runbook executions and "Run runbook" (incident-runbooks.ts), Session
// Manager sessions (incident-sessions.ts), its
// notifications (incident-notifications.ts). Its
// company's stream stays open while the page shows; events of this incident fetch it (and its
// executions) again.
import {
  IncidentEventKind,
  IncidentStatus,
  allPages,
  errorText,
  severityNames,
} from "../api.js";
import type { Alert, GetIncidentResponse, Incident, IncidentEvent, Technician } from "../api.js";
import type { Ctx, View } from "../context.js";
import { debounce, field, h, mount, remount } from "../dom.js";
import { pageHeader, placeholder, priorityBadge, statusBadge, timeElement } from "./common.js";
import { incidentNotifications } from "./incident-notifications.js";
import { incidentRunbooks } from "./incident-runbooks.js";
import { incidentSessions } from "./incident-sessions.js";
import { actorLabel, emptyActorNames, loadActorNames } from "./actors.js";

const alertStatusNames: Record<number, string> = { 1: "firing", 2: "acknowledged", 3: "resolved" };

function eventKindName(kind: IncidentEventKind): string {
  return (IncidentEventKind[kind] ?? "event").toLowerCase().replace(/_/g, " ");
}

export function incidentView(ctx: Ctx, incidentId: string): View {
  let data: GetIncidentResponse | undefined;
  let technicians: Technician[] = [];
  let names = emptyActorNames();
  let loadError = "";
  let busy = false;

  const body = h("div", { class: "incident-body" }, placeholder("Loading…"));
  const element = h(
    "div",
    { class: "view incident", testid: "incident-detail", "data-incident-id": incidentId },
    h("p", null, h("a", { href: "#/incidents" }, "← Incidents")),
    body,
  );

  // Created once and reused by every render, so that typing survives live updates.
  const assignSelect = h("select", { testid: "assign-select" });
  const resolution = h("textarea", { rows: "2", maxlength: "4096", required: true, testid: "resolve-text" });
  const reason = h("textarea", { rows: "2", maxlength: "4096", testid: "reopen-text" });
  const comment = h("textarea", { rows: "2", maxlength: "4096", required: true, testid: "comment-text" });

  const runbooks = incidentRunbooks(ctx, incidentId);
  const sessions = incidentSessions(ctx, incidentId);
  const notifications = incidentNotifications(ctx, incidentId);

  const technicianName = (id: string) => {
    if (!id) return "unassigned";
    return technicians.find((t) => t.id === id)?.name ?? id;
  };

  const act = async (what: string, call: () => Promise<unknown>) => {
    if (busy) return;
    busy = true;
    render();
    try {
      const answer = (await call()) as { incident?: Incident };
      if (data && answer && answer.incident) data.incident = answer.incident;
      ctx.notify(`${what}: done`);
      if (what === "Comment") comment.value = "";
      if (what === "Resolve") resolution.value = "";
      if (what === "Reopen") reason.value = "";
      await load();
    } catch (error) {
      ctx.fail(error, what);
    } finally {
      busy = false;
      render();
    }
  };

  const actions = (incident: Incident) => {
    const resolved = incident.status === IncidentStatus.RESOLVED;
    const ackButton = h(
      "button",
      {
        type: "button",
        testid: "action-acknowledge",
        disabled: busy || incident.status !== IncidentStatus.OPEN,
        onclick: () => act("Acknowledge", () => ctx.client.incidents.acknowledgeIncident({ incidentId })),
      },
      "Acknowledge",
    );

    const chosen = assignSelect.value || "auto";
    mount(
      assignSelect,
      h("option", { value: "auto" }, "Automatically (on-duty round-robin)"),
      technicians
        .filter((t) => t.companyId === incident.companyId)
        .map((t) => h("option", { value: t.id }, `${t.name}${t.onDuty ? "" : " (off duty)"}`)),
    );
    assignSelect.value = chosen;
    if (!assignSelect.value) assignSelect.value = "auto";
    const assignForm = h(
      "form",
      {
        class: "inline",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const value = assignSelect.value;
          void act("Assign", () =>
            ctx.client.incidents.assignIncident(
              value === "auto" ? { incidentId, autoAssign: true } : { incidentId, technicianId: value },
            ),
          );
        },
      },
      field("Assign to", assignSelect),
      h("button", { type: "submit", testid: "action-assign", disabled: busy || resolved }, "Assign"),
    );

    const resolveForm = h(
      "form",
      {
        class: "inline",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const text = resolution.value.trim();
          if (!text) return;
          void act("Resolve", () => ctx.client.incidents.resolveIncident({ incidentId, resolution: text }));
        },
      },
      field("Resolution", resolution),
      h("button", { type: "submit", testid: "action-resolve", disabled: busy || resolved }, "Resolve"),
    );

    const reopenForm = h(
      "form",
      {
        class: "inline",
        onsubmit: (event: Event) => {
          event.preventDefault();
          void act("Reopen", () => ctx.client.incidents.reopenIncident({ incidentId, reason: reason.value.trim() }));
        },
      },
      field("Reason to reopen", reason),
      h("button", { type: "submit", testid: "action-reopen", disabled: busy || !resolved }, "Reopen"),
    );

    const commentForm = h(
      "form",
      {
        class: "inline",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const text = comment.value.trim();
          if (!text) return;
          void act("Comment", () => ctx.client.incidents.addComment({ incidentId, text }));
        },
      },
      field("Comment", comment),
      h("button", { type: "submit", testid: "action-comment", disabled: busy }, "Add comment"),
    );

    return h(
      "section",
      { class: "card actions", "aria-labelledby": "actions-title" },
      h("h2", { id: "actions-title" }, "Actions"),
      h("div", { class: "inline" }, ackButton),
      assignForm,
      resolved ? reopenForm : resolveForm,
      commentForm,
    );
  };

  const alertsTable = (alerts: Alert[], truncated: boolean, storm: boolean) =>
    h(
      "section",
      { "aria-labelledby": "alerts-title" },
      h("h2", { id: "alerts-title" }, `Alerts (${alerts.length}${truncated ? "+" : ""})`),
      alerts.length === 0
        ? placeholder("No alerts.")
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { testid: "incident-alerts" },
              h(
                "thead",
                null,
                h(
                  "tr",
                  null,
                  [...(storm ? ["Incident"] : []), "Asset", "Signature", "Severity", "Message", "Tool", "Count", "Status", "Last occurrence"].map((t) =>
                    h("th", { scope: "col" }, t),
                  ),
                ),
              ),
              h(
                "tbody",
                null,
                alerts.map((a) =>
                  h(
                    "tr",
                    { testid: "alert-row", "data-incident-id": a.incidentId },
                    storm
                      ? h("td", null, a.incidentId && a.incidentId !== incidentId ? h("a", { href: `#/incidents/${encodeURIComponent(a.incidentId)}`, testid: "alert-incident-link" }, childLabel(a.incidentId)) : "this one")
                      : null,
                    h("td", null, a.asset),
                    h("td", null, a.signature),
                    h("td", null, severityNames[a.severity] ?? "—"),
                    h("td", null, a.link ? h("a", { href: a.link, rel: "noopener noreferrer", target: "_blank" }, a.message || a.link) : a.message),
                    h("td", null, a.toolSource),
                    h("td", { class: "num" }, String(a.count)),
                    h("td", null, alertStatusNames[a.status] ?? "—"),
                    h("td", null, timeElement(a.lastOccurTime ?? a.occurTime)),
                  ),
                ),
              ),
            ),
          ),
    );

  const timeline = (events: IncidentEvent[]) =>
    h(
      "section",
      { "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, "Timeline"),
      events.length === 0
        ? placeholder("No entries.")
        : h(
            "ol",
            { class: "timeline", testid: "incident-timeline" },
            events.map((e) =>
              h(
                "li",
                { testid: "timeline-entry", "data-kind": eventKindName(e.kind) },
                h("div", { class: "timeline-head" }, h("strong", null, eventKindName(e.kind)), " · ", timeElement(e.time), " · ", actorLabel(e.actor, names)),
                e.message ? h("div", null, e.message) : null,
              ),
            ),
          ),
    );

  const childLabel = (id: string) => {
    const child = data?.children.find((c) => c.id === id);
    return child ? child.asset || child.id : id;
  };

  /** A storm parent's incidents, each linked, with their state. */
  const stormChildren = (children: Incident[], count: number) =>
    h(
      "section",
      { "aria-labelledby": "storm-title", testid: "storm-children" },
      h("h2", { id: "storm-title" }, `Incidents in this storm (${count})`),
      children.length === 0
        ? placeholder("No incidents folded under it yet.")
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              null,
              h("thead", null, h("tr", null, ["Priority", "Status", "Asset", "Incident", "Alerts", "Last change"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                null,
                children.map((c) =>
                  h(
                    "tr",
                    { testid: "storm-child-row", "data-incident-id": c.id },
                    h("td", null, priorityBadge(c.priority)),
                    h("td", null, statusBadge(c.status)),
                    h("td", { class: "break" }, c.asset),
                    h("td", null, h("a", { href: `#/incidents/${encodeURIComponent(c.id)}`, testid: "storm-child-link" }, c.summary || c.signature)),
                    h("td", { class: "num" }, String(c.alertCount)),
                    h("td", null, timeElement(c.updateTime)),
                  ),
                ),
              ),
            ),
          ),
    );

  const render = () => {
    if (loadError && !data) {
      mount(body, pageHeader("Incident"), h("p", { class: "error", role: "alert", testid: "incident-error" }, loadError));
      return;
    }
    if (!data?.incident) return;
    const incident = data.incident;
    const facts: Array<[string, Node | string]> = [
      ["Company", ctx.companyName(incident.companyId)],
      ["Asset", incident.asset || "— (a storm spans assets)"],
      ["Signature", incident.signature],
      ["Severity", severityNames[incident.severity] ?? "—"],
      ["Alerts", String(incident.alertCount)],
      ["Tools", incident.tools.join(", ") || "—"],
      ["Assigned to", technicianName(incident.assignedTechnicianId)],
      ["Aggregation key", incident.aggregationKey],
      ["Created", timeElement(incident.createTime)],
      ["Acknowledged", incident.acknowledgeTime ? timeElement(incident.acknowledgeTime) : "—"],
      ["Resolved", incident.resolveTime ? timeElement(incident.resolveTime) : "—"],
    ];
    if (incident.resolution) facts.push(["Resolution", incident.resolution]);
    if (incident.parentIncidentId) {
      facts.push(["Storm parent", h("a", { href: `#/incidents/${encodeURIComponent(incident.parentIncidentId)}`, testid: "incident-parent-link" }, `the storm (${incident.parentIncidentId})`)]);
    }
    const storm = incident.isStormParent;
    remount(
      body,
      pageHeader(
        incident.summary || `${incident.asset} · ${incident.signature}`,
        h("div", { class: "badges" }, priorityBadge(incident.priority), statusBadge(incident.status), incident.selfHealed ? h("span", { class: "tag" }, "self-healed") : null, incident.flapping ? h("span", { class: "tag" }, "flapping") : null),
      ),
      loadError ? h("p", { class: "error", role: "alert" }, loadError) : null,
      h(
        "div",
        { class: "columns" },
        h(
          "section",
          { class: "card", "aria-labelledby": "facts-title" },
          h("h2", { id: "facts-title" }, "Details"),
          h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
          incident.priorityReasons.length > 0
            ? [h("h3", null, "Why this priority"), h("ul", null, incident.priorityReasons.map((r) => h("li", null, r)))]
            : null,
        ),
        actions(incident),
      ),
      incident.parentIncidentId
        ? h(
            "p",
            { class: "warning", testid: "incident-in-storm" },
            "Part of a storm: ",
            h("a", { href: `#/incidents/${encodeURIComponent(incident.parentIncidentId)}` }, "open the storm's parent incident"),
            ", which groups this signature's incidents on many assets.",
          )
        : null,
      storm ? stormChildren(data.children, incident.childIncidentCount) : null,
      alertsTable(data.alerts, data.alertsTruncated, storm),
      timeline(data.timeline),
      runbooks.list,
      runbooks.form,
      sessions.element,
      notifications.element,
    );
    document.title = `${incident.summary || incident.signature} · Alert Whisperer`;
  };

  const load = async () => {
    try {
      data = await ctx.client.incidents.getIncident({ incidentId });
      loadError = "";
      const companyId = data.incident?.companyId;
      if (companyId) {
        ctx.pinStream(companyId);
        void notifications.load(companyId);
      }
      if (data.incident) {
        runbooks.setIncident(data.incident);
        sessions.setIncident(data.incident);
      }
    } catch (error) {
      loadError = `Cannot load the incident: ${errorText(error)}`;
    }
  };

  let disposed = false;
  const reload = debounce(async () => {
    await load();
    if (!disposed && !busy) render();
  }, 250);
  const unsubscribe = ctx.feed.subscribe({
    event: (event) => {
      // A storm parent's page lists its incidents: their changes reload it too.
      if (event.incident?.parentIncidentId === incidentId) {
        reload();
        return;
      }
      if (event.incident?.id !== incidentId) return;
      if (data) data.incident = event.incident;
      if (!busy) render();
      reload();
    },
    resync: (companyId) => {
      if (data?.incident?.companyId === companyId) reload();
    },
  });

  // Shortcuts of the page (as on the list): a acknowledges, r goes to the resolution, u goes
  // back to the list. Not while typing or while a dialog is open.
  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!element.isConnected || document.querySelector("dialog[open]")) return;
    const target = event.target;
    if (target instanceof HTMLElement && (target.isContentEditable || target.closest("input, textarea, select"))) return;
    const incident = data?.incident;
    if (event.key === "a" && incident?.status === IncidentStatus.OPEN) {
      void act("Acknowledge", () => ctx.client.incidents.acknowledgeIncident({ incidentId }));
    } else if (event.key === "r" && incident && incident.status !== IncidentStatus.RESOLVED && resolution.isConnected) {
      resolution.focus();
      resolution.scrollIntoView({ block: "center" });
    } else if (event.key === "u") {
      window.location.hash = "#/incidents";
    } else {
      return;
    }
    event.preventDefault();
  };
  document.addEventListener("keydown", onKey);

  void (async () => {
    await load();
    if (data?.incident) {
      try {
        technicians = await allPages(async (pageToken) => {
          const answer = await ctx.client.tenants.listTechnicians({
            companyId: data?.incident?.companyId ?? "",
            pageSize: 500,
            pageToken,
          });
          return { items: answer.technicians, next: answer.nextPageToken };
        }, 5);
      } catch (error) {
        ctx.fail(error, "Technicians");
      }
      names = await loadActorNames(ctx, data.incident.companyId, technicians);
    }
    if (!disposed) render();
  })();

  return {
    element,
    dispose: () => {
      disposed = true;
      unsubscribe();
      document.removeEventListener("keydown", onKey);
      notifications.dispose();
    },
  };
}
