// What every view gets from the shell.
import type { AlertWhispererClient, Company } from "./api.js";
import type { LiveFeed } from "./live.js";

export interface Ctx {
  client: AlertWhispererClient;
  /** The operator token (for the plain-HTTP routes, e.g. the CSV report). */
  token: string;
  feed: LiveFeed;
  /** Companies the token can see, oldest first. */
  companies(): Company[];
  companyName(id: string): string;
  /** The selected company id; "" for all companies. */
  scope(): string;
  /** Ids of the companies in scope. */
  scopeIds(): string[];
  setScope(companyId: string): void;
  /** Keeps a company's stream open while a view needs it (e.g. an incident's page). */
  pinStream(companyId: string | undefined): void;
  refreshCompanies(): Promise<void>;
  notify(message: string): void;
  /** Shows an RPC failure (and signs out on UNAUTHENTICATED). */
  fail(error: unknown, what?: string): void;
}

export interface View {
  element: HTMLElement;
  /** Stops the view's subscriptions. */
  dispose(): void;
}
