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
import type { AlertWhispererClient, Company, GetCallerResponse } from "./api.js";
import { INCIDENT_QUERY_KEY } from "./context.js";
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

/** The route of the hash: `#/<section>/<id>?<params>`. */
function parseRoute(): { section: string; id: string; params: URLSearchParams } {
  const hash = window.location.hash || "#/overview";
  const [path, query = ""] = hash.split("?", 2);
  const [, section = "overview", id] = path.split("/");
  return { section: section || "overview", id: id ? decodeURIComponent(id) : "", params: new URLSearchParams(query) };
}

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

  let caller: Promise<GetCallerResponse> | undefined;
  const ctx: Ctx = {
    client,
    token,
    feed,
    executionFeed,
    caller: () => {
      caller ??= client.tenants.getCaller({}).catch((error: unknown) => {
        caller = undefined;
        throw error;
      });
      return caller;
    },
    companies: () => companies,
    companyName: (id) => companies.find((c) => c.id === id)?.name ?? id,
    scope: () => scope,
    scopeIds: () => (scope ? [scope] : companies.map((c) => c.id)),
    setScope: (id) => {
      if (id === scope) return;
      const { section, id: pageId, params } = parseRoute();
      if (section === "companies" && pageId) {
        // The selector follows the company page: another choice opens that company's page (or
        // the list, for all companies), which selects it in turn.
        if (!id) adoptScope("");
        window.location.hash = id ? `#/companies/${encodeURIComponent(id)}` : "#/companies";
        return;
      }
      adoptScope(id);
      if (section === "incidents" && !pageId) {
        // The incident list keeps its company in the URL (bookmarkable): change it there too.
        if (id) params.set("company", id);
        else params.delete("company");
        history.replaceState(null, "", `#/incidents?${params.toString()}`);
      }
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

  /** Makes `id` the selected company without rendering again. */
  function adoptScope(id: string): void {
    scope = id;
    sessionStorage.setItem(SCOPE_KEY, id);
    select.value = id;
  }

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
      { id: "main-menu" },
      links.map(([href, label]) =>
        h("li", null, h("a", { href, testid: `nav-${label.toLowerCase()}` }, label)),
      ),
    ),
  );
  // On a narrow screen the navigation collapses behind this button (app.css hides it elsewhere).
  const topbar = h("header", { class: "topbar" });
  const menuButton = h(
    "button",
    {
      type: "button",
      class: "secondary menu-toggle",
      "aria-controls": "main-menu",
      "aria-expanded": "false",
      testid: "menu-toggle",
      onclick: () => setMenu(!topbar.classList.contains("menu-open")),
    },
    "Menu",
  );
  const setMenu = (open: boolean) => {
    topbar.classList.toggle("menu-open", open);
    menuButton.setAttribute("aria-expanded", String(open));
  };
  nav.addEventListener("click", (event) => {
    if ((event.target as Element).closest("a")) setMenu(false);
  });
  // Esc closes the open menu (dialogs close themselves).
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && topbar.classList.contains("menu-open")) {
      setMenu(false);
      menuButton.focus();
    }
  });

  const signOutButton = h("button", { type: "button", class: "secondary", testid: "sign-out", onclick: () => signOut() }, "Sign out");
  mount(
    topbar,
    h("a", { class: "brand", href: "#/overview" }, "Alert Whisperer"),
    menuButton,
    nav,
    h("div", { class: "scope" }, h("label", { for: "company-select" }, "Company"), select),
    live,
    signOutButton,
  );
  // Who is signed in, on the button's tooltip (the header has no room for it on a phone).
  void ctx.caller().then(
    (me) => {
      const technician = me.technician ? `, technician ${me.technician.name}` : "";
      signOutButton.title = `Signed in as ${me.operatorToken?.name ?? "?"}${technician}`;
    },
    () => undefined,
  );
  mount(
    root,
    skip,
    topbar,
    banner,
    notices,
    main,
  );

  const lookedUp = new Set<string>();
  function render(): void {
    if (stopped) return;
    view?.dispose();
    pinned = undefined;
    const route = parseRoute();
    const { section, id: decoded } = route;
    let params = route.params;
    if (section === "incidents" && !decoded && !window.location.hash.includes("?")) {
      // The list's last filters of this tab (its company is the selector's).
      params = new URLSearchParams(sessionStorage.getItem(INCIDENT_QUERY_KEY) ?? "");
      params.delete("company");
      if (scope) params.set("company", scope);
      history.replaceState(null, "", `#/incidents?${params.toString()}`);
    }
    // The selector follows the company the page is about.
    const routeCompany =
      section === "companies" && decoded
        ? decoded
        : section === "incidents" && !decoded
          ? (params.get("company") ?? "")
          : undefined;
    if (routeCompany !== undefined && routeCompany !== scope) {
      if (!routeCompany || companies.some((c) => c.id === routeCompany)) {
        adoptScope(routeCompany);
      } else if (!lookedUp.has(routeCompany)) {
        // A company made since the list was read (e.g. a link from elsewhere): read it again.
        lookedUp.add(routeCompany);
        void ctx.refreshCompanies().then(() => {
          if (companies.some((c) => c.id === routeCompany)) render();
        }, () => undefined);
      }
    }
    for (const a of nav.querySelectorAll("a")) {
      const current = a.getAttribute("href") === `#/${section}`;
      if (current) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    let next: View;
    if (section === "incidents" && decoded) next = incidentView(ctx, decoded);
    else if (section === "incidents") next = incidentsView(ctx, params);
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
