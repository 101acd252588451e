// What every view gets from the shell.
import type { AlertWhispererClient, Company, GetCallerResponse } from "./api.js";
import type { ExecutionFeed, LiveFeed } from "./live.js";

export interface Ctx {
  client: AlertWhispererClient;
  /** The operator token (for the plain-HTTP routes, e.g. the CSV report). */
  token: string;
  /** WatchIncidents streams: open while the view is an incidents view (the default). */
  feed: LiveFeed;
  /** WatchExecutions streams: open while the view says `streams: "executions"`. */
  executionFeed: ExecutionFeed;
  /**
   * Who the token is (GetCaller): its name, role, companies and the technician it is linked to.
   * Asked once per sign-in; a failure is answered again on the next call.
   */
  caller(): Promise<GetCallerResponse>;
  /** Companies the token can see, oldest first. */
  companies(): Company[];
  companyName(id: string): string;
  /** The selected company id; "" for all companies. */
  scope(): string;
  /** Ids of the companies in scope. */
  scopeIds(): string[];
  setScope(companyId: string): void;
  /** Keeps a company's stream open while a view needs it (e.g. an incident's or execution's page). */
  pinStream(companyId: string | undefined): void;
  refreshCompanies(): Promise<void>;
  notify(message: string): void;
  /** Shows an RPC failure (and signs out on UNAUTHENTICATED). */
  fail(error: unknown, what?: string): void;
}

export interface View {
  element: HTMLElement;
  /**
   * Which feed the view follows for the companies in scope (and the pinned one): incident
   * events (the default) or execution events. Only one kind is open at a time, so that the
   * streams stay within the few HTTP/1.1 connections a browser allows per origin.
   */
  streams?: "incidents" | "executions";
  /** Stops the view's subscriptions. */
  dispose(): void;
}

/** The incident list's last query (filters, sort) in this tab, restored by the navigation link. */
export const INCIDENT_QUERY_KEY = "alertwhisperer.incident-query";
