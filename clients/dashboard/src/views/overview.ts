// Overview: live counters for the selected company or all companies, KPIs per company, and the
// latest active incidents, and KPI trends. Counters follow the WatchIncidents events; KPIs and
// trends are fetched again after events arrive (debounced), never on a timer.
import {
  IncidentStatus,
  Severity,
  allPages,
  errorText,
  formatDuration,
  formatPct,
  timeMillis,
} from "../api.js";
import type { GetKpisResponse, Incident, Kpis } from "../api.js";
import type { Ctx, View } from "../context.js";
import { barChart } from "../charts.js";
import type { Bar } from "../charts.js";
import { debounce, h, mount } from "../dom.js";
import { kpiTrendPanel } from "./kpi-trend.js";
import {
  RecentIncidents,
  isActive,
  isHighPriority,
  isNewer,
  pageHeader,
  placeholder,
  priorityBadge,
  statusBadge,
  timeElement,
} from "./common.js";

interface Counts {
  critical: bigint;
  high: number;
  active: number;
}

// Counts what a technician handles, each alert once: a storm's children are
// counted through their parent, whose alert count is theirs.
function count(incidents: Iterable<Incident>): Counts {
  const counts: Counts = { critical: 0n, high: 0, active: 0 };
  for (const incident of incidents) {
    if (incident.parentIncidentId !== "") continue;
    counts.active += 1;
    if (isHighPriority(incident)) counts.high += 1;
    if (incident.severity === Severity.CRITICAL) counts.critical += incident.alertCount;
  }
  return counts;
}

/** "no data yet" where nothing was measured (no alerts, no incidents), not "0.0 %". */
const NO_DATA = "no data yet";
const noiseText = (k: Kpis) => (k.rawAlertCount > 0n ? formatPct(k.noiseReductionPct) : NO_DATA);
const selfHealedText = (k: Kpis) => (k.incidentCount > 0n ? formatPct(k.selfHealedPct) : NO_DATA);
const durationText = (d: Kpis["mttr"]) => (d ? formatDuration(d) : NO_DATA);

function card(label: string, value: string, testid: string, hint: string): HTMLElement {
  return h(
    "div",
    { class: "card kpi", testid },
    h("div", { class: "kpi-label" }, label),
    h("div", { class: "kpi-value", testid: `${testid}-value` }, value),
    h("div", { class: "kpi-hint" }, hint),
  );
}

export function overviewView(ctx: Ctx): View {
  const scope = ctx.scope();
  const inScope = new Set(ctx.scopeIds());
  const active = new Map<string, Incident>();
  let kpis: GetKpisResponse | undefined;
  let kpiError = "";
  let activeError = "";
  let loaded = false;

  const cards = h("section", { class: "kpis", "aria-label": "Counters", testid: "kpi-cards" });
  const charts = h("section", { "aria-labelledby": "kpi-charts-h", testid: "kpi-charts" });
  const perCompany = h("section", { "aria-labelledby": "per-company" });
  const latest = h("section", { "aria-labelledby": "latest" });
  // Trends of the same companies (GetKpiTrend), fetched again after events at most every 5 s.
  const trend = kpiTrendPanel(ctx, scope);
  const element = h(
    "div",
    { class: "view overview", testid: "overview" },
    pageHeader(
      "Overview",
      h("p", { class: "subtitle" }, scope ? ctx.companyName(scope) : "All companies"),
    ),
    cards,
    trend.element,
    charts,
    scope ? null : perCompany,
    latest,
  );

  const render = () => {
    const counts = count(active.values());
    const total: Kpis | undefined = kpis?.total;
    const dash = loaded ? "—" : "…";
    mount(
      cards,
      card("Critical alerts", activeError ? dash : String(counts.critical), "kpi-critical-alerts", "in active incidents of critical severity"),
      card("High-priority incidents", activeError ? dash : String(counts.high), "kpi-high-priority", "P1 and P2, not resolved"),
      card("Active incidents", activeError ? dash : String(counts.active), "kpi-active-incidents", "open or acknowledged; a storm counts once"),
      card("Noise reduction", total ? noiseText(total) : dash, "kpi-noise-reduction", "alerts folded into the incidents a technician handles (a storm counts once), last 30 days"),
      card("MTTR", total ? durationText(total.mttr) : dash, "kpi-mttr", "mean time to resolve, last 30 days"),
      card("Self-healed", total ? selfHealedText(total) : dash, "kpi-self-healed", "resolved by a runbook, last 30 days"),
    );
    if (activeError || kpiError) {
      cards.append(
        h("p", { class: "error", role: "alert", testid: "overview-error" }, [activeError, kpiError].filter(Boolean).join(" · ")),
      );
    }

    renderCharts();

    if (!scope) {
      const byCompany = new Map<string, Incident[]>();
      for (const incident of active.values()) {
        const list = byCompany.get(incident.companyId) ?? [];
        list.push(incident);
        byCompany.set(incident.companyId, list);
      }
      const kpiById = new Map((kpis?.companies ?? []).map((k) => [k.companyId, k]));
      mount(
        perCompany,
        h("h2", { id: "per-company" }, "Per company"),
        ctx.companies().length === 0
          ? placeholder("No companies yet. Create one on the Companies page.")
          : h(
              "div",
              { class: "table-wrap" },
              h(
              "table",
              { testid: "per-company-table" },
              h(
                "thead",
                null,
                h(
                  "tr",
                  null,
                  ["Company", "Critical alerts", "High priority", "Active", "Noise reduction", "MTTA", "MTTR", "Self-healed"].map((t) =>
                    h("th", { scope: "col" }, t),
                  ),
                ),
              ),
              h(
                "tbody",
                null,
                ctx.companies().map((company) => {
                  const c = count(byCompany.get(company.id) ?? []);
                  const k = kpiById.get(company.id);
                  return h(
                    "tr",
                    { testid: "per-company-row", "data-company-id": company.id },
                    h("th", { scope: "row" }, h("a", { href: "#/incidents", onclick: () => ctx.setScope(company.id) }, company.name)),
                    h("td", { class: "num" }, activeError ? "—" : String(c.critical)),
                    h("td", { class: "num" }, activeError ? "—" : String(c.high)),
                    h("td", { class: "num" }, activeError ? "—" : String(c.active)),
                    h("td", { class: "num" }, k ? noiseText(k) : "—"),
                    h("td", { class: "num" }, k ? formatDuration(k.mtta) : "—"),
                    h("td", { class: "num" }, k ? formatDuration(k.mttr) : "—"),
                    h("td", { class: "num" }, k ? selfHealedText(k) : "—"),
                  );
                }),
              ),
              ),
            ),
      );
    }

    const newest = [...active.values()]
      .sort((a, b) => timeMillis(b.updateTime) - timeMillis(a.updateTime))
      .slice(0, 10);
    mount(
      latest,
      h("h2", { id: "latest" }, "Latest active incidents"),
      newest.length === 0
        ? placeholder(loaded ? (activeError ? "Incidents cannot be listed right now." : "No active incidents.") : "Loading…")
        : h(
            "ul",
            { class: "incident-cards", testid: "latest-incidents" },
            newest.map((incident) =>
              h(
                "li",
                { testid: "incident-row", "data-incident-id": incident.id },
                priorityBadge(incident.priority),
                statusBadge(incident.status),
                h("a", { href: `#/incidents/${encodeURIComponent(incident.id)}` }, incident.summary || `${incident.asset} · ${incident.signature}`),
                h("span", { class: "muted" }, ` ${ctx.companyName(incident.companyId)} · ${incident.asset} · `, timeElement(incident.updateTime)),
              ),
            ),
          ),
    );
  };

  // KPI bar charts, one bar per company (GetKpis' companies[]), in the order of the selector.
  const renderCharts = () => {
    const order = new Map(ctx.companies().map((c, i) => [c.id, i]));
    const rows = [...(kpis?.companies ?? [])].sort(
      (a, b) => (order.get(a.companyId) ?? Infinity) - (order.get(b.companyId) ?? Infinity),
    );
    const seconds = (d: Kpis["mtta"]) => (d ? Number(d.seconds) + d.nanos / 1e9 : undefined);
    // A company without alerts (or incidents) has no figure: an empty bar, "no data yet".
    const pctBars = (pick: (k: Kpis) => number, measured: (k: Kpis) => boolean): Bar[] =>
      rows.map((k) =>
        measured(k)
          ? { id: k.companyId, label: ctx.companyName(k.companyId), value: pick(k), text: formatPct(pick(k)) }
          : { id: k.companyId, label: ctx.companyName(k.companyId), value: undefined, text: NO_DATA },
      );
    const durationChart = (title: string, hint: string, testid: string, pick: (k: Kpis) => Kpis["mtta"]) => {
      const bars: Bar[] = rows.map((k) => ({
        id: k.companyId,
        label: ctx.companyName(k.companyId),
        value: seconds(pick(k)),
        text: formatDuration(pick(k)),
      }));
      const max = Math.max(0, ...bars.map((b) => b.value ?? 0));
      return barChart({ title, hint, testid, bars, max });
    };
    mount(
      charts,
      h("h2", { id: "kpi-charts-h" }, scope ? "KPIs (last 30 days)" : "KPIs per company (last 30 days)"),
      !kpis
        ? placeholder(kpiError ? "KPIs cannot be fetched right now." : "Loading…", "kpi-charts-placeholder")
        : h(
            "div",
            { class: "charts" },
            barChart({ title: "Noise reduction", hint: "alerts folded into incidents", testid: "chart-noise-reduction", bars: pctBars((k) => k.noiseReductionPct, (k) => k.rawAlertCount > 0n), max: 100 }),
            durationChart("MTTA", "mean time to acknowledge", "chart-mtta", (k) => k.mtta),
            durationChart("MTTR", "mean time to resolve", "chart-mttr", (k) => k.mttr),
            barChart({ title: "Self-healed", hint: "resolved by a runbook", testid: "chart-self-healed", bars: pctBars((k) => k.selfHealedPct, (k) => k.incidentCount > 0n), max: 100 }),
          ),
    );
  };

  const companyIds = scope ? [scope] : [];
  const recent = new RecentIncidents();
  /** Takes a streamed state into the active incidents; false if it is older than the one held. */
  const apply = (incident: Incident): boolean => {
    if (!isNewer(incident, active.get(incident.id))) return false;
    if (isActive(incident)) active.set(incident.id, incident);
    else active.delete(incident.id);
    return true;
  };
  const loadActive = async () => {
    try {
      const incidents = await allPages(async (pageToken) => {
        const answer = await ctx.client.incidents.listIncidents({
          companyIds,
          statuses: [IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED],
          pageSize: 500,
          pageToken,
        });
        return { items: answer.incidents, next: answer.nextPageToken };
      }, 10);
      active.clear();
      for (const incident of incidents) active.set(incident.id, incident);
      // Events that arrived while the list was on its way are applied again over it.
      for (const incident of recent.all()) apply(incident);
      activeError = "";
    } catch (error) {
      activeError = `Incidents: ${errorText(error)}`;
    }
  };
  const loadKpis = async () => {
    try {
      kpis = await ctx.client.incidents.getKpis({ companyId: scope });
      kpiError = "";
    } catch (error) {
      kpiError = `KPIs: ${errorText(error)}`;
    }
  };

  let disposed = false;
  const refreshKpis = debounce(async () => {
    await loadKpis();
    if (!disposed) render();
  }, 1000);
  const relist = debounce(async () => {
    await Promise.all([loadActive(), loadKpis()]);
    if (!disposed) render();
  }, 300);

  const unsubscribe = ctx.feed.subscribe({
    event: (event) => {
      const incident = event.incident;
      if (!incident || !inScope.has(incident.companyId)) return;
      recent.remember(incident);
      // Any change may move the trend (a repeat adds an alert to a bucket).
      trend.refresh();
      if (!apply(incident)) return;
      render();
      refreshKpis();
    },
    resync: (companyId) => {
      if (!inScope.has(companyId)) return;
      relist();
      trend.refresh();
    },
  });

  render();
  void Promise.all([loadActive(), loadKpis()]).then(() => {
    loaded = true;
    if (!disposed) render();
  });

  return {
    element,
    dispose: () => {
      disposed = true;
      unsubscribe();
      trend.dispose();
    },
  };
}
