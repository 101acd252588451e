// The dashboard shell: sign-in, header (navigation, company selector, live status), routing.
import {
  Code,
  clientFor,
  errorCode,
  errorText,
  listAllCompanies,
  storeToken,
  storedToken,
} from "./api.js";
import type { AlertWhispererClient, Company } from "./api.js";
import type { Ctx, View } from "./context.js";
import { h, mount } from "./dom.js";
import { ExecutionFeed, LiveFeed } from "./live.js";
import type { StreamStatus } from "./live.js";
import { companiesView } from "./views/companies.js";
import { companyView } from "./views/company.js";
import { complianceView } from "./views/compliance.js";
import { executionView, executionsView } from "./views/executions.js";
import { incidentView } from "./views/incident.js";
import { incidentsView } from "./views/incidents.js";
import { overviewView } from "./views/overview.js";

const SCOPE_KEY = "alertwhisperer.company";
/**
 * Browsers open at most 6 HTTP/1.1 connections per origin and each grpc-web stream holds one,
 * so over plain http at most this many company streams are open at once (leaving room for
 * calls). Over https the connection is HTTP/2 and every company gets its stream.
 */
const HTTP1_MAX_STREAMS = 4;

const root = document.getElementById("app") as HTMLElement;

function signInPage(message = ""): void {
  document.title = "Sign in · Alert Whisperer";
  const input = h("input", {
    type: "password",
    id: "token",
    name: "token",
    autocomplete: "current-password",
    required: true,
    spellcheck: "false",
    placeholder: "awo_…",
    testid: "token-input",
  });
  const error = h("p", { class: "error", role: "alert", testid: "sign-in-error" }, message);
  const button = h("button", { type: "submit", testid: "sign-in" }, "Sign in");
  const form = h(
    "form",
    {
      class: "signin card",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        button.disabled = true;
        error.textContent = "";
        try {
          const client = clientFor(token);
          const companies = await listAllCompanies(client);
          storeToken(token);
          startApp(client, token, companies);
        } catch (e) {
          error.textContent =
            errorCode(e) === Code.Unauthenticated
              ? "This token was not accepted. Check it and try again."
              : errorText(e);
          button.disabled = false;
        }
      },
    },
    h("h1", null, "Alert Whisperer"),
    h(
      "p",
      null,
      "Sign in with an operator token. The admin token is printed once when the server first starts; ",
      "more can be made with ",
      h("code", null, "alert-whisperer admin create-token"),
      ".",
    ),
    h("label", { for: "token" }, "Operator token"),
    input,
    button,
    error,
    h("p", { class: "hint" }, "The token is kept in this tab's session storage only."),
  );
  mount(root, h("main", { id: "main", class: "signin-page" }, form));
  input.focus();
}

function startApp(client: AlertWhispererClient, token: string, initialCompanies: Company[]): void {
  let companies = initialCompanies;
  let scope = sessionStorage.getItem(SCOPE_KEY) ?? "";
  if (scope && !companies.some((c) => c.id === scope)) scope = "";
  let pinned: string | undefined;
  let view: View | undefined;
  let stopped = false;
  const feed = new LiveFeed(client);
  const executionFeed = new ExecutionFeed(client);

  const nav = h("nav", { "aria-label": "Main" });
  const select = h("select", { id: "company-select", testid: "company-select" });
  const live = h("span", { class: "live", testid: "live-status", role: "status" });
  const notices = h("div", { class: "notices", testid: "notices" });
  const banner = h("p", { class: "banner", hidden: true, testid: "stream-banner" });
  const main = h("main", { id: "main", tabindex: "-1" });
  const skip = h("a", { class: "skip-link", href: "#main" }, "Skip to content");
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });

  const signOut = (message = "") => {
    if (stopped) return;
    stopped = true;
    view?.dispose();
    feed.stop();
    executionFeed.stop();
    storeToken(null);
    window.removeEventListener("hashchange", route);
    signInPage(message);
  };

  const notice = (text: string, kind: "info" | "error") => {
    const item = h(
      "div",
      { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status", testid: "notice" },
      h("span", null, text),
      h(
        "button",
        {
          type: "button",
          class: "link",
          "aria-label": "Dismiss",
          onclick: () => item.remove(),
        },
        "×",
      ),
    );
    notices.append(item);
    setTimeout(() => item.remove(), kind === "error" ? 15_000 : 6_000);
  };

  const streamIds = (): string[] => {
    let ids = scope ? [scope] : companies.map((c) => c.id);
    // The pinned company first, so that the cap below never leaves it out.
    if (pinned) ids = [pinned, ...ids.filter((id) => id !== pinned)];
    const cap = window.location.protocol === "http:" ? HTTP1_MAX_STREAMS : Infinity;
    if (ids.length > cap) {
      banner.hidden = false;
      banner.textContent =
        `Live updates follow ${cap} of ${ids.length} companies: browsers allow few ` +
        "connections over plain HTTP. Pick a company above, or serve the dashboard over HTTPS.";
    } else {
      banner.hidden = true;
    }
    return ids.slice(0, cap);
  };

  /** Opens the streams of the kind the current view follows, and closes the other kind's. */
  const watchStreams = () => {
    const ids = streamIds();
    if (view?.streams === "executions") {
      feed.watch([]);
      executionFeed.watch(ids);
    } else {
      executionFeed.watch([]);
      feed.watch(ids);
    }
  };

  const ctx: Ctx = {
    client,
    token,
    feed,
    executionFeed,
    companies: () => companies,
    companyName: (id) => companies.find((c) => c.id === id)?.name ?? id,
    scope: () => scope,
    scopeIds: () => (scope ? [scope] : companies.map((c) => c.id)),
    setScope: (id) => {
      if (id === scope) return;
      scope = id;
      sessionStorage.setItem(SCOPE_KEY, id);
      select.value = id;
      render();
    },
    pinStream: (id) => {
      pinned = id;
      watchStreams();
    },
    refreshCompanies: async () => {
      companies = await listAllCompanies(client);
      fillSelect();
      watchStreams();
    },
    notify: (text) => notice(text, "info"),
    fail: (error, what) => {
      if (errorCode(error) === Code.Unauthenticated) {
        signOut("The server refused the token (revoked or expired?). Sign in again.");
        return;
      }
      notice(what ? `${what}: ${errorText(error)}` : errorText(error), "error");
    },
  };

  function fillSelect(): void {
    mount(
      select,
      h("option", { value: "" }, "All companies"),
      companies.map((c) => h("option", { value: c.id }, c.name)),
    );
    select.value = scope;
  }
  select.addEventListener("change", () => ctx.setScope(select.value));
  fillSelect();

  const showStatus = () => {
    // Only one kind of feed has streams at a time (see watchStreams).
    const kind = executionFeed.statuses().length > 0 ? "executions" : "incidents";
    const statuses: StreamStatus[] = kind === "executions" ? executionFeed.statuses() : feed.statuses();
    let text: string;
    let state: string;
    if (statuses.length === 0) {
      text = "No live feed";
      state = "idle";
    } else if (statuses.every((s) => s.state === "live")) {
      text = "Live";
      state = "live";
    } else if (statuses.some((s) => s.state === "unavailable") && !statuses.some((s) => s.state === "live")) {
      text = "Live updates unavailable";
      state = "unavailable";
    } else {
      text = "Reconnecting…";
      state = "reconnecting";
    }
    live.textContent = text;
    live.dataset.state = state;
    live.title = statuses
      .map((s) => `${ctx.companyName(s.companyId)} (${kind}): ${s.state}${s.lastError ? ` (${s.lastError})` : ""}`)
      .join("\n");
  };
  for (const f of [feed, executionFeed] as const) {
    f.subscribe({
      status: showStatus,
      unauthenticated: () => signOut("The server refused the token. Sign in again."),
    });
  }
  showStatus();

  const links: Array<[string, string]> = [
    ["#/overview", "Overview"],
    ["#/incidents", "Incidents"],
    ["#/companies", "Companies"],
    ["#/executions", "Executions"],
    ["#/compliance", "Compliance"],
  ];
  mount(
    nav,
    h(
      "ul",
      null,
      links.map(([href, label]) =>
        h("li", null, h("a", { href, testid: `nav-${label.toLowerCase()}` }, label)),
      ),
    ),
  );

  mount(
    root,
    skip,
    h(
      "header",
      { class: "topbar" },
      h("a", { class: "brand", href: "#/overview" }, "Alert Whisperer"),
      nav,
      h("div", { class: "scope" }, h("label", { for: "company-select" }, "Company"), select),
      live,
      h("button", { type: "button", class: "secondary", testid: "sign-out", onclick: () => signOut() }, "Sign out"),
    ),
    banner,
    notices,
    main,
  );

  function render(): void {
    if (stopped) return;
    view?.dispose();
    pinned = undefined;
    const hash = window.location.hash || "#/overview";
    const [, section = "overview", id] = hash.split("/");
    for (const a of nav.querySelectorAll("a")) {
      const current = a.getAttribute("href") === `#/${section}`;
      if (current) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const decoded = id ? decodeURIComponent(id) : "";
    let next: View;
    if (section === "incidents" && decoded) next = incidentView(ctx, decoded);
    else if (section === "incidents") next = incidentsView(ctx);
    else if (section === "companies" && decoded) next = companyView(ctx, decoded);
    else if (section === "companies") next = companiesView(ctx);
    else if (section === "executions" && decoded) next = executionView(ctx, decoded);
    else if (section === "executions") next = executionsView(ctx);
    else if (section === "compliance") next = complianceView(ctx);
    else next = overviewView(ctx);
    view = next;
    watchStreams();
    mount(main, next.element);
    const heading = main.querySelector("h1");
    document.title = `${heading?.textContent ?? "Dashboard"} · Alert Whisperer`;
  }
  function route(): void {
    render();
    main.focus({ preventScroll: false });
  }
  window.addEventListener("hashchange", route);
  render();
}

async function boot(): Promise<void> {
  const token = storedToken();
  if (!token) {
    signInPage();
    return;
  }
  const client = clientFor(token);
  try {
    startApp(client, token, await listAllCompanies(client));
  } catch (e) {
    if (errorCode(e) === Code.Unauthenticated) {
      storeToken(null);
      signInPage("The server refused the stored token. Sign in again.");
    } else {
      signInPage(`Cannot reach the server: ${errorText(e)}`);
    }
  }
}

void boot();
