// The Session Manager part of an incident's page: "Start session" (instance id prefilled with
// the incident's asset, a required reason → RunbookService.StartSession; the answer's command
// line, copyable, and session id) and the incident's active sessions (ListSessions by incident)
// with Terminate (TerminateSession). Starting and terminating need a technician or admin token:
// for a viewer (GetCaller) the form is disabled with a note instead of failing on submit.
import { Code, OperatorRole, errorCode, errorText } from "../api.js";
import type { Incident, SsmSession } from "../api.js";
import type { Ctx } from "../context.js";
import { copyable, field, h, mount, remount } from "../dom.js";
import { awsNotConfigured, isAwsNotConfigured, placeholder } from "./common.js";
import { shortTime } from "./executions.js";

export interface IncidentSessions {
  /** The "Session Manager" card: the form and the active sessions (created once). */
  element: HTMLElement;
  /** The incident as just fetched: lists its sessions again; the first call prefills the instance. */
  setIncident(incident: Incident): void;
}

export function incidentSessions(ctx: Ctx, incidentId: string): IncidentSessions {
  let incident: Incident | undefined;
  let sessions: SsmSession[] = [];
  let listError = "";
  let listed = false;
  let busy = false;
  /** Whether the token may start and terminate sessions; undefined until GetCaller answers. */
  let allowed: boolean | undefined;

  const instance = h("input", {
    type: "text",
    name: "instance",
    testid: "session-instance",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "i-0123456789abcdef0",
    required: true,
  });
  const reason = h("input", {
    type: "text",
    name: "reason",
    testid: "session-reason",
    maxlength: "200",
    required: true,
    autocomplete: "off",
  });
  const submit = h("button", { type: "submit", testid: "session-start" }, "Start session");
  const note = h("p", { class: "hint", testid: "session-role-note" });
  const result = h("div", { class: "session-result", testid: "session-result", "aria-live": "polite" });
  const list = h("div", { testid: "sessions" });

  const showError = (error: unknown, what: string, testid: string): HTMLElement => {
    if (errorCode(error) === Code.Unauthenticated) ctx.fail(error);
    return isAwsNotConfigured(error)
      ? awsNotConfigured(`${what} (AWS Systems Manager Session Manager)`)
      : h("p", { class: "error", role: "alert", testid }, `${what}: ${errorText(error)}`);
  };

  const updateControls = () => {
    const off = allowed === false;
    instance.disabled = off;
    reason.disabled = off;
    submit.disabled = busy || allowed !== true;
    note.textContent = off ? "Starting and terminating sessions needs a technician or admin token; this one is a viewer's." : "";
  };
  updateControls();

  const start = async () => {
    if (!incident || busy || allowed !== true) return;
    const why = reason.value.trim();
    const target = instance.value.trim();
    if (!why || !target) return;
    busy = true;
    updateControls();
    mount(result, h("p", { class: "muted" }, "Starting…"));
    try {
      const answer = await ctx.client.runbooks.startSession({ incidentId, instanceId: target, reason: why });
      reason.value = "";
      mount(
        result,
        h(
          "div",
          { class: "ok", testid: "session-started", "data-session-id": answer.session?.sessionId ?? "" },
          h("p", null, "Session ", h("code", { testid: "session-id" }, answer.session?.sessionId ?? "?"), ` started (${answer.region}). Run with the company role's credentials:`),
          copyable(answer.commandLine, "session-command"),
        ),
      );
      ctx.notify("Session: started");
    } catch (error) {
      mount(result, showError(error, "Start session", "session-error"));
    } finally {
      busy = false;
      updateControls();
    }
    await reload();
  };

  const terminate = async (session: SsmSession) => {
    if (!incident || busy) return;
    busy = true;
    updateControls();
    renderList();
    try {
      await ctx.client.runbooks.terminateSession({ companyId: incident.companyId, sessionId: session.sessionId, reason: "terminated from the dashboard" });
      ctx.notify(`Session ${session.sessionId}: terminated`);
      mount(result);
    } catch (error) {
      mount(result, showError(error, "Terminate session", "session-error"));
    } finally {
      busy = false;
      updateControls();
    }
    await reload();
  };

  const renderList = () => {
    remount(
      list,
      h("h3", null, `Active sessions (${sessions.length})`),
      listError ? h("p", { class: "error", role: "alert", testid: "sessions-error" }, listError) : null,
      !listed && !listError
        ? placeholder("Loading…")
        : sessions.length === 0
          ? placeholder("No active session for this incident.", "sessions-empty")
          : h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { testid: "sessions-table" },
                h("thead", null, h("tr", null, ["Session", "Instance", "Status", "Started by", "Reason", "Started", ""].map((t) => h("th", { scope: "col" }, t)))),
                h(
                  "tbody",
                  null,
                  sessions.map((s) =>
                    h(
                      "tr",
                      { testid: "session-row", "data-session-id": s.sessionId },
                      h("td", { class: "break" }, h("code", null, s.sessionId)),
                      h("td", { class: "break" }, s.instanceId),
                      h("td", null, s.status || "—"),
                      h("td", null, s.startedBy || "—"),
                      h("td", { class: "break" }, s.reason || "—"),
                      h("td", null, shortTime(s.startTime)),
                      h(
                        "td",
                        null,
                        h(
                          "button",
                          { type: "button", class: "small", testid: "session-terminate", disabled: busy || allowed !== true, onclick: () => void terminate(s) },
                          "Terminate",
                        ),
                      ),
                    ),
                  ),
                ),
              ),
            ),
    );
  };
  renderList();

  let generation = 0;
  const reload = async () => {
    if (!incident) return;
    const mine = ++generation;
    try {
      const answer = await ctx.client.runbooks.listSessions({ companyId: incident.companyId, incidentId });
      if (mine !== generation) return;
      sessions = answer.sessions;
      listError = "";
    } catch (error) {
      if (mine !== generation) return;
      if (errorCode(error) === Code.Unauthenticated) ctx.fail(error);
      // Without AWS the list cannot be had; the form's answer says why, the list only that.
      listError = isAwsNotConfigured(error) ? "Sessions need AWS, which this server does not have." : `Cannot list the incident's sessions: ${errorText(error)}`;
    }
    listed = true;
    renderList();
  };

  const element = h(
    "section",
    { class: "card sessions", "aria-labelledby": "sessions-title", testid: "incident-sessions" },
    h("h2", { id: "sessions-title" }, "Session Manager"),
    h(
      "form",
      {
        onsubmit: (event: Event) => {
          event.preventDefault();
          void start();
        },
      },
      field("Instance id", instance, "The incident's asset or one of its alerts' assets (i-… or mi-…)"),
      field("Reason", reason, "Required, one line, at most 200 characters; on the timeline and in SSM"),
      note,
      h("div", { class: "inline" }, submit),
    ),
    result,
    list,
  );

  const setIncident = (next: Incident) => {
    const first = !incident;
    incident = next;
    void reload();
    if (!first) return;
    instance.value = next.asset;
    void ctx.caller().then(
      (me) => {
        const role = me.operatorToken?.role;
        allowed = role === OperatorRole.ADMIN || role === OperatorRole.TECHNICIAN;
        updateControls();
        renderList();
      },
      () => {
        // Unknown role: let the server decide (a viewer gets PERMISSION_DENIED shown).
        allowed = true;
        updateControls();
        renderList();
      },
    );
  };

  return { element, setIncident };
}
