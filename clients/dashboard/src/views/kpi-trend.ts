// KPI trends of the overview (GetKpiTrend): alerts and incidents per bucket, noise reduction and
// MTTA/MTTR, for the last 24 hours by hour or the last 30 days by day. Fetched again after
// WatchIncidents events, at most every 5 s, so the latest bucket moves as alerts arrive.
import { KpiBucket, errorText, formatPct } from "../api.js";
import type { GetKpiTrendResponse, KpiTrendBucket } from "../api.js";
import type { Ctx } from "../context.js";
import { bucketChart } from "../charts.js";
import { h, mount } from "../dom.js";
import { placeholder } from "./common.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** At most one fetch per this many ms while events arrive. */
export const TREND_REFRESH_MS = 5000;

type Range = "hours" | "days";

const seconds = (d: KpiTrendBucket["mtta"]) => (d ? Number(d.seconds) + d.nanos / 1e9 : undefined);

function durationText(value: number): string {
  if (value < 10) return `${value.toFixed(1)} s`;
  if (value < 60) return `${Math.round(value)} s`;
  if (value < 3600) return `${Math.round(value / 60)} min`;
  if (value < 86400) return `${(value / 3600).toFixed(1)} h`;
  return `${(value / 86400).toFixed(1)} d`;
}

/** The trend panel of the companies `companyId` names (empty: every company in view). */
export function kpiTrendPanel(ctx: Ctx, companyId: string): { element: HTMLElement; refresh: () => void; dispose: () => void } {
  let range: Range = "hours";
  let trend: GetKpiTrendResponse | undefined;
  let error = "";
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastFetch = 0;
  let generation = 0;

  const body = h("div", { testid: "kpi-trend-body" });
  const toggle = h("span", { class: "trend-toggle", role: "group", "aria-label": "Trend range" });
  const element = h(
    "section",
    { "aria-labelledby": "kpi-trend-h", testid: "kpi-trend" },
    h("h2", { id: "kpi-trend-h" }, "Trends", toggle),
    body,
  );

  const renderToggle = () => {
    const button = (value: Range, text: string) =>
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          "aria-pressed": range === value ? "true" : "false",
          testid: `kpi-trend-${value}`,
          onclick: () => {
            if (range === value) return;
            range = value;
            trend = undefined;
            renderToggle();
            render();
            void load();
          },
        },
        text,
      );
    mount(toggle, button("hours", "24 h, hourly"), button("days", "30 days, daily"));
  };

  const render = () => {
    if (!trend) {
      mount(body, placeholder(error ? `Trends cannot be fetched right now. ${error}` : "Loading…", "kpi-trend-placeholder"));
      return;
    }
    const buckets = trend.buckets;
    const times = buckets.map((b) => Number(b.startTime?.seconds ?? 0n) * 1000);
    const tick =
      range === "hours"
        ? (t: number) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
        : (t: number) => new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
    const per = range === "hours" ? "per hour" : "per day (UTC)";
    // A bucket with neither alerts nor incidents has no data: no bar, not a bar of 0.
    const count = (pick: (b: KpiTrendBucket) => bigint) =>
      buckets.map((b) => (b.rawAlertCount === 0n && b.incidentCount === 0n ? undefined : Number(pick(b))));
    mount(
      body,
      error ? h("p", { class: "error", role: "alert", testid: "kpi-trend-error" }, error) : null,
      h(
        "div",
        { class: "charts" },
        bucketChart({
          title: "Alerts and incidents",
          hint: `${per}; incidents a technician handles (a storm counts once)`,
          testid: "trend-counts",
          times,
          tick,
          format: (v) => String(Math.round(v)),
          series: [
            { key: "alerts", name: "Alerts", class: "series-a", kind: "bar", values: count((b) => b.rawAlertCount) },
            { key: "incidents", name: "Incidents", class: "series-b", kind: "bar", values: count((b) => b.incidentCount) },
          ],
        }),
        bucketChart({
          title: "Noise reduction",
          hint: `${per}; gaps where no alert arrived`,
          testid: "trend-noise-reduction",
          times,
          tick,
          max: 100,
          format: (v) => formatPct(v),
          series: [{ key: "pct", name: "Noise reduction", class: "series-a", kind: "line", values: buckets.map((b) => b.noiseReductionPct) }],
        }),
        bucketChart({
          title: "MTTA and MTTR",
          hint: `${per}, of the incidents created then; gaps where none was acknowledged or resolved`,
          testid: "trend-durations",
          times,
          tick,
          format: durationText,
          series: [
            { key: "mtta", name: "MTTA", class: "series-a", kind: "line", values: buckets.map((b) => seconds(b.mtta)) },
            { key: "mttr", name: "MTTR", class: "series-b", kind: "line", values: buckets.map((b) => seconds(b.mttr)) },
          ],
        }),
      ),
    );
  };

  const load = async () => {
    const mine = ++generation;
    lastFetch = Date.now();
    // Whole hours (or UTC days) ending with the current one.
    const width = range === "hours" ? HOUR : DAY;
    const count = range === "hours" ? 24 : 30;
    const end = (Math.floor(Date.now() / width) + 1) * width;
    const start = end - count * width;
    const stamp = (ms: number) => ({ seconds: BigInt(Math.floor(ms / 1000)), nanos: 0 });
    try {
      const answer = await ctx.client.incidents.getKpiTrend({
        companyId,
        startTime: stamp(start),
        endTime: stamp(end),
        bucket: range === "hours" ? KpiBucket.HOUR : KpiBucket.DAY,
      });
      if (mine !== generation) return;
      trend = answer;
      error = "";
    } catch (failure) {
      if (mine !== generation) return;
      error = `Trends: ${errorText(failure)}`;
    }
    if (!disposed) render();
  };

  /** Fetches again soon: at once if the last fetch is 5 s old, else when it will be. */
  const refresh = () => {
    if (disposed || timer !== undefined) return;
    const wait = Math.max(0, lastFetch + TREND_REFRESH_MS - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      if (!disposed) void load();
    }, wait);
  };

  renderToggle();
  render();
  void load();
  return {
    element,
    refresh,
    dispose: () => {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
