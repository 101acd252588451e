// Runbook executions (RunbookService). The list (#/executions) for the selected company or all
// companies: ListExecutions newest first with a status filter, kept current by the
// WatchExecutions events of the companies in scope, and per row the actions its status allows
// (Approve; Reject with a reason, also for an Automation's waiting aws:approve step; Cancel). One execution (#/executions/<id>): GetExecution with
// each instance's status, exit code and output (Run Command) or each step of the automation
// (Automation), followed by its company's WatchExecutions.
// After every action the page lists (or gets) again; API errors show above the table.
import {
  AutomationStepStatus,
  Code,
  ExecutionStatus,
  ExecutionTrigger,
  InvocationStatus,
  RunbookKind,
  errorCode,
  errorText,
  formatTime,
  timeMillis,
} from "../api.js";
import type { AutomationStep, CommandInvocation, Execution, RunbookTargets } from "../api.js";
import type { Ctx, View } from "../context.js";
import { debounce, field, h, mount, remount } from "../dom.js";
import { isAwsNotConfigured, pageHeader, placeholder, timeElement } from "./common.js";

export const executionStatusNames: Record<number, string> = {
  [ExecutionStatus.PENDING_APPROVAL]: "pending approval",
  [ExecutionStatus.QUEUED]: "queued",
  [ExecutionStatus.RUNNING]: "running",
  [ExecutionStatus.CANCELLING]: "cancelling",
  [ExecutionStatus.SUCCEEDED]: "succeeded",
  [ExecutionStatus.FAILED]: "failed",
  [ExecutionStatus.TIMED_OUT]: "timed out",
  [ExecutionStatus.CANCELLED]: "cancelled",
  [ExecutionStatus.REJECTED]: "rejected",
  [ExecutionStatus.EXPIRED]: "expired",
};

const triggerNames: Record<number, string> = {
  [ExecutionTrigger.MANUAL]: "manual",
  [ExecutionTrigger.RULE]: "rule",
};

const invocationStatusNames: Record<number, string> = {
  [InvocationStatus.PENDING]: "pending",
  [InvocationStatus.IN_PROGRESS]: "in progress",
  [InvocationStatus.DELAYED]: "delayed",
  [InvocationStatus.SUCCEEDED]: "succeeded",
  [InvocationStatus.FAILED]: "failed",
  [InvocationStatus.TIMED_OUT]: "timed out",
  [InvocationStatus.CANCELLING]: "cancelling",
  [InvocationStatus.CANCELLED]: "cancelled",
};

/** Statuses that are not terminal. */
export const UNFINISHED_STATUSES = [
  ExecutionStatus.PENDING_APPROVAL,
  ExecutionStatus.QUEUED,
  ExecutionStatus.RUNNING,
  ExecutionStatus.CANCELLING,
];

const slug = (name: string) => name.replace(/\s+/g, "-");

/**
 * A long id shortened to its end: the server's ids start with their creation time, so ids made
 * close together share their beginning, not their end.
 */
export function shortId(id: string): string {
  return id.length > 12 ? `…${id.slice(-8)}` : id;
}

export function executionStatusBadge(status: ExecutionStatus): HTMLElement {
  const name = executionStatusNames[status] ?? "unknown";
  return h("span", { class: `badge exec-${slug(name)}`, testid: "execution-status", "data-status": name }, name);
}

/** The SSM command (or automation execution) id under the status (once sent), shortened; the
 * whole id as a tooltip. */
export function commandIdElement(execution: Execution): HTMLElement | null {
  if (execution.automationExecutionId) {
    const id = execution.automationExecutionId;
    return h(
      "div",
      { class: "muted nowrap" },
      "automation ",
      h("code", { testid: "execution-automation-id", title: `SSM automation execution ${id}` }, shortId(id)),
    );
  }
  const id = execution.commandId;
  if (!id) return null;
  return h(
    "div",
    { class: "muted nowrap" },
    "cmd ",
    h(
      "code",
      { testid: "execution-command-id", "data-command-id": id, title: `SSM command ${id}` },
      shortId(id),
    ),
  );
}

/** "initial admin" for "token:<id> (initial admin)", "rule 01ab…" for "rule:<id>"; the whole as a tooltip. */
export function actorElement(actor: string): HTMLElement {
  const token = /^token:\S+ \((.*)\)$/.exec(actor);
  const rule = /^rule:(.+)$/.exec(actor);
  const text = token ? token[1] : rule ? `rule ${shortId(rule[1])}` : actor;
  return h("span", { title: actor, class: "nowrap" }, text || "—");
}

/** A compact date and time (tables with many columns); the full one as a tooltip. */
export function shortTime(ts: Execution["createTime"]): HTMLElement | string {
  if (!ts) return "—";
  const date = new Date(timeMillis(ts));
  return h(
    "time",
    { datetime: date.toISOString(), title: formatTime(ts) },
    date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }),
  );
}

export function targetsText(targets: RunbookTargets | undefined): string {
  if (!targets) return "—";
  const parts = [...targets.instanceIds];
  for (const tag of targets.tags) parts.push(`tag:${tag.key}=${tag.values.join("|")}`);
  return parts.join(", ") || "—";
}

/** Whether `next` is at least as new as `current` (events may replay older states). */
export function isNewerExecution(next: Execution, current: Execution | undefined): boolean {
  return !current || timeMillis(next.updateTime) >= timeMillis(current.updateTime);
}

export function executionLink(execution: Execution, testid = "execution-link"): HTMLElement {
  return h(
    "a",
    { href: `#/executions/${encodeURIComponent(execution.id)}`, testid },
    execution.runbookName || execution.runbookId,
  );
}

function incidentLink(incidentId: string): HTMLElement | string {
  if (!incidentId) return "—";
  return h(
    "a",
    { href: `#/incidents/${encodeURIComponent(incidentId)}`, title: incidentId, class: "nowrap", testid: "execution-incident-link" },
    shortId(incidentId),
  );
}

/** Whether SSM waits on an `aws:approve` step of a running Automation execution. */
export function waitsOnApprovalStep(execution: Execution): boolean {
  return (
    execution.status === ExecutionStatus.RUNNING &&
    execution.steps.some((step) => step.action === "aws:approve" && step.status === AutomationStepStatus.WAITING)
  );
}

/**
 * The action buttons of executions: Approve and Reject (with a reason) while pending approval
 * or while an Automation execution waits on an `aws:approve` step (the server answers the step);
 * Cancel while pending approval, queued, or running once sent (it has a command id). Calls in
 * flight disable their row's buttons; the outcome or the API's error goes to `report`.
 */
export class ExecutionActions {
  private readonly busy = new Set<string>();
  private readonly rejecting = new Set<string>();
  private readonly reasons = new Map<string, HTMLInputElement>();

  constructor(
    private readonly ctx: Ctx,
    /** Shows an error ("" clears it). */
    private readonly report: (error: string) => void,
    /** Called after every action, done or failed (the page lists again). */
    private readonly after: () => Promise<void>,
    private readonly rerender: () => void,
  ) {}

  controls(execution: Execution): HTMLElement {
    const id = execution.id;
    const busy = this.busy.has(id);
    const status = execution.status;
    const pending = status === ExecutionStatus.PENDING_APPROVAL || waitsOnApprovalStep(execution);
    const buttons: HTMLElement[] = [];
    if (pending) {
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: "small",
            testid: "execution-approve",
            disabled: busy,
            onclick: () =>
              void this.run(id, "Approve", () => this.ctx.client.runbooks.approveExecution({ executionId: id })),
          },
          "Approve",
        ),
        h(
          "button",
          {
            type: "button",
            class: "small secondary",
            testid: "execution-reject",
            disabled: busy,
            "aria-expanded": this.rejecting.has(id) ? "true" : "false",
            onclick: () => {
              if (this.rejecting.has(id)) this.rejecting.delete(id);
              else this.rejecting.add(id);
              this.rerender();
              this.reasons.get(id)?.focus();
            },
          },
          "Reject…",
        ),
      );
    }
    const sent = status === ExecutionStatus.RUNNING && execution.commandId !== "";
    if (pending || status === ExecutionStatus.QUEUED || sent) {
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: "small danger",
            testid: "execution-cancel",
            disabled: busy,
            onclick: () =>
              void this.run(id, "Cancel", () =>
                this.ctx.client.runbooks.cancelExecution({ executionId: id, reason: "" }),
              ),
          },
          "Cancel",
        ),
      );
    } else if (status === ExecutionStatus.RUNNING) {
      buttons.push(h("span", { class: "muted" }, "sending to SSM…"));
    }
    let form: HTMLElement | null = null;
    if (pending && this.rejecting.has(id)) {
      let input = this.reasons.get(id);
      if (!input) {
        input = h("input", { type: "text", maxlength: "4096", testid: "execution-reject-reason" });
        this.reasons.set(id, input);
      }
      const reason = input;
      form = h(
        "form",
        {
          class: "inline reject-form",
          onsubmit: (event: Event) => {
            event.preventDefault();
            const text = reason.value.trim();
            if (!text) {
              this.report("Reject: give a reason");
              reason.focus();
              return;
            }
            void this.run(id, "Reject", () =>
              this.ctx.client.runbooks.rejectExecution({ executionId: id, reason: text }),
            );
          },
        },
        field("Reason for rejecting", reason),
        h("button", { type: "submit", class: "small danger", testid: "execution-reject-confirm", disabled: busy }, "Reject"),
      );
    }
    return h("div", { class: "exec-actions" }, buttons.length > 0 ? h("div", { class: "badges" }, buttons) : null, form);
  }

  private async run(id: string, what: string, call: () => Promise<unknown>): Promise<void> {
    if (this.busy.has(id)) return;
    this.busy.add(id);
    this.report("");
    this.rerender();
    try {
      await call();
      this.ctx.notify(`${what}: done`);
      this.rejecting.delete(id);
      this.reasons.delete(id);
    } catch (error) {
      if (errorCode(error) === Code.Unauthenticated) this.ctx.fail(error);
      else if (isAwsNotConfigured(error))
        this.report(
          `${what} execution ${id}: AWS is not configured on this server, so runbooks cannot run. An administrator sets ALERT_WHISPERER_AWS_REGION and base credentials, then restarts the server.`,
        );
      else this.report(`${what} execution ${id}: ${errorText(error)}`);
    } finally {
      this.busy.delete(id);
      await this.after();
      this.rerender();
    }
  }
}

const FILTER_KEY = "alertwhisperer.execution-filters";

/** "" any, "unfinished", or a status number. */
function statusFilter(value: string): ExecutionStatus[] {
  if (value === "unfinished") return UNFINISHED_STATUSES;
  return value ? [Number(value)] : [];
}

export function executionsView(ctx: Ctx): View {
  const scope = ctx.scope();
  const inScope = new Set(ctx.scopeIds());
  let filter = sessionStorage.getItem(FILTER_KEY) ?? "";
  let executions: Execution[] = [];
  let nextPageToken = "";
  let loading = true;
  let listError = "";
  let actionError = "";
  let disposed = false;
  const highlighted = new Set<string>();

  const statusSelect = h(
    "select",
    { testid: "execution-filter-status" },
    h("option", { value: "" }, "Any"),
    h("option", { value: "unfinished" }, "Unfinished (pending approval, queued, running, cancelling)"),
    Object.entries(executionStatusNames).map(([value, name]) => h("option", { value }, name)),
  );
  statusSelect.value = filter;
  if (statusSelect.value !== filter) filter = statusSelect.value = "";
  statusSelect.addEventListener("change", () => {
    filter = statusSelect.value;
    sessionStorage.setItem(FILTER_KEY, filter);
    executions = [];
    loading = true;
    render();
    void load();
  });

  const errors = h("div", { class: "exec-errors", testid: "executions-errors" });
  const table = h("div", { class: "table-wrap" });
  const more = h("div", { class: "more" });
  const element = h(
    "div",
    { class: "view executions", testid: "executions", "data-company-id": scope },
    pageHeader(
      "Executions",
      h("p", { class: "subtitle", testid: "executions-scope" }, scope ? ctx.companyName(scope) : "All companies"),
    ),
    h(
      "form",
      { class: "filters", "aria-label": "Filter executions", onsubmit: (event: Event) => event.preventDefault() },
      field("Status", statusSelect),
    ),
    errors,
    table,
    more,
  );

  const render = () => {
    if (disposed) return;
    mount(
      errors,
      [listError, actionError]
        .filter((text) => text)
        .map((text) => h("p", { class: "error", role: "alert", testid: "executions-error" }, text)),
    );
    if (loading && executions.length === 0) {
      mount(table, placeholder("Loading…"));
    } else if (executions.length === 0) {
      mount(table, listError ? null : placeholder("No executions match.", "executions-empty"));
    } else {
      const columns = ["Runbook", ...(scope ? [] : ["Company"]), "Incident", "Asset", "Trigger", "Status", "Reason", "Requested by", "Created", "Ended", "Actions"];
      remount(
        table,
        h(
          "table",
          { testid: "executions-table", class: "executions-table" },
          h("caption", { class: "visually-hidden" }, "Runbook executions, newest first"),
          h("thead", null, h("tr", null, columns.map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", null, executions.map(row)),
        ),
      );
    }
    mount(
      more,
      nextPageToken
        ? h("button", { type: "button", class: "secondary", testid: "executions-load-more", onclick: () => void load(true) }, "Load more")
        : null,
    );
  };

  const actions = new ExecutionActions(
    ctx,
    (error) => {
      actionError = error;
      render();
    },
    () => load(),
    render,
  );

  const row = (execution: Execution) =>
    h(
      "tr",
      {
        testid: "execution-row",
        "data-execution-id": execution.id,
        "data-status": executionStatusNames[execution.status] ?? "unknown",
        class: highlighted.has(execution.id) ? "flash" : undefined,
      },
      h("td", null, executionLink(execution)),
      scope ? null : h("td", null, ctx.companyName(execution.companyId)),
      h("td", null, incidentLink(execution.incidentId)),
      h("td", { class: "break" }, execution.asset || targetsText(execution.targets)),
      h("td", null, triggerNames[execution.trigger] ?? "—"),
      h("td", null, executionStatusBadge(execution.status), commandIdElement(execution)),
      h("td", { class: "break", testid: "execution-reason" }, execution.statusReason || "—"),
      h("td", null, actorElement(execution.requestedBy)),
      h("td", null, shortTime(execution.createTime)),
      h("td", null, shortTime(execution.endTime)),
      h("td", null, actions.controls(execution)),
    );

  const matches = (execution: Execution) => {
    if (!inScope.has(execution.companyId)) return false;
    const statuses = statusFilter(filter);
    return statuses.length === 0 || statuses.includes(execution.status);
  };

  let generation = 0;
  const load = async (append = false) => {
    const mine = ++generation;
    loading = true;
    try {
      const answer = await ctx.client.runbooks.listExecutions({
        companyId: scope,
        statuses: statusFilter(filter),
        pageSize: 50,
        pageToken: append ? nextPageToken : "",
      });
      if (mine !== generation) return;
      // An event may have brought a newer state than the list holds (it was read first).
      const known = new Map(executions.map((e) => [e.id, e]));
      const listed = answer.executions.map((e) => {
        const held = known.get(e.id);
        return held && !isNewerExecution(e, held) ? held : e;
      });
      executions = append ? [...executions, ...listed] : listed;
      nextPageToken = answer.nextPageToken;
      listError = "";
    } catch (error) {
      if (mine !== generation) return;
      if (errorCode(error) === Code.Unauthenticated) ctx.fail(error);
      listError = `Cannot list executions: ${errorText(error)}`;
    }
    loading = false;
    render();
  };
  const relist = debounce(() => void load(), 300);

  const unsubscribe = ctx.executionFeed.subscribe({
    event: (event) => {
      const execution = event.execution;
      if (!execution || !inScope.has(execution.companyId)) return;
      const index = executions.findIndex((e) => e.id === execution.id);
      if (index >= 0 && !isNewerExecution(execution, executions[index])) return;
      if (index >= 0) {
        if (matches(execution)) executions[index] = execution;
        else executions.splice(index, 1);
      } else if (matches(execution)) {
        // Newest first by creation, as the server orders the list.
        const at = executions.findIndex((e) => timeMillis(e.createTime) < timeMillis(execution.createTime));
        if (at < 0) executions.push(execution);
        else executions.splice(at, 0, execution);
      } else {
        return;
      }
      highlighted.add(execution.id);
      setTimeout(() => highlighted.delete(execution.id), 2000);
      render();
    },
    resync: (companyId) => {
      if (inScope.has(companyId)) relist();
    },
  });

  render();
  void load();
  return {
    element,
    streams: "executions",
    dispose: () => {
      disposed = true;
      unsubscribe();
    },
  };
}

function invocationRows(invocations: CommandInvocation[]): HTMLElement {
  return h(
    "table",
    { testid: "invocations-table" },
    h(
      "thead",
      null,
      h("tr", null, ["Instance", "Status", "Details", "Exit code", "Started", "Ended"].map((t) => h("th", { scope: "col" }, t))),
    ),
    h(
      "tbody",
      null,
      invocations.map((invocation) =>
        h(
          "tr",
          { testid: "invocation-row", "data-instance-id": invocation.instanceId },
          h("td", null, h("code", null, invocation.instanceId)),
          h("td", { testid: "invocation-status" }, invocationStatusNames[invocation.status] ?? "—"),
          h("td", null, invocation.statusDetails || "—"),
          h("td", { class: "num", testid: "invocation-exit-code" }, invocation.responseCode < 0 ? "—" : String(invocation.responseCode)),
          h("td", null, invocation.startTime ? timeElement(invocation.startTime) : "—"),
          h("td", null, invocation.endTime ? timeElement(invocation.endTime) : "—"),
        ),
      ),
    ),
  );
}

const stepStatusNames: Record<number, string> = {
  [AutomationStepStatus.PENDING]: "pending",
  [AutomationStepStatus.IN_PROGRESS]: "in progress",
  [AutomationStepStatus.WAITING]: "waiting",
  [AutomationStepStatus.SUCCEEDED]: "succeeded",
  [AutomationStepStatus.FAILED]: "failed",
  [AutomationStepStatus.TIMED_OUT]: "timed out",
  [AutomationStepStatus.CANCELLING]: "cancelling",
  [AutomationStepStatus.CANCELLED]: "cancelled",
};

function stepRows(steps: AutomationStep[]): HTMLElement {
  return h(
    "table",
    { testid: "steps-table" },
    h(
      "thead",
      null,
      h("tr", null, ["Step", "Action", "Status", "Failure", "Started", "Ended"].map((t) => h("th", { scope: "col" }, t))),
    ),
    h(
      "tbody",
      null,
      steps.map((step) =>
        h(
          "tr",
          { testid: "step-row", "data-step-name": step.name },
          h("td", null, step.name),
          h("td", null, h("code", null, step.action)),
          h(
            "td",
            { testid: "step-status" },
            step.action === "aws:approve" && step.status === AutomationStepStatus.WAITING
              ? "waiting for approval"
              : (stepStatusNames[step.status] ?? "—"),
          ),
          h("td", null, step.failureMessage || "—"),
          h("td", null, step.startTime ? timeElement(step.startTime) : "—"),
          h("td", null, step.endTime ? timeElement(step.endTime) : "—"),
        ),
      ),
    ),
  );
}

function stepsSection(e: Execution): HTMLElement {
  return h(
    "section",
    { "aria-labelledby": "steps-title" },
    h("h2", { id: "steps-title" }, "Automation steps"),
    e.steps.length === 0
      ? placeholder(e.automationExecutionId ? "No step reported yet." : "Not started in SSM yet.", "steps-empty")
      : h("div", { class: "table-wrap" }, stepRows(e.steps)),
  );
}

function output(label: string, text: string, truncated: boolean, testid: string): HTMLElement {
  return h(
    "div",
    { class: "output" },
    h("h4", null, label, truncated ? h("span", { class: "muted" }, " (cut by SSM's inline limit)") : null),
    text ? h("pre", { class: "output-text", testid }, text) : h("p", { class: "placeholder", testid }, "(empty)"),
  );
}

export function executionView(ctx: Ctx, executionId: string): View {
  let execution: Execution | undefined;
  let loadError = "";
  let actionError = "";
  let disposed = false;

  const body = h("div", null, placeholder("Loading…"));
  const element = h(
    "div",
    { class: "view execution", testid: "execution-detail", "data-execution-id": executionId },
    h("p", null, h("a", { href: "#/executions" }, "← Executions")),
    body,
  );

  const render = () => {
    if (disposed) return;
    if (!execution) {
      if (loadError) mount(body, pageHeader("Execution"), h("p", { class: "error", role: "alert", testid: "execution-error" }, loadError));
      return;
    }
    const e = execution;
    const facts: Array<[string, Node | string]> = [
      ["Company", ctx.companyName(e.companyId)],
      ["Runbook", `${e.runbookName} (${e.runbookId})`],
      ["Incident", incidentLink(e.incidentId)],
      ["Asset", e.asset || "—"],
      ["Targets", targetsText(e.targets)],
      ["Trigger", `${triggerNames[e.trigger] ?? "—"}${e.ruleId ? ` (rule ${e.ruleId})` : ""}`],
      ["Status", h("span", null, executionStatusBadge(e.status))],
      ["Reason", h("span", { testid: "execution-reason" }, e.statusReason || "—")],
      ["SSM document", `${e.documentName} ${e.documentVersion}`],
      e.kind === RunbookKind.AUTOMATION
        ? ["Automation execution id", e.automationExecutionId ? h("code", { testid: "execution-automation-id" }, e.automationExecutionId) : "not started yet"]
        : ["Command id", e.commandId ? h("code", { testid: "execution-command-id" }, e.commandId) : "not sent yet"],
      ["Role", e.assumedRoleArn || "—"],
      ["Requested by", e.requestedBy],
    ];
    if (e.approvedBy) facts.push(["Approved by", e.approvedBy]);
    if (e.rejectedBy) facts.push(["Rejected by", e.rejectedBy]);
    if (e.cancelledBy) facts.push(["Cancelled by", e.cancelledBy]);
    if (e.approvalExpireTime) facts.push(["Approval expires", timeElement(e.approvalExpireTime)]);
    facts.push(
      ["Created", timeElement(e.createTime)],
      ["Sent", e.startTime ? timeElement(e.startTime) : "—"],
      ["Ended", e.endTime ? timeElement(e.endTime) : "—"],
    );
    const parameters = Object.entries(e.parameters).sort(([a], [b]) => a.localeCompare(b));
    remount(
      body,
      pageHeader(`Execution: ${e.runbookName || e.runbookId}`, h("div", { class: "badges" }, executionStatusBadge(e.status))),
      actionError ? h("p", { class: "error", role: "alert", testid: "executions-error" }, actionError) : null,
      loadError ? h("p", { class: "error", role: "alert" }, loadError) : null,
      h(
        "div",
        { class: "columns" },
        h(
          "section",
          { class: "card", "aria-labelledby": "execution-facts-title" },
          h("h2", { id: "execution-facts-title" }, "Details"),
          h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "execution-actions-title" },
          h("h2", { id: "execution-actions-title" }, "Actions"),
          UNFINISHED_STATUSES.includes(e.status) ? actions.controls(e) : placeholder("Finished: no action left."),
          h("h3", null, "Parameters"),
          parameters.length === 0
            ? placeholder("None.")
            : h("dl", { class: "facts", testid: "execution-parameters" }, parameters.map(([k, v]) => [h("dt", null, h("code", null, k)), h("dd", null, h("code", null, v))])),
        ),
      ),
      e.kind === RunbookKind.AUTOMATION
        ? stepsSection(e)
        : h(
        "section",
        { "aria-labelledby": "invocations-title" },
        h("h2", { id: "invocations-title" }, "Instances"),
        e.invocations.length === 0
          ? placeholder(e.commandId ? "No invocation reported yet." : "Not sent to SSM yet.", "invocations-empty")
          : [
              h("div", { class: "table-wrap" }, invocationRows(e.invocations)),
              e.invocations.map((invocation) =>
                h(
                  "section",
                  { class: "card invocation-output", testid: "invocation-output", "data-instance-id": invocation.instanceId },
                  h("h3", null, "Output of ", h("code", null, invocation.instanceId)),
                  output("Standard output", invocation.stdout, invocation.stdoutTruncated, "invocation-stdout"),
                  output("Standard error", invocation.stderr, invocation.stderrTruncated, "invocation-stderr"),
                ),
              ),
            ],
      ),
    );
    document.title = `Execution ${e.runbookName} · Alert Whisperer`;
  };

  const load = async () => {
    try {
      const answer = await ctx.client.runbooks.getExecution({ executionId });
      if (answer.execution && isNewerExecution(answer.execution, execution)) execution = answer.execution;
      loadError = "";
      if (execution) ctx.pinStream(execution.companyId);
    } catch (error) {
      if (errorCode(error) === Code.Unauthenticated) ctx.fail(error);
      loadError = `Cannot load the execution: ${errorText(error)}`;
    }
    render();
  };

  const actions = new ExecutionActions(
    ctx,
    (error) => {
      actionError = error;
      render();
    },
    load,
    render,
  );

  const reload = debounce(() => void load(), 250);
  const unsubscribe = ctx.executionFeed.subscribe({
    event: (event) => {
      const next = event.execution;
      if (!next || next.id !== executionId) return;
      // Events carry the execution with its output, as GetExecution does.
      if (isNewerExecution(next, execution)) execution = next;
      render();
    },
    resync: (companyId) => {
      if (execution?.companyId === companyId) reload();
    },
  });

  void load();
  return {
    element,
    streams: "executions",
    dispose: () => {
      disposed = true;
      unsubscribe();
    },
  };
}
