// Compliance: patch compliance from ComplianceService for the selected company or all companies.
// A company: its summary (GetComplianceSummary), a 30-day trend (GetComplianceTrend), its
// instances page by page (ListInstanceCompliance), "Sync now" (SyncCompliance) and the CSV
// report (GET /api/reports/compliance.csv, fetched with the bearer token and saved as a file).
// All companies: the overall figures, one row per company, and "Sync all".
// Compliance has no live feed: the page loads when opened and after a sync, never on a timer.
import {
  Code,
  ComplianceStatus,
  PatchOperation,
  PlatformType,
  errorCode,
  errorText,
  formatDuration,
  formatPct,
  formatTime,
  isoTime,
  timeMillis,
} from "../api.js";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type {
  ComplianceSummary,
  CompliancePoint,
  ComplianceSyncResult,
  InstanceCompliance,
} from "../api.js";
import { trendChart } from "../charts.js";
import type { Ctx, View } from "../context.js";
import { field, h, mount } from "../dom.js";
import { awsNotConfigured, isAwsNotConfigured, pageHeader, placeholder, timeElement } from "./common.js";

const PAGE_SIZE = 50;
const TREND_DAYS = 30;

const statusNames: Record<number, string> = {
  [ComplianceStatus.COMPLIANT]: "compliant",
  [ComplianceStatus.NON_COMPLIANT]: "non-compliant",
  [ComplianceStatus.NO_DATA]: "no data",
};

const operationNames: Record<number, string> = {
  [PatchOperation.SCAN]: "scan ",
  [PatchOperation.INSTALL]: "install ",
};

const platformNames: Record<number, string> = {
  [PlatformType.LINUX]: "Linux",
  [PlatformType.WINDOWS]: "Windows",
  [PlatformType.MACOS]: "macOS",
};

/** A compact date and time (the table has many columns), the full one as a tooltip. */
function shortTime(ts: InstanceCompliance["operationEndTime"]): HTMLElement {
  const date = ts ? timestampDate(ts) : undefined;
  return h(
    "time",
    { datetime: isoTime(ts), title: formatTime(ts) },
    date ? date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" }) : "—",
  );
}

function complianceBadge(status: ComplianceStatus): HTMLElement {
  const name = statusNames[status] ?? "unknown";
  return h("span", { class: `badge compliance-${name.replace(/\s/g, "-")}`, testid: "compliance-status" }, name);
}

function card(label: string, value: string, testid: string, hint: string): HTMLElement {
  return h(
    "div",
    { class: "card kpi", testid },
    h("div", { class: "kpi-label" }, label),
    h("div", { class: "kpi-value", testid: `${testid}-value` }, value),
    h("div", { class: "kpi-hint" }, hint),
  );
}

function summaryCards(summary: ComplianceSummary | undefined, loading: boolean): HTMLElement[] {
  const dash = loading ? "…" : "—";
  const has = summary !== undefined && summary.totalInstances > 0;
  return [
    card("Compliance", has ? formatPct(summary.compliancePct) : dash, "compliance-pct", "compliant / all managed instances"),
    card(
      "Compliant instances",
      summary ? `${summary.compliantInstances} of ${summary.totalInstances}` : dash,
      "compliance-instances",
      summary ? `${summary.nonCompliantInstances} non-compliant` : "in the latest sync",
    ),
    card("Critical patches missing", summary ? String(summary.criticalPatchesMissing) : dash, "compliance-critical", summary ? `${summary.securityPatchesMissing} security patches missing` : "critical non-compliant patches"),
    card("Oldest result", summary?.oldestResultAge ? formatDuration(summary.oldestResultAge) : dash, "compliance-oldest", "age of the oldest instance result"),
  ];
}

/** Saves `blob` as a file: a temporary link clicked once, and left on the page as a fallback. */
function offerDownload(blob: Blob, filename: string, into: HTMLElement): void {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, testid: "compliance-csv-link" }, `Save ${filename}`);
  mount(into, h("span", { class: "muted" }, "Downloaded. If the file did not arrive: "), link);
  link.click();
  // Keep the URL for the fallback link a while, then free it.
  setTimeout(() => URL.revokeObjectURL(url), 5 * 60_000);
}

/** Filename from Content-Disposition (attachment; filename="…"), or a default. */
function filenameOf(response: Response, fallback: string): string {
  const match = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "");
  return match?.[1] ?? fallback;
}

export function complianceView(ctx: Ctx): View {
  const scope = ctx.scope();
  let disposed = false;

  const syncResult = h("div", { class: "sync-result", testid: "compliance-sync-result", "aria-live": "polite" });
  const cards = h("section", { class: "kpis", "aria-label": "Compliance summary", testid: "compliance-summary" });
  const body = h("div");
  const syncButton = h(
    "button",
    { type: "button", testid: "compliance-sync", onclick: () => void sync() },
    scope ? "Sync now" : "Sync all companies",
  );
  const element = h(
    "div",
    { class: "view compliance", testid: "compliance", "data-company-id": scope },
    pageHeader(
      "Compliance",
      h("p", { class: "subtitle", testid: "compliance-scope" }, scope ? ctx.companyName(scope) : "All companies"),
      h("div", { class: "actions" }, syncButton),
    ),
    syncResult,
    cards,
    body,
  );

  /** Shows an RPC failure in `into` (signing out on UNAUTHENTICATED, like every page). */
  const inlineError = (into: HTMLElement, what: string, error: unknown) => {
    if (errorCode(error) === Code.Unauthenticated) {
      ctx.fail(error);
      return;
    }
    mount(into, h("p", { class: "error", role: "alert", testid: "compliance-error" }, `${what}: ${errorText(error)}`));
  };

  const showResults = (results: ComplianceSyncResult[]) => {
    if (results.length === 0) {
      mount(
        syncResult,
        h(
          "p",
          { class: "warning", role: "status", testid: "sync-none" },
          "No company was synced: none in scope has an AWS role (set one on the company's page).",
        ),
      );
      return;
    }
    const failed = results.filter((r) => !r.ok).length;
    if (failed === results.length && results.every((r) => isAwsNotConfigured(r.error))) {
      mount(syncResult, awsNotConfigured("Syncing compliance from AWS Systems Manager"));
      return;
    }
    mount(
      syncResult,
      h(
        "div",
        { class: failed ? "card sync-failed" : "card sync-ok", role: failed ? "alert" : "status" },
        h("strong", null, failed ? `Sync: ${failed} of ${results.length} failed` : `Synced ${results.length} compan${results.length === 1 ? "y" : "ies"}`),
        h(
          "ul",
          { class: "sync-results" },
          results.map((result) =>
            h(
              "li",
              { testid: "sync-result-row", "data-company-id": result.companyId, "data-ok": String(result.ok) },
              h("strong", null, ctx.companyName(result.companyId)),
              result.ok
                ? ` — ${result.instanceCount} instance${result.instanceCount === 1 ? "" : "s"} at ${formatTime(result.snapshotTime)}`
                : h("span", { class: "error" }, ` — failed: ${result.error}`),
            ),
          ),
        ),
      ),
    );
  };

  async function sync(): Promise<void> {
    syncButton.disabled = true;
    mount(syncResult, h("p", { class: "muted", role: "status" }, "Syncing from AWS Systems Manager…"));
    try {
      const answer = await ctx.client.compliance.syncCompliance({ companyId: scope });
      if (disposed) return;
      showResults(answer.results);
      await load();
    } catch (error) {
      if (disposed) return;
      if (errorCode(error) === Code.Unauthenticated) {
        ctx.fail(error);
        return;
      }
      mount(
        syncResult,
        isAwsNotConfigured(error)
          ? awsNotConfigured("Syncing compliance from AWS Systems Manager")
          : h(
              "p",
              { class: "error card", role: "alert", testid: "sync-error" },
              `Sync failed — ${errorText(error)}`,
              errorText(error).includes("no AWS role")
                ? [" ", h("a", { href: `#/companies/${encodeURIComponent(scope)}`, testid: "sync-set-role" }, "Set the AWS role on the company page")]
                : null,
            ),
      );
    } finally {
      syncButton.disabled = false;
    }
  }

  const load = scope ? () => loadCompany(scope) : loadAll;

  // ---- one company ----

  const trend = h("section", { "aria-labelledby": "compliance-trend-h" });
  const instances = h("section", { "aria-labelledby": "compliance-instances-h" });
  const csvStatus = h("span", { class: "csv-status", testid: "compliance-csv-status", "aria-live": "polite" });
  const csvButton = h(
    "button",
    { type: "button", class: "secondary", testid: "compliance-csv", onclick: () => void downloadCsv(scope) },
    "Download CSV",
  );
  let pageTokens: string[] = [""]; // the token of each page seen; the last is the current page
  let statusFilter = ComplianceStatus.UNSPECIFIED;

  async function downloadCsv(companyId: string, status: HTMLElement = csvStatus): Promise<void> {
    mount(status, "Preparing the CSV…");
    try {
      // The report authenticates with the operator token in the Authorization header, so a
      // plain link cannot fetch it: fetch it here and save the answer as a file.
      const response = await fetch(`/api/reports/compliance.csv?company_id=${encodeURIComponent(companyId)}`, {
        headers: { Authorization: `Bearer ${ctx.token}` },
      });
      if (!response.ok) {
        let message = response.statusText;
        try {
          const json = (await response.json()) as { error?: string; message?: string };
          message = `${(json.error ?? "").toUpperCase()}: ${json.message ?? ""}`;
        } catch {
          // not JSON: keep the status text
        }
        mount(status, h("span", { class: "error", role: "alert" }, `CSV: ${response.status} ${message}`));
        return;
      }
      offerDownload(await response.blob(), filenameOf(response, `compliance-${companyId}.csv`), status);
    } catch (error) {
      mount(status, h("span", { class: "error", role: "alert" }, `CSV: ${errorText(error)}`));
    }
  }

  async function loadCompany(companyId: string): Promise<void> {
    pageTokens = [""]; // a sync makes a new snapshot: back to its first page
    const end = Date.now();
    const start = end - TREND_DAYS * 86_400_000;
    const [summary, points] = await Promise.all([
      ctx.client.compliance.getComplianceSummary({ companyId }).then(
        (a) => a.companies.find((c) => c.companyId === companyId) ?? a.overall,
        (error: unknown) => {
          inlineError(cards, "Summary", error);
          return null;
        },
      ),
      ctx.client.compliance.getComplianceTrend({ companyId }).then(
        (a) => a.points,
        (error: unknown) => {
          inlineError(trend, "Trend", error);
          return null;
        },
      ),
    ]);
    if (disposed) return;
    const synced = !!summary?.snapshotId;
    if (summary !== null) {
      mount(cards, summaryCards(synced ? summary : undefined, false));
      cards.append(
        synced
          ? h("p", { class: "muted span-all", testid: "compliance-snapshot" }, "Latest sync: ", timeElement(summary?.snapshotTime))
          : h(
              "p",
              { class: "warning span-all", testid: "compliance-never-synced" },
              "This company was never synced: no compliance data yet. Sync now pulls it from AWS Systems Manager through the company's AWS role.",
            ),
      );
    }
    csvButton.disabled = !synced;
    if (!csvStatus.querySelector("a")) {
      mount(csvStatus, h("span", { class: "muted" }, synced ? "the latest sync, one row per instance" : "nothing to download before the first sync"));
    }
    if (points !== null) renderTrend(points, start, end);
    if (synced) {
      await loadInstances(companyId);
    } else {
      mount(
        instances,
        h("h2", { id: "compliance-instances-h" }, "Instances"),
        placeholder("No instances: the company was never synced.", "compliance-instances-empty"),
      );
    }
  }

  function renderTrend(points: CompliancePoint[], start: number, end: number): void {
    mount(
      trend,
      h("h2", { id: "compliance-trend-h" }, `Trend (last ${TREND_DAYS} days)`),
      points.length === 0
        ? placeholder(`No syncs in the last ${TREND_DAYS} days.`, "compliance-trend-empty")
        : h(
            "figure",
            { class: "chart card" },
            trendChart(
              "Compliance over the last 30 days",
              points.map((p) => ({
                time: timeMillis(p.time),
                pct: p.compliancePct,
                text: `${formatTime(p.time)}: ${formatPct(p.compliancePct)} (${p.compliantInstances} of ${p.totalInstances}), ${p.criticalPatchesMissing} critical missing`,
              })),
              start,
              end,
              "compliance-trend",
            ),
            h("figcaption", { class: "muted" }, "Compliance % of the latest sync of each day"),
          ),
    );
  }

  async function loadInstances(companyId: string): Promise<void> {
    const token = pageTokens[pageTokens.length - 1] ?? "";
    const statusSelect = h(
      "select",
      {
        testid: "compliance-filter-status",
        onchange: () => {
          statusFilter = Number(statusSelect.value);
          pageTokens = [""];
          void loadInstances(companyId);
        },
      },
      h("option", { value: String(ComplianceStatus.UNSPECIFIED) }, "Any"),
      h("option", { value: String(ComplianceStatus.NON_COMPLIANT) }, "Non-compliant"),
      h("option", { value: String(ComplianceStatus.COMPLIANT) }, "Compliant"),
      h("option", { value: String(ComplianceStatus.NO_DATA) }, "No data"),
    );
    statusSelect.value = String(statusFilter);
    const heading = h("h2", { id: "compliance-instances-h" }, "Instances");
    const filters = h("div", { class: "filters" }, field("Status", statusSelect));
    try {
      const answer = await ctx.client.compliance.listInstanceCompliance({
        companyId,
        pageSize: PAGE_SIZE,
        pageToken: token,
        status: statusFilter,
      });
      if (disposed) return;
      const pageNumber = pageTokens.length;
      const first = (pageNumber - 1) * PAGE_SIZE + 1;
      mount(
        instances,
        heading,
        filters,
        answer.instances.length === 0
          ? placeholder("No instances match.", "compliance-instances-empty")
          : h("div", { class: "table-wrap" }, instanceTable(answer.instances)),
        h(
          "div",
          { class: "pager", testid: "compliance-pager" },
          h(
            "button",
            {
              type: "button",
              class: "secondary",
              testid: "compliance-prev",
              disabled: pageTokens.length <= 1,
              onclick: () => {
                pageTokens.pop();
                void loadInstances(companyId);
              },
            },
            "Previous",
          ),
          h(
            "span",
            { class: "muted", testid: "compliance-page" },
            answer.instances.length === 0
              ? `Page ${pageNumber}`
              : `Page ${pageNumber} · instances ${first}–${first + answer.instances.length - 1}`,
          ),
          h(
            "button",
            {
              type: "button",
              class: "secondary",
              testid: "compliance-next",
              disabled: !answer.nextPageToken,
              onclick: () => {
                pageTokens.push(answer.nextPageToken);
                void loadInstances(companyId);
              },
            },
            "Next",
          ),
        ),
      );
    } catch (error) {
      if (disposed) return;
      mount(instances, heading);
      const box = h("div");
      instances.append(box);
      inlineError(box, "Instances", error);
    }
  }

  function instanceTable(rows: InstanceCompliance[]): HTMLElement {
    const heads = ["Instance", "Platform", "Status", "Missing", "Failed", "Critical", "Security", "Pending reboot", "Last operation", "Baseline"];
    const numeric = new Set(["Missing", "Failed", "Critical", "Security", "Pending reboot"]);
    return h(
      "table",
      { testid: "compliance-instances-table", class: "compliance-table" },
      h("thead", null, h("tr", null, heads.map((t) => h("th", { scope: "col", class: numeric.has(t) ? "num" : undefined }, t)))),
      h(
        "tbody",
        null,
        rows.map((row) =>
          h(
            "tr",
            { testid: "compliance-instance-row", "data-instance-id": row.instanceId },
            h("th", { scope: "row" }, h("code", null, row.instanceId), row.name ? h("div", { class: "muted" }, row.name) : null),
            h("td", null, [platformNames[row.platformType] ?? "—", row.platformName ? h("div", { class: "muted" }, row.platformName) : null]),
            h("td", null, complianceBadge(row.status)),
            h("td", { class: "num" }, String(row.missing)),
            h("td", { class: "num" }, String(row.failed)),
            h("td", { class: row.criticalNonCompliant > 0 ? "num error" : "num" }, String(row.criticalNonCompliant)),
            h("td", { class: "num" }, String(row.securityNonCompliant)),
            h("td", { class: "num" }, String(row.installedPendingReboot)),
            h(
              "td",
              null,
              row.operationEndTime ? [operationNames[row.operation] ?? "", shortTime(row.operationEndTime)] : "—",
            ),
            h("td", { class: "break" }, row.baselineId || "—", row.patchGroup ? h("div", { class: "muted" }, row.patchGroup) : null),
          ),
        ),
      ),
    );
  }

  // ---- all companies ----

  async function loadAll(): Promise<void> {
    let answer;
    try {
      answer = await ctx.client.compliance.getComplianceSummary({ companyId: "" });
    } catch (error) {
      if (!disposed) inlineError(cards, "Summary", error);
      return;
    }
    if (disposed) return;
    const overall = answer.overall;
    const synced = answer.companies.length;
    mount(cards, summaryCards(synced ? overall : undefined, false));
    cards.append(
      h(
        "p",
        { class: "muted span-all" },
        synced ? `Over the latest sync of ${synced} of ${ctx.companies().length} companies.` : "No company was synced yet.",
      ),
    );
    const byId = new Map(answer.companies.map((c) => [c.companyId, c]));
    mount(
      body,
      h("h2", { id: "compliance-companies-h" }, "Per company"),
      ctx.companies().length === 0
        ? placeholder("No companies yet. Create one on the Companies page.")
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { testid: "compliance-companies-table", "aria-labelledby": "compliance-companies-h" },
              h(
                "thead",
                null,
                h(
                  "tr",
                  null,
                  ["Company", "Compliance", "Compliant / total", "Critical missing", "Oldest result", "Latest sync", "CSV"].map((t, i) =>
                    h("th", { scope: "col", class: i >= 1 && i <= 4 ? "num" : undefined }, t),
                  ),
                ),
              ),
              h(
                "tbody",
                null,
                ctx.companies().map((company) => {
                  const s = byId.get(company.id);
                  const status = h("span", { class: "csv-status" });
                  return h(
                    "tr",
                    { testid: "compliance-company-row", "data-company-id": company.id },
                    h("th", { scope: "row" }, h("a", { href: "#/compliance", onclick: (e: Event) => { e.preventDefault(); ctx.setScope(company.id); } }, company.name)),
                    h("td", { class: "num" }, s && s.totalInstances > 0 ? formatPct(s.compliancePct) : "—"),
                    h("td", { class: "num" }, s ? `${s.compliantInstances} / ${s.totalInstances}` : "—"),
                    h("td", { class: "num" }, s ? String(s.criticalPatchesMissing) : "—"),
                    h("td", { class: "num" }, s?.oldestResultAge ? formatDuration(s.oldestResultAge) : "—"),
                    h("td", null, s ? timeElement(s.snapshotTime) : h("span", { class: "muted" }, "never synced")),
                    h(
                      "td",
                      null,
                      s
                        ? h(
                            "button",
                            {
                              type: "button",
                              class: "small secondary",
                              "aria-label": `Download the CSV of ${company.name}`,
                              onclick: () => void downloadCsv(company.id, status),
                            },
                            "CSV",
                          )
                        : "—",
                      status,
                    ),
                  );
                }),
              ),
            ),
          ),
    );
  }

  if (scope) {
    mount(
      body,
      h("div", { class: "inline csv" }, csvButton, csvStatus),
      trend,
      instances,
    );
    csvButton.disabled = true;
  }
  mount(cards, summaryCards(undefined, true));
  void load();

  return {
    element,
    dispose: () => {
      disposed = true;
    },
  };
}
