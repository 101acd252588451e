// Small inline-SVG charts (no chart library): horizontal bars per company and a line over time.
// Colours come from app.css classes (the page's CSP allows no inline styles). Each chart is a
// <figure> whose SVG has role="img" and an aria-label that reads out every value.
import { h } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";

type SvgChild = SVGElement | string | null | undefined | false;

/** Creates an SVG element; `testid` becomes data-testid, other attributes are set as given. */
export function svg(tag: string, attrs: Record<string, string | number | undefined> = {}, ...children: SvgChild[]): SVGElement {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    element.setAttribute(key === "testid" ? "data-testid" : key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/** Rounds to 0.1 to keep the markup short and stable. */
const r = (n: number) => Math.round(n * 10) / 10;

/** Shortens from the middle, so that names differing only at the end stay apart. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

export interface Bar {
  /** Company id (data-company-id). */
  id: string;
  label: string;
  /** undefined: no value (drawn as an empty track with "—"). */
  value: number | undefined;
  /** The value as shown, e.g. "42.0 %" or "3 min". */
  text: string;
}

export interface BarChartOptions {
  title: string;
  /** One line under the title: what the figure measures. */
  hint: string;
  testid: string;
  bars: Bar[];
  /** The value of a full bar (100 for percentages; the largest value for durations). */
  max: number;
}

const BAR_W = 520;
const LABEL_W = 160;
const VALUE_W = 90;
const ROW_H = 24;

/** A horizontal bar chart, one row per company. */
export function barChart(options: BarChartOptions): HTMLElement {
  const { bars, max } = options;
  const track = BAR_W - LABEL_W - VALUE_W;
  const height = Math.max(1, bars.length) * ROW_H + 4;
  const label = `${options.title}: ${
    bars.length === 0 ? "no data" : bars.map((b) => `${b.label} ${b.text}`).join(", ")
  }`;
  const chart = svg(
    "svg",
    {
      class: "chart-svg",
      viewBox: `0 0 ${BAR_W} ${height}`,
      width: "100%",
      role: "img",
      "aria-label": label,
    },
    ...bars.map((bar, i) => {
      const y = i * ROW_H + 2;
      const width = bar.value === undefined || max <= 0 ? 0 : Math.max(0, Math.min(1, bar.value / max)) * track;
      return svg(
        "g",
        {
          testid: "chart-bar",
          "data-company-id": bar.id,
          "data-value": bar.value === undefined ? "" : String(r(bar.value)),
        },
        svg("title", {}, `${bar.label}: ${bar.text}`),
        svg("text", { class: "chart-label", x: 0, y: y + ROW_H / 2 + 4 }, truncate(bar.label, 22)),
        svg("rect", { class: "chart-track", x: LABEL_W, y: y + 3, width: track, height: ROW_H - 8, rx: 3 }),
        svg("rect", {
          class: bar.value === undefined ? "chart-bar empty" : "chart-bar",
          x: LABEL_W,
          y: y + 3,
          width: r(width),
          height: ROW_H - 8,
          rx: 3,
        }),
        svg(
          "text",
          { class: "chart-value", testid: "chart-bar-value", x: BAR_W, y: y + ROW_H / 2 + 4, "text-anchor": "end" },
          bar.text,
        ),
      );
    }),
  );
  return h(
    "figure",
    { class: "chart card", testid: options.testid },
    h("figcaption", null, h("strong", null, options.title), h("span", { class: "muted" }, ` · ${options.hint}`)),
    bars.length === 0 ? h("p", { class: "placeholder" }, "No data.") : chart,
  );
}

export interface TrendPoint {
  /** ms since epoch. */
  time: number;
  /** 0–100. */
  pct: number;
  /** Tooltip text of the point. */
  text: string;
}

const TREND_W = 1000;
const TREND_H = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 26 };

/** A line of percentages over [start, end], 0–100 % on the y axis. */
export function trendChart(title: string, points: TrendPoint[], start: number, end: number, testid: string): SVGElement {
  const plotW = TREND_W - PAD.left - PAD.right;
  const plotH = TREND_H - PAD.top - PAD.bottom;
  const span = Math.max(1, end - start);
  const x = (t: number) => r(PAD.left + ((Math.min(end, Math.max(start, t)) - start) / span) * plotW);
  const y = (pct: number) => r(PAD.top + (1 - Math.min(100, Math.max(0, pct)) / 100) * plotH);
  const day = (t: number) => new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  const first = points[0];
  const last = points[points.length - 1];
  const label =
    first && last
      ? `${title}: ${points.length} snapshot${points.length === 1 ? "" : "s"}, from ${first.pct.toFixed(1)} % on ${day(first.time)} to ${last.pct.toFixed(1)} % on ${day(last.time)}`
      : `${title}: no snapshots`;
  return svg(
    "svg",
    { class: "chart-svg trend", viewBox: `0 0 ${TREND_W} ${TREND_H}`, width: "100%", role: "img", "aria-label": label, testid },
    ...[0, 50, 100].map((pct) =>
      svg(
        "g",
        {},
        svg("line", { class: "chart-grid", x1: PAD.left, x2: TREND_W - PAD.right, y1: y(pct), y2: y(pct) }),
        svg("text", { class: "chart-axis", x: PAD.left - 6, y: y(pct) + 4, "text-anchor": "end" }, `${pct} %`),
      ),
    ),
    svg("text", { class: "chart-axis", x: PAD.left, y: TREND_H - 6 }, day(start)),
    svg("text", { class: "chart-axis", x: TREND_W - PAD.right, y: TREND_H - 6, "text-anchor": "end" }, day(end)),
    points.length > 1
      ? svg("polyline", { class: "chart-line", points: points.map((p) => `${x(p.time)},${y(p.pct)}`).join(" ") })
      : null,
    ...points.map((p) =>
      svg("circle", { class: "chart-point", testid: "trend-point", cx: x(p.time), cy: y(p.pct), r: 3.5 }, svg("title", {}, p.text)),
    ),
  );
}

export interface BucketSeries {
  /** Data attribute of each bucket's value (data-<key>), e.g. "alerts". */
  key: string;
  /** Legend name, e.g. "Alerts". */
  name: string;
  /** CSS class of the marks (colour). */
  class: string;
  /** Bars from 0, or a line through the measured buckets. */
  kind: "bar" | "line";
  /** One value per bucket; undefined: no data there (no bar, a gap in the line). */
  values: (number | undefined)[];
}

export interface BucketChartOptions {
  title: string;
  hint: string;
  testid: string;
  /** Start of each bucket (ms since epoch), oldest first. */
  times: number[];
  /** The axis label of a bucket start, e.g. "14:00" or "Dec 6". */
  tick: (time: number) => string;
  series: BucketSeries[];
  /** The top of the y axis (100 for percentages); the largest value when unset. */
  max?: number;
  /** A value as shown, e.g. "42.0 %" or "3 min". */
  format: (value: number) => string;
}

const BUCKET_W = 1000;
const BUCKET_H = 180;

/**
 * Values per time bucket (GetKpiTrend): bars and lines over the same buckets. A bucket without a
 * value draws nothing (a gap in a line), so "no data" never looks like 0. Each bucket is a
 * <g data-testid="trend-bucket" data-start data-<key>…> whose <title> reads out its values.
 */
export function bucketChart(options: BucketChartOptions): HTMLElement {
  const { times, series } = options;
  const n = times.length;
  const plotW = BUCKET_W - PAD.left - PAD.right;
  const plotH = BUCKET_H - PAD.top - PAD.bottom;
  const step = n > 0 ? plotW / n : plotW;
  const measured = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const max = options.max ?? Math.max(1, ...measured);
  const x = (i: number) => PAD.left + i * step;
  const y = (value: number) => r(PAD.top + (1 - Math.min(max, Math.max(0, value)) / max) * plotH);
  const bars = series.filter((s) => s.kind === "bar");
  const barW = bars.length > 0 ? (step * 0.8) / bars.length : 0;
  const lastMeasured = (() => {
    for (let i = n - 1; i >= 0; i--) if (series.some((s) => s.values[i] !== undefined)) return i;
    return -1;
  })();
  const label =
    lastMeasured < 0
      ? `${options.title}: no data`
      : `${options.title}: ${n} buckets; latest with data ${options.tick(times[lastMeasured] ?? 0)}: ${series
          .map((s) => {
            const v = s.values[lastMeasured];
            return `${s.name} ${v === undefined ? "no data" : options.format(v)}`;
          })
          .join(", ")}`;
  // Lines: one polyline per run of measured buckets; a lone point is a dot.
  const lines = series
    .filter((s) => s.kind === "line")
    .flatMap((s) => {
      const runs: number[][] = [];
      let run: number[] = [];
      s.values.forEach((v, i) => {
        if (v === undefined) {
          if (run.length > 0) runs.push(run);
          run = [];
        } else run.push(i);
      });
      if (run.length > 0) runs.push(run);
      return runs.map((indexes) =>
        indexes.length === 1
          ? svg("circle", { class: `chart-point ${s.class}`, cx: r(x((indexes[0] ?? 0) + 0.5)), cy: y(s.values[indexes[0] ?? 0] ?? 0), r: 3 })
          : svg("polyline", {
              class: `chart-line ${s.class}`,
              points: indexes.map((i) => `${r(x(i + 0.5))},${y(s.values[i] ?? 0)}`).join(" "),
            }),
      );
    });
  const tickEvery = Math.max(1, Math.ceil(n / 8));
  const chart = svg(
    "svg",
    { class: "chart-svg trend", viewBox: `0 0 ${BUCKET_W} ${BUCKET_H}`, width: "100%", role: "img", "aria-label": label },
    ...[0, 0.5, 1].map((f) =>
      svg(
        "g",
        {},
        svg("line", { class: "chart-grid", x1: PAD.left, x2: BUCKET_W - PAD.right, y1: y(max * f), y2: y(max * f) }),
        svg("text", { class: "chart-axis", x: PAD.left - 6, y: y(max * f) + 4, "text-anchor": "end" }, options.format(max * f)),
      ),
    ),
    ...times.map((time, i) =>
      i % tickEvery === 0
        ? svg("text", { class: "chart-axis", x: r(x(i + 0.5)), y: BUCKET_H - 6, "text-anchor": "middle" }, options.tick(time))
        : null,
    ),
    ...times.map((time, i) => {
      const attrs: Record<string, string | number> = { testid: "trend-bucket", "data-start": time };
      for (const s of series) {
        const v = s.values[i];
        attrs[`data-${s.key}`] = v === undefined ? "" : String(r(v));
      }
      const text = `${options.tick(time)}: ${series
        .map((s) => {
          const v = s.values[i];
          return `${s.name} ${v === undefined ? "no data" : options.format(v)}`;
        })
        .join(", ")}`;
      return svg(
        "g",
        attrs,
        svg("title", {}, text),
        // The whole column carries the tooltip.
        svg("rect", { class: "chart-hit", x: r(x(i)), y: PAD.top, width: r(step), height: plotH }),
        ...bars.map((s, b) => {
          const v = s.values[i];
          if (v === undefined || v <= 0) return null;
          return svg("rect", {
            class: `chart-bar ${s.class}`,
            x: r(x(i) + step * 0.1 + b * barW),
            y: y(v),
            width: r(Math.max(1, barW - 1)),
            height: r(PAD.top + plotH - y(v)),
          });
        }),
      );
    }),
    ...lines,
  );
  return h(
    "figure",
    { class: "chart card", testid: options.testid },
    h(
      "figcaption",
      null,
      h("strong", null, options.title),
      h("span", { class: "muted" }, ` · ${options.hint}`),
      h(
        "span",
        { class: "chart-legend" },
        series.map((s) => h("span", { class: `legend-item ${s.class}` }, s.name)),
      ),
    ),
    chart,
  );
}
