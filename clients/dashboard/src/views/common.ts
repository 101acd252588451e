// Pieces several views share.
import {
  IncidentStatus,
  Priority,
  formatTime,
  isoTime,
  priorityNames,
  severityNames,
  statusNames,
  timeMillis,
} from "../api.js";
import type { Incident } from "../api.js";
import { h } from "../dom.js";

export function priorityBadge(priority: Priority): HTMLElement {
  const name = priorityNames[priority] ?? "—";
  return h("span", { class: `badge prio-${name.toLowerCase()}`, testid: "incident-priority" }, name);
}

export function statusBadge(status: IncidentStatus): HTMLElement {
  const name = statusNames[status] ?? "unknown";
  return h("span", { class: `badge status-${name}`, testid: "incident-status" }, name);
}

export function severityText(severity: number): string {
  return severityNames[severity] ?? "—";
}

export function timeElement(ts: Incident["updateTime"]): HTMLElement {
  return h("time", { datetime: isoTime(ts) }, formatTime(ts));
}

export function isActive(incident: Incident): boolean {
  return incident.status !== IncidentStatus.RESOLVED;
}

export function isHighPriority(incident: Incident): boolean {
  return incident.priority === Priority.P1 || incident.priority === Priority.P2;
}

/** Whether `next` is at least as new as `current` (events may replay states older than a list). */
export function isNewer(next: Incident, current: Incident | undefined): boolean {
  return !current || timeMillis(next.updateTime) >= timeMillis(current.updateTime);
}

export function pageHeader(title: string, ...extra: (Node | string | null)[]): HTMLElement {
  return h("div", { class: "page-header" }, h("h1", null, title), ...extra);
}

/** A placeholder row/paragraph for loading, empty and failed states. */
export function placeholder(text: string, testid = "placeholder"): HTMLElement {
  return h("p", { class: "placeholder", testid }, text);
}
