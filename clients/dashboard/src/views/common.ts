// Pieces several views share.
import {
  Code,
  ConnectError,
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

/** What the server answers when it has no AWS region or credentials (FAILED_PRECONDITION). */
const AWS_NOT_CONFIGURED = "AWS is not configured on this server";

/** Whether `error` (an RPC failure or a per-company error text) says the server has no AWS. */
export function isAwsNotConfigured(error: unknown): boolean {
  if (typeof error === "string") return error.includes(AWS_NOT_CONFIGURED);
  return (
    error instanceof ConnectError && error.code === Code.FailedPrecondition && error.rawMessage.includes(AWS_NOT_CONFIGURED)
  );
}

/** A clear state instead of the raw error: `what` needs AWS, which this server does not have. */
export function awsNotConfigured(what: string): HTMLElement {
  return h(
    "div",
    { class: "card aws-missing", role: "alert", testid: "aws-not-configured" },
    h("h2", null, "AWS is not configured on this server"),
    h(
      "p",
      null,
      `${what} needs AWS, and this server was started without an AWS region and credentials. `,
      "An administrator sets ",
      h("code", null, "ALERT_WHISPERER_AWS_REGION"),
      " (aws_region) and base credentials, then restarts the server. Nothing is wrong with this company's settings.",
    ),
  );
}

/**
 * The latest state of each incident a stream sent in the last `ms` milliseconds. A list answer
 * can be older than events that arrived while it was on its way: views apply these again over
 * each answer (isNewer keeps whichever state is newer), so that no event is undone.
 */
export class RecentIncidents {
  private readonly entries = new Map<string, { incident: Incident; at: number }>();

  constructor(private readonly ms = 30_000) {}

  remember(incident: Incident): void {
    this.entries.set(incident.id, { incident, at: Date.now() });
    this.prune();
  }

  /** The states to apply again, oldest first. */
  all(): Incident[] {
    this.prune();
    return [...this.entries.values()].map((e) => e.incident);
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, entry] of this.entries) if (now - entry.at > this.ms) this.entries.delete(id);
  }
}
