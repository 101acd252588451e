// The grpc-web clients (the generated TypeScript client in clients/typescript) and the session.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";

import {
  IncidentStatus,
  Priority,
  Severity,
  createClient,
} from "../../typescript/src/index.js";
import type { AlertWhispererClient, Company } from "../../typescript/src/index.js";

export * from "../../typescript/src/index.js";
export { Code, ConnectError };

const TOKEN_KEY = "alertwhisperer.token";

/** The operator token of this tab (sessionStorage: gone when the tab closes). */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Clients over grpc-web to the server that served the page, with the operator token. */
export function clientFor(token: string): AlertWhispererClient {
  return createClient(window.location.origin, token);
}

/** A readable one-line description of an RPC failure. */
export function errorText(error: unknown): string {
  if (error instanceof ConnectError) {
    const name = Code[error.code] ?? String(error.code);
    const code = name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
    const hint =
      error.code === Code.Unimplemented
        ? " (this server does not implement it yet)"
        : error.code === Code.Unavailable
          ? " (is the server running?)"
          : "";
    return `${code}: ${error.rawMessage || "no message"}${hint}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function errorCode(error: unknown): Code | undefined {
  return error instanceof ConnectError ? error.code : undefined;
}

// ---- formatting ----

export const priorityNames: Record<number, string> = {
  [Priority.P1]: "P1",
  [Priority.P2]: "P2",
  [Priority.P3]: "P3",
  [Priority.P4]: "P4",
};

export const statusNames: Record<number, string> = {
  [IncidentStatus.OPEN]: "open",
  [IncidentStatus.ACKNOWLEDGED]: "acknowledged",
  [IncidentStatus.RESOLVED]: "resolved",
};

export const severityNames: Record<number, string> = {
  [Severity.INFO]: "info",
  [Severity.LOW]: "low",
  [Severity.MEDIUM]: "medium",
  [Severity.HIGH]: "high",
  [Severity.CRITICAL]: "critical",
};

export function formatTime(ts: Timestamp | undefined): string {
  if (!ts) return "—";
  return timestampDate(ts).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "medium",
  });
}

export function isoTime(ts: Timestamp | undefined): string | undefined {
  return ts ? timestampDate(ts).toISOString() : undefined;
}

export function timeMillis(ts: Timestamp | undefined): number {
  return ts ? timestampDate(ts).getTime() : 0;
}

/** "1 h 23 min", "45 s"; "—" when unset. */
export function formatDuration(duration: Duration | undefined): string {
  if (!duration) return "—";
  let seconds = Number(duration.seconds) + duration.nanos / 1e9;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.round(seconds / 60);
  const parts = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes || parts.length === 0) parts.push(`${minutes} min`);
  return parts.join(" ");
}

export function formatPct(value: number): string {
  return `${value.toFixed(1)} %`;
}

/** All pages of a paged list, up to `maxPages`. */
export async function allPages<T>(
  fetchPage: (pageToken: string) => Promise<{ items: T[]; next: string }>,
  maxPages = 20,
): Promise<T[]> {
  const items: T[] = [];
  let token = "";
  for (let page = 0; page < maxPages; page++) {
    const answer = await fetchPage(token);
    items.push(...answer.items);
    if (!answer.next) break;
    token = answer.next;
  }
  return items;
}

export async function listAllCompanies(client: AlertWhispererClient): Promise<Company[]> {
  return allPages(async (pageToken) => {
    const answer = await client.tenants.listCompanies({ pageSize: 500, pageToken });
    return { items: answer.companies, next: answer.nextPageToken };
  });
}
