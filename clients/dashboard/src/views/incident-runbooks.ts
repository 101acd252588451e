// The runbook part of an incident's page: "Run runbook" (a runbook of the incident's company or
// a built-in one, inputs generated from its parameters with the defaults filled in, target
// instance ids prefilled with the incident's asset, an optional comment → ExecuteRunbook with
// the incident) and the incident's executions (ListExecutions by incident). The incident page
// lists them again whenever it reloads the incident: its timeline gets an entry (and so a
// WatchIncidents event) when a run is requested, sent, and when it ends.
import { Code, RunbookParameterType, allPages, errorCode, errorText } from "../api.js";
import type { Execution, Incident, Runbook, RunbookParameter } from "../api.js";
import type { Ctx } from "../context.js";
import { field, h, mount, remount } from "../dom.js";
import { awsNotConfigured, isAwsNotConfigured, placeholder } from "./common.js";
import { actorElement, commandIdElement, executionLink, executionStatusBadge, shortTime, targetsText } from "./executions.js";

const typeHints: Record<number, string> = {
  [RunbookParameterType.STRING]: "text",
  [RunbookParameterType.INTEGER]: "a whole number",
  [RunbookParameterType.BOOLEAN]: "true or false",
  [RunbookParameterType.STRING_LIST]: 'a JSON array, e.g. ["nginx","php-fpm"]',
};

export interface IncidentRunbooks {
  /** The "Run runbook" card (created once; its inputs keep what was typed across renders). */
  form: HTMLElement;
  /** The incident's executions. */
  list: HTMLElement;
  /**
   * The incident as just fetched: lists its executions again; the first call also loads the
   * company's runbooks and prefills the target with the incident's asset.
   */
  setIncident(incident: Incident): void;
  /** Lists the incident's executions again. */
  reload(): Promise<void>;
}

export function incidentRunbooks(ctx: Ctx, incidentId: string): IncidentRunbooks {
  let incident: Incident | undefined;
  let runbooks: Runbook[] = [];
  let runbooksError = "";
  let executions: Execution[] = [];
  let listError = "";
  let listed = false;
  let busy = false;

  const runbookSelect = h("select", { testid: "runbook-select", name: "runbook" });
  const description = h("p", { class: "hint", testid: "runbook-description" });
  const parameterFields = h("div", { class: "runbook-params", testid: "runbook-params" });
  const target = h("input", {
    type: "text",
    name: "target",
    testid: "runbook-target",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "i-0123456789abcdef0",
  });
  const comment = h("textarea", { rows: "2", maxlength: "4096", testid: "runbook-comment", name: "comment" });
  const submit = h("button", { type: "submit", testid: "runbook-run", disabled: true }, "Run runbook");
  const result = h("div", { class: "runbook-result", testid: "runbook-result", "aria-live": "polite" });
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();

  const chosen = (): Runbook | undefined => runbooks.find((r) => r.id === runbookSelect.value);

  const parameterInput = (parameter: RunbookParameter): HTMLInputElement | HTMLSelectElement => {
    const attrs = { name: `param-${parameter.name}`, testid: `runbook-param-${parameter.name}`, "data-param": parameter.name };
    const choices =
      parameter.allowedValues.length > 0
        ? parameter.allowedValues
        : parameter.type === RunbookParameterType.BOOLEAN
          ? ["true", "false"]
          : undefined;
    if (choices) {
      const select = h(
        "select",
        attrs,
        h("option", { value: "" }, parameter.defaultValue ? `default (${parameter.defaultValue})` : "—"),
        choices.map((value) => h("option", { value }, value)),
      );
      select.value = parameter.defaultValue;
      return select;
    }
    return h("input", {
      ...attrs,
      type: "text",
      value: parameter.defaultValue,
      spellcheck: "false",
      inputmode: parameter.type === RunbookParameterType.INTEGER ? "numeric" : undefined,
      "aria-required": parameter.required && !parameter.defaultValue ? "true" : undefined,
    });
  };

  const showRunbook = () => {
    const runbook = chosen();
    inputs.clear();
    submit.disabled = busy || !runbook;
    if (!runbook) {
      description.textContent = runbooks.length > 0 ? "Choose a runbook to see its parameters." : "";
      mount(parameterFields);
      return;
    }
    description.textContent =
      `${runbook.description || runbook.name} (SSM document ${runbook.documentName}` +
      `${runbook.targets && (runbook.targets.instanceIds.length > 0 || runbook.targets.tags.length > 0) ? `; default targets ${targetsText(runbook.targets)}` : ""})`;
    mount(
      parameterFields,
      runbook.parameters.length === 0
        ? h("p", { class: "hint" }, "This runbook takes no parameters.")
        : runbook.parameters.map((parameter) => {
            const input = parameterInput(parameter);
            inputs.set(parameter.name, input);
            const hint = [
              parameter.description,
              typeHints[parameter.type],
              parameter.allowedPattern ? `pattern ${parameter.allowedPattern}` : "",
              parameter.required && !parameter.defaultValue ? "required" : parameter.defaultValue ? "empty: the default" : "optional",
            ]
              .filter((part) => part)
              .join(" · ");
            return field(parameter.name, input, hint);
          }),
    );
  };
  runbookSelect.addEventListener("change", () => {
    mount(result);
    showRunbook();
  });

  const fillRunbooks = () => {
    const previous = runbookSelect.value;
    mount(
      runbookSelect,
      h("option", { value: "" }, runbooks.length > 0 ? "Choose a runbook…" : runbooksError ? "Runbooks unavailable" : "Loading…"),
      runbooks.map((r) => h("option", { value: r.id }, r.builtIn ? `${r.name} (built-in)` : r.name)),
    );
    runbookSelect.value = previous;
    if (runbookSelect.value !== previous) runbookSelect.value = "";
    showRunbook();
    if (runbooksError) mount(result, h("p", { class: "error", role: "alert", testid: "runbook-error" }, runbooksError));
  };
  fillRunbooks();

  const run = async () => {
    const runbook = chosen();
    if (!runbook || !incident || busy) return;
    const parameters: Record<string, string> = {};
    for (const [name, input] of inputs) {
      const value = input.value.trim();
      if (value) parameters[name] = value; // left empty: the runbook's default applies
    }
    const instanceIds = target.value.split(/[\s,]+/).filter((id) => id);
    busy = true;
    submit.disabled = true;
    mount(result, h("p", { class: "muted" }, "Requesting…"));
    try {
      const answer = await ctx.client.runbooks.executeRunbook({
        companyId: incident.companyId,
        runbookId: runbook.id,
        parameters,
        targets: instanceIds.length > 0 ? { instanceIds } : undefined,
        incidentId,
        comment: comment.value.trim(),
      });
      const execution = answer.execution;
      comment.value = "";
      mount(
        result,
        execution
          ? h(
              "p",
              { class: "ok", testid: "runbook-created", "data-execution-id": execution.id },
              "Execution created: ",
              executionStatusBadge(execution.status),
              " ",
              executionLink(execution, "runbook-execution-link"),
              ` on ${targetsText(execution.targets)}`,
            )
          : h("p", null, "Requested."),
      );
      ctx.notify(`Runbook "${runbook.name}": requested`);
    } catch (error) {
      if (errorCode(error) === Code.Unauthenticated) ctx.fail(error);
      mount(
        result,
        isAwsNotConfigured(error)
          ? awsNotConfigured("Running a runbook (AWS Systems Manager Run Command)")
          : h("p", { class: "error", role: "alert", testid: "runbook-error" }, `Run runbook: ${errorText(error)}`),
      );
    } finally {
      busy = false;
      submit.disabled = !chosen();
    }
    await reload();
  };

  const form = h(
    "section",
    { class: "card run-runbook", "aria-labelledby": "run-runbook-title", testid: "run-runbook" },
    h("h2", { id: "run-runbook-title" }, "Run runbook"),
    h(
      "form",
      {
        onsubmit: (event: Event) => {
          event.preventDefault();
          void run();
        },
      },
      field("Runbook", runbookSelect),
      description,
      parameterFields,
      field(
        "Target instance ids",
        target,
        "SSM managed instances (i-… or mi-…), separated by spaces or commas; empty for the runbook's default targets",
      ),
      field("Comment (optional)", comment),
      h("div", { class: "inline" }, submit),
    ),
    result,
  );

  const list = h("section", { "aria-labelledby": "incident-executions-title", testid: "incident-executions-section" });
  const renderList = () => {
    remount(
      list,
      h("h2", { id: "incident-executions-title" }, `Runbook executions (${executions.length})`),
      listError ? h("p", { class: "error", role: "alert", testid: "incident-executions-error" }, listError) : null,
      !listed && !listError
        ? placeholder("Loading…")
        : executions.length === 0
          ? placeholder("No runbook has run for this incident.", "incident-executions-empty")
          : h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { testid: "incident-executions" },
                h(
                  "thead",
                  null,
                  h("tr", null, ["Runbook", "Status", "Reason", "Targets", "Requested by", "Created", "Ended"].map((t) => h("th", { scope: "col" }, t))),
                ),
                h(
                  "tbody",
                  null,
                  executions.map((e) =>
                    h(
                      "tr",
                      { testid: "incident-execution-row", "data-execution-id": e.id },
                      h("td", null, executionLink(e)),
                      h("td", null, executionStatusBadge(e.status), commandIdElement(e)),
                      h("td", { class: "break" }, e.statusReason || "—"),
                      h("td", { class: "break" }, targetsText(e.targets)),
                      h("td", null, actorElement(e.requestedBy)),
                      h("td", null, shortTime(e.createTime)),
                      h("td", null, shortTime(e.endTime)),
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
      const answer = await ctx.client.runbooks.listExecutions({
        companyId: incident.companyId,
        incidentId,
        pageSize: 100,
      });
      if (mine !== generation) return;
      executions = answer.executions;
      listError = "";
    } catch (error) {
      if (mine !== generation) return;
      if (errorCode(error) === Code.Unauthenticated) ctx.fail(error);
      listError = `Cannot list the incident's executions: ${errorText(error)}`;
    }
    listed = true;
    renderList();
  };

  const setIncident = (next: Incident) => {
    const first = !incident;
    incident = next;
    void reload();
    if (!first) return;
    target.value = next.asset;
    void (async () => {
      try {
        runbooks = await allPages(async (pageToken) => {
          const answer = await ctx.client.runbooks.listRunbooks({ companyId: next.companyId, pageSize: 500, pageToken });
          return { items: answer.runbooks, next: answer.nextPageToken };
        }, 5);
        runbooksError = "";
      } catch (error) {
        if (errorCode(error) === Code.Unauthenticated) ctx.fail(error);
        runbooksError = `Cannot list runbooks: ${errorText(error)}`;
      }
      fillRunbooks();
    })();
  };

  return { form, list, setIncident, reload };
}
