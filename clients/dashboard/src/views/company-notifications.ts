// The company page's notification settings (NotificationService): channels (list; create one of
// each kind, a webhook's signing secret shown once; Test; Delete), routes with escalation levels,
// repeats and a weekly window (list, create, Delete), and the Slack member id of a technician
// (UpdateTechnician). API errors show next to what caused them: INVALID_ARGUMENT naming the field
// by the form, FAILED_PRECONDITION (a route uses the channel) and PERMISSION_DENIED (a viewer
// token) on the row.
import { create } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";

import { ChannelKind, Code, NotifyEvent, SmtpSecurity, allPages, errorCode, errorText } from "../api.js";
import type {
  Channel,
  CreateChannelRequestSchema,
  EscalationLevelSchema,
  Route,
  TestChannelResponse,
  Technician,
  TimeWindow,
} from "../api.js";
import type { Ctx } from "../context.js";
import { copyable, field, h, mount, remount } from "../dom.js";
import { placeholder } from "./common.js";

type ChannelConfigInit = NonNullable<MessageInitShape<typeof CreateChannelRequestSchema>["config"]>;

const KIND_LABELS: [ChannelKind, string][] = [
  [ChannelKind.WEBHOOK, "Webhook (signed)"],
  [ChannelKind.SLACK, "Slack"],
  [ChannelKind.TEAMS, "Microsoft Teams"],
  [ChannelKind.EMAIL, "Email (SMTP)"],
  [ChannelKind.PAGERDUTY, "PagerDuty"],
];
const kindName = (kind: ChannelKind) => KIND_LABELS.find(([k]) => k === kind)?.[1] ?? "unknown";

/** The events in the order people think of them, with the names the form and the list show. */
const EVENTS: [NotifyEvent, string, string][] = [
  [NotifyEvent.OPENED, "opened", "an incident opened"],
  [NotifyEvent.STORM_OPENED, "storm opened", "a storm parent opened: one message per storm"],
  [NotifyEvent.PRIORITY_RAISED, "priority raised", "its priority became more urgent"],
  [NotifyEvent.ACKNOWLEDGED, "acknowledged", "acknowledged"],
  [NotifyEvent.RESOLVED, "resolved", "resolved"],
  [NotifyEvent.REOPENED, "reopened", "reopened"],
  [NotifyEvent.RUNBOOK_FAILED, "runbook failed", "a runbook run for it failed"],
];
const eventName = (event: NotifyEvent) => EVENTS.find(([e]) => e === event)?.[1] ?? "unknown";
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** "at once", "45 s", "10 min", "1 h 30 min", "1 d". */
export function formatSeconds(total: number): string {
  if (total <= 0) return "at once";
  const parts: string[] = [];
  let rest = total;
  for (const [size, unit] of [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

/** An integer from a number input; 0 when empty. */
function intOf(input: HTMLInputElement): number {
  const value = Math.trunc(Number(input.value.trim() || "0"));
  return Number.isFinite(value) ? Math.max(-2_147_483_648, Math.min(2_147_483_647, value)) : 0;
}

function checkbox(testid: string, label: Node | string, attrs: Record<string, string> = {}): [HTMLLabelElement, HTMLInputElement] {
  const input = h("input", { type: "checkbox", testid, ...attrs });
  return [h("label", null, input, " ", label), input];
}

function windowText(window: TimeWindow): string {
  const days = window.weekdays.length === 0 ? "every day" : window.weekdays.map((d) => WEEKDAYS[d - 1] ?? String(d)).join(", ");
  return `${days} ${window.startTime}–${window.endTime}`;
}

export interface CompanyNotifications {
  /** The channels and routes cards. */
  element: HTMLElement;
  /** The company's technicians (for the levels' technicians and the routes' list), after each load. */
  setTechnicians(technicians: Technician[]): void;
  /** Lists the channels and routes and renders them. */
  load(): Promise<void>;
}

export function companyNotifications(ctx: Ctx, companyId: string): CompanyNotifications {
  let channels: Channel[] = [];
  let routes: Route[] = [];
  let technicians: Technician[] = [];
  let loaded = false;
  let channelsError = "";
  let routesError = "";
  /** Per channel: the outcome of its latest Test ("pending" while it runs), or an action's error. */
  const testResults = new Map<string, TestChannelResponse | "pending">();
  const channelErrors = new Map<string, string>();
  const routeErrors = new Map<string, string>();

  const channelsCard = h("section", { class: "card", "aria-labelledby": "channels-title", testid: "channels" });
  const routesCard = h("section", { class: "card", "aria-labelledby": "routes-title", testid: "routes" });
  const channelsList = h("div");
  const routesList = h("div");
  const secretSlot = h("div", { "aria-live": "polite" });
  const channelFormSlot = h("div");
  const routeFormSlot = h("div");

  /** The text of an error, signing out on UNAUTHENTICATED (through ctx.fail). */
  const explain = (what: string, error: unknown): string => {
    if (errorCode(error) === Code.Unauthenticated) ctx.fail(error, what);
    return `${what}: ${errorText(error)}`;
  };
  const errorLine = (text: string, testid: string) => (text ? h("p", { class: "error", role: "alert", testid }, text) : null);
  const channelName = (id: string) => channels.find((c) => c.id === id)?.name ?? id;
  const technicianName = (id: string) => technicians.find((t) => t.id === id)?.name ?? id;

  // ---- channels ----

  const testChannel = async (channel: Channel) => {
    channelErrors.delete(channel.id);
    testResults.set(channel.id, "pending");
    renderChannels();
    try {
      testResults.set(channel.id, await ctx.client.notifications.testChannel({ channelId: channel.id }));
    } catch (error) {
      testResults.delete(channel.id);
      channelErrors.set(channel.id, explain("Test", error));
    }
    renderChannels();
  };

  const deleteChannel = async (channel: Channel) => {
    if (!window.confirm(`Delete the channel "${channel.name}"? Its delivery log stays.`)) return;
    channelErrors.delete(channel.id);
    try {
      await ctx.client.notifications.deleteChannel({ channelId: channel.id });
      testResults.delete(channel.id);
      ctx.notify(`Channel "${channel.name}" deleted`);
      await loadChannels();
    } catch (error) {
      channelErrors.set(channel.id, explain("Delete", error));
    }
    renderChannels();
    routeForm?.refresh();
  };

  const testResultLine = (channel: Channel): HTMLElement | null => {
    const result = testResults.get(channel.id);
    if (result === undefined) return null;
    if (result === "pending") return h("p", { class: "muted", testid: "channel-test-result", "data-ok": "pending" }, "Testing…");
    const parts = [
      result.ok ? "ok" : "failed",
      result.statusCode ? `status ${result.statusCode}` : "no answer",
      `${result.latencyMs} ms`,
    ];
    return h(
      "div",
      { class: result.ok ? "test-result ok" : "test-result error", role: "status", testid: "channel-test-result", "data-ok": String(result.ok) },
      h("strong", { testid: "channel-test-summary" }, parts.join(" · ")),
      result.error ? h("p", { class: "break" }, result.error) : null,
      result.response ? h("code", { class: "break muted" }, result.response.slice(0, 200)) : null,
    );
  };

  const renderChannels = () => {
    remount(
      channelsList,
      errorLine(channelsError, "channels-error"),
      !loaded
        ? placeholder("Loading…")
        : channels.length === 0
          ? placeholder("No channels yet: add one below.", "no-channels")
          : h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { testid: "channels-table", class: "settings-table" },
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    ["Name", "Kind", "Target", "Max attempts", "Per minute", "Secret", "Actions"].map((t) =>
                      h("th", { scope: "col", class: t.startsWith("Max") || t === "Per minute" ? "num" : undefined }, t),
                    ),
                  ),
                ),
                h(
                  "tbody",
                  null,
                  channels.map((c) =>
                    h(
                      "tr",
                      { testid: "channel-row", "data-channel-id": c.id, "data-name": c.name },
                      h("th", { scope: "row" }, c.name),
                      h("td", null, kindName(c.kind)),
                      h("td", { class: "break" }, h("code", null, c.target)),
                      h("td", { class: "num" }, String(c.maxAttempts)),
                      h("td", { class: "num" }, c.maxPerMinute ? String(c.maxPerMinute) : "no limit"),
                      h("td", null, c.hasSecret ? "yes" : "no"),
                      h(
                        "td",
                        { class: "row-actions" },
                        h(
                          "div",
                          { class: "inline" },
                          h(
                            "button",
                            {
                              type: "button",
                              class: "secondary small",
                              testid: "channel-test",
                              disabled: testResults.get(c.id) === "pending",
                              "aria-label": `Test ${c.name}`,
                              onclick: () => void testChannel(c),
                            },
                            "Test",
                          ),
                          h(
                            "button",
                            { type: "button", class: "danger small", testid: "channel-delete", "aria-label": `Delete ${c.name}`, onclick: () => void deleteChannel(c) },
                            "Delete",
                          ),
                        ),
                        testResultLine(c),
                        errorLine(channelErrors.get(c.id) ?? "", "channel-row-error"),
                      ),
                    ),
                  ),
                ),
              ),
            ),
    );
  };

  const showSigningSecret = (channel: Channel, secret: string) =>
    mount(
      secretSlot,
      h(
        "div",
        { class: "reveal-box", testid: "channel-secret-panel", "aria-labelledby": "channel-secret-title" },
        h("h3", { id: "channel-secret-title" }, `Signing secret of "${channel.name}"`),
        h(
          "p",
          { class: "warning" },
          "The signing secret is shown only now: the server never shows it again. Give it to the receiver, which verifies the webhook-signature header: ",
          h("code", null, "v1,"),
          " + base64 HMAC-SHA256 of ",
          h("code", null, "{webhook-id}.{webhook-timestamp}.{body}"),
          ", keyed with the base64-decoded secret after ",
          h("code", null, "whsec_"),
          ".",
        ),
        copyable(secret, "channel-signing-secret"),
        h("button", { type: "button", class: "secondary small", testid: "channel-secret-dismiss", onclick: () => mount(secretSlot) }, "I have saved it"),
      ),
    );

  const buildChannelForm = (): HTMLFormElement => {
    const name = h("input", { type: "text", required: true, maxlength: "200", testid: "channel-name" });
    const kind = h(
      "select",
      { testid: "channel-kind" },
      KIND_LABELS.map(([value, label]) => h("option", { value: String(value) }, label)),
    );
    const maxAttempts = h("input", { type: "number", min: "1", max: "20", step: "1", value: "8", testid: "channel-max-attempts" });
    const maxPerMinute = h("input", { type: "number", min: "0", max: "6000", step: "1", value: "0", testid: "channel-max-per-minute" });
    const url = h("input", { type: "url", required: true, maxlength: "2048", placeholder: "https://receiver.example/hooks/alert-whisperer", testid: "channel-url" });
    const slackUrl = h("input", { type: "url", required: true, placeholder: "https://hooks.slack.com/services/…", testid: "channel-slack-url", autocomplete: "off" });
    const teamsUrl = h("input", { type: "url", required: true, placeholder: "https://….webhook.office.com/…", testid: "channel-teams-url", autocomplete: "off" });
    const smtpHost = h("input", { type: "text", required: true, placeholder: "smtp.example.com", testid: "channel-smtp-host", spellcheck: "false" });
    const smtpPort = h("input", { type: "number", min: "1", max: "65535", step: "1", testid: "channel-smtp-port" });
    const security = h(
      "select",
      { testid: "channel-smtp-security" },
      h("option", { value: String(SmtpSecurity.STARTTLS) }, "STARTTLS (port 587)"),
      h("option", { value: String(SmtpSecurity.TLS) }, "TLS (port 465)"),
      h("option", { value: String(SmtpSecurity.NONE) }, "None (port 25, local relay only)"),
    );
    const username = h("input", { type: "text", autocomplete: "off", testid: "channel-smtp-username", spellcheck: "false" });
    const password = h("input", { type: "password", autocomplete: "new-password", testid: "channel-smtp-password" });
    const from = h("input", { type: "text", required: true, placeholder: "Alert Whisperer <alerts@msp.example>", testid: "channel-email-from" });
    const to = h("textarea", { rows: "2", placeholder: "oncall@customer.example", testid: "channel-email-to" });
    const caPem = h("textarea", { rows: "3", placeholder: "-----BEGIN CERTIFICATE-----", testid: "channel-email-ca", spellcheck: "false" });
    const routingKey = h("input", { type: "password", required: true, autocomplete: "off", maxlength: "64", testid: "channel-pagerduty-key" });
    const eventsUrl = h("input", { type: "url", placeholder: "https://events.pagerduty.com/v2/enqueue", testid: "channel-pagerduty-url" });
    const kindFields = h("div", { class: "row" });
    const error = h("div", { "aria-live": "polite" });

    const fieldsFor = (value: ChannelKind): HTMLElement[] => {
      switch (value) {
        case ChannelKind.WEBHOOK:
          return [field("URL", url, "http or https; receives a signed POST per notification")];
        case ChannelKind.SLACK:
          return [field("Slack webhook URL", slackUrl, "a credential: stored encrypted, shown as its host only")];
        case ChannelKind.TEAMS:
          return [field("Teams webhook URL", teamsUrl, "incoming webhook or Workflows URL; stored encrypted")];
        case ChannelKind.EMAIL:
          return [
            field("SMTP host", smtpHost),
            field("Port", smtpPort, "empty: 587 for STARTTLS, 465 for TLS, 25 for none"),
            field("Security", security),
            field("User name", username, "empty: no SMTP AUTH"),
            field("Password", password, "stored encrypted, never shown"),
            field("From", from),
            field("To", to, "one per line or comma-separated; may be empty when levels page technicians"),
            field("CA certificate (PEM)", caPem, "optional: a private relay's CA"),
          ];
        case ChannelKind.PAGERDUTY:
          return [
            field("Routing key", routingKey, "the integration key; stored encrypted, never shown"),
            field("Events URL", eventsUrl, "optional; empty: https://events.pagerduty.com/v2/enqueue"),
          ];
        default:
          return [];
      }
    };
    const currentKind = () => Number(kind.value) as ChannelKind;
    kind.addEventListener("change", () => mount(kindFields, fieldsFor(currentKind())));
    mount(kindFields, fieldsFor(currentKind()));

    const config = (): ChannelConfigInit => {
      switch (currentKind()) {
        case ChannelKind.SLACK:
          return { case: "slack", value: { webhookUrl: slackUrl.value.trim() } };
        case ChannelKind.TEAMS:
          return { case: "teams", value: { webhookUrl: teamsUrl.value.trim() } };
        case ChannelKind.EMAIL:
          return {
            case: "email",
            value: {
              smtpHost: smtpHost.value.trim(),
              smtpPort: Math.max(0, intOf(smtpPort)),
              security: Number(security.value) as SmtpSecurity,
              username: username.value.trim(),
              password: password.value,
              from: from.value.trim(),
              to: to.value
                .split(/[\n,;]+/)
                .map((s) => s.trim())
                .filter(Boolean),
              caCertificatePem: caPem.value.trim(),
            },
          };
        case ChannelKind.PAGERDUTY:
          return { case: "pagerduty", value: { routingKey: routingKey.value.trim(), eventsUrl: eventsUrl.value.trim() } };
        default:
          return { case: "webhook", value: { url: url.value.trim() } };
      }
    };

    const form = h(
      "form",
      {
        class: "stack",
        "aria-label": "Add a channel",
        testid: "channel-form",
        onsubmit: async (event: Event) => {
          event.preventDefault();
          mount(error);
          const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]');
          if (submit) submit.disabled = true;
          try {
            const answer = await ctx.client.notifications.createChannel({
              companyId,
              name: name.value.trim(),
              config: config(),
              maxAttempts: intOf(maxAttempts),
              maxPerMinute: intOf(maxPerMinute),
            });
            const channel = answer.channel;
            if (channel && answer.signingSecret) showSigningSecret(channel, answer.signingSecret);
            else mount(secretSlot);
            ctx.notify(`Channel "${channel?.name ?? name.value}" added`);
            await loadChannels().catch((failure) => (channelsError = explain("Cannot list the channels", failure)));
            renderChannels();
            routeForm?.refresh();
            mount(channelFormSlot, buildChannelForm());
          } catch (failure) {
            mount(error, errorLine(explain("Add channel", failure), "channel-form-error"));
            if (submit) submit.disabled = false;
          }
        },
      },
      h("div", { class: "row" }, field("Name", name, "unique within the company"), field("Kind", kind)),
      kindFields,
      h(
        "div",
        { class: "row" },
        field("Max attempts", maxAttempts, "1–20 before a delivery is dead-lettered"),
        field("Max per minute", maxPerMinute, "0: no limit; over it, Slack, Teams and email send a digest"),
      ),
      error,
      h("div", { class: "inline" }, h("button", { type: "submit", testid: "channel-add" }, "Add channel")),
    );
    return form;
  };

  // ---- routes ----

  const deleteRoute = async (route: Route) => {
    if (!window.confirm(`Delete the route "${route.name}"? Pending deliveries it made are still sent.`)) return;
    routeErrors.delete(route.id);
    try {
      await ctx.client.notifications.deleteRoute({ routeId: route.id });
      ctx.notify(`Route "${route.name}" deleted`);
      await loadRoutes();
    } catch (error) {
      routeErrors.set(route.id, explain("Delete", error));
    }
    renderRoutes();
  };

  const levelSummary = (route: Route) =>
    h(
      "ol",
      { class: "route-levels" },
      route.levels.map((level, index) => {
        const who = [
          level.technicianIds.length ? `pages ${level.technicianIds.map(technicianName).join(", ")}` : "",
          level.toOnDutyTechnicians ? "on-duty technicians" : "",
          level.toAssignedTechnician ? "assigned technician" : "",
        ].filter(Boolean);
        return h(
          "li",
          { testid: "route-level-summary", "data-level": String(index + 1), "data-delay-seconds": String(level.delaySeconds) },
          h("strong", null, index === 0 ? formatSeconds(level.delaySeconds) : `after ${formatSeconds(level.delaySeconds)}`),
          ": ",
          h("span", { testid: "route-level-channels" }, level.channelIds.map(channelName).join(", ")),
          who.length ? h("span", { class: "muted" }, ` · ${who.join(" · ")}`) : null,
        );
      }),
    );

  const renderRoutes = () => {
    remount(
      routesList,
      errorLine(routesError, "routes-error"),
      !loaded
        ? placeholder("Loading…")
        : routes.length === 0
          ? placeholder("No routes yet: nothing is notified. Add one below.", "no-routes")
          : h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { testid: "routes-table", class: "settings-table" },
                h("thead", null, h("tr", null, ["Name", "Events", "Priorities", "Levels", "When", "Repeats", ""].map((t) => h("th", { scope: "col" }, t)))),
                h(
                  "tbody",
                  null,
                  routes.map((r) =>
                    h(
                      "tr",
                      { testid: "route-row", "data-route-id": r.id, "data-name": r.name },
                      h("th", { scope: "row" }, r.name),
                      h("td", { testid: "route-events" }, r.events.map(eventName).join(", ")),
                      h("td", { class: "nowrap", testid: "route-priority" }, r.maxPriority <= 1 ? "P1 only" : `P1–P${r.maxPriority}`),
                      h("td", null, levelSummary(r)),
                      h(
                        "td",
                        { testid: "route-when" },
                        r.windows.length === 0 ? "always" : r.windows.map(windowText).join("; "),
                        h("span", { class: "muted" }, ` (${r.timeZone || "UTC"})`),
                      ),
                      h(
                        "td",
                        { testid: "route-repeats" },
                        r.repeatCount ? `${r.repeatCount}× every ${formatSeconds(r.repeatIntervalSeconds)}` : "—",
                      ),
                      h(
                        "td",
                        { class: "row-actions" },
                        h("button", { type: "button", class: "danger small", testid: "route-delete", "aria-label": `Delete ${r.name}`, onclick: () => void deleteRoute(r) }, "Delete"),
                        errorLine(routeErrors.get(r.id) ?? "", "route-row-error"),
                      ),
                    ),
                  ),
                ),
              ),
            ),
    );
  };

  interface LevelRow {
    element: HTMLFieldSetElement;
    /** Rebuilds the channel and technician choices from the current lists, keeping what is ticked. */
    refresh(): void;
    value(): MessageInitShape<typeof EscalationLevelSchema>;
    delay(): number;
    setNumber(n: number, count: number): void;
  }

  const buildLevelRow = (onRemove: (row: LevelRow) => void, delay: number): LevelRow => {
    const legend = h("legend");
    const delayInput = h("input", { type: "number", min: "0", max: "86400", step: "1", value: String(delay), testid: "route-level-delay" });
    const channelChoices = h("div", { class: "choices" });
    const technicianChoices = h("div", { class: "choices" });
    const [onDutyLabel, onDuty] = checkbox("route-level-on-duty", "On-duty technicians");
    const [assignedLabel, assigned] = checkbox("route-level-assigned", "The assigned technician");
    const remove = h("button", { type: "button", class: "danger small", testid: "route-level-remove" }, "Remove level");
    const channelIds = new Set<string>();
    const technicianIds = new Set<string>();

    const choices = (items: { id: string; label: string }[], chosen: Set<string>, testid: string, attr: string) =>
      items.map(({ id, label }) => {
        const [wrap, input] = checkbox(testid, label, { [attr]: id });
        input.checked = chosen.has(id);
        input.addEventListener("change", () => (input.checked ? chosen.add(id) : chosen.delete(id)));
        return wrap;
      });
    const refresh = () => {
      for (const id of [...channelIds]) if (!channels.some((c) => c.id === id)) channelIds.delete(id);
      for (const id of [...technicianIds]) if (!technicians.some((t) => t.id === id)) technicianIds.delete(id);
      remount(
        channelChoices,
        channels.length === 0
          ? placeholder("No channels yet: add one above.")
          : choices(
              channels.map((c) => ({ id: c.id, label: `${c.name} (${kindName(c.kind)})` })),
              channelIds,
              "route-level-channel",
              "data-channel-id",
            ),
      );
      remount(
        technicianChoices,
        technicians.length === 0
          ? placeholder("No technicians.")
          : choices(
              technicians.map((t) => ({ id: t.id, label: t.slackMemberId ? `${t.name} (Slack ${t.slackMemberId})` : t.name })),
              technicianIds,
              "route-level-technician",
              "data-technician-id",
            ),
      );
    };
    const element = h(
      "fieldset",
      { class: "level", testid: "route-level" },
      legend,
      h("div", { class: "row" }, field("Delay (seconds)", delayInput, "after the change; later levels only while nobody acknowledged"), remove),
      h("fieldset", { class: "plain" }, h("legend", null, "Channels"), channelChoices),
      h(
        "fieldset",
        { class: "plain" },
        h("legend", null, "Technicians to page"),
        technicianChoices,
        h("div", { class: "choices" }, onDutyLabel, assignedLabel),
        h("small", { class: "hint" }, "Reached through the level's email channels (their addresses) and Slack channels (their Slack member ids)."),
      ),
    );
    const row: LevelRow = {
      element,
      refresh,
      delay: () => intOf(delayInput),
      value: () => ({
        delaySeconds: intOf(delayInput),
        channelIds: channels.filter((c) => channelIds.has(c.id)).map((c) => c.id),
        technicianIds: technicians.filter((t) => technicianIds.has(t.id)).map((t) => t.id),
        toOnDutyTechnicians: onDuty.checked,
        toAssignedTechnician: assigned.checked,
      }),
      setNumber: (n, count) => {
        legend.textContent = n === 1 ? "Level 1" : `Level ${n} (escalation)`;
        element.dataset.level = String(n);
        remove.disabled = count === 1;
        remove.setAttribute("aria-label", `Remove level ${n}`);
      },
    };
    remove.addEventListener("click", () => onRemove(row));
    refresh();
    return row;
  };

  interface RouteForm {
    element: HTMLFormElement;
    refresh(): void;
  }
  let routeForm: RouteForm | undefined;

  const buildRouteForm = (): RouteForm => {
    const name = h("input", { type: "text", required: true, maxlength: "200", testid: "route-name" });
    const events = EVENTS.map(([value, label, hint]) => {
      const [wrap, input] = checkbox(`route-event-${label.replace(/ /g, "-")}`, label);
      wrap.title = hint;
      return { value, wrap, input };
    });
    const maxPriority = h(
      "select",
      { testid: "route-max-priority" },
      h("option", { value: "1" }, "P1 only"),
      h("option", { value: "2" }, "P1–P2"),
      h("option", { value: "3" }, "P1–P3"),
      h("option", { value: "4", selected: true }, "Every priority (P1–P4)"),
    );
    const levelsBox = h("div", { class: "levels" });
    const levels: LevelRow[] = [];
    const renderLevels = () => {
      levels.forEach((row, index) => row.setNumber(index + 1, levels.length));
      remount(levelsBox, levels.map((row) => row.element));
    };
    const removeLevel = (row: LevelRow) => {
      if (levels.length === 1) return;
      levels.splice(levels.indexOf(row), 1);
      renderLevels();
    };
    const addLevel = () => {
      const last = levels[levels.length - 1];
      levels.push(buildLevelRow(removeLevel, last ? Math.min(Math.max(last.delay(), 0) + 600, 86_400) : 0));
      renderLevels();
    };
    addLevel();
    const repeatInterval = h("input", { type: "number", min: "0", max: "86400", step: "1", placeholder: "0", testid: "route-repeat-interval" });
    const repeatCount = h("input", { type: "number", min: "0", max: "20", step: "1", placeholder: "0", testid: "route-repeat-count" });
    const timeZone = h("input", { type: "text", value: "UTC", maxlength: "64", spellcheck: "false", testid: "route-time-zone", list: "aw-time-zones" });
    const zones = h(
      "datalist",
      { id: "aw-time-zones" },
      ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"].map((z) =>
        h("option", { value: z }),
      ),
    );
    const weekdays = WEEKDAYS.map((day, index) => {
      const [wrap, input] = checkbox(`route-weekday-${index + 1}`, day);
      return { day: index + 1, wrap, input };
    });
    const start = h("input", { type: "text", inputmode: "numeric", placeholder: "08:00", pattern: "[0-2][0-9]:[0-5][0-9]", maxlength: "5", testid: "route-window-start" });
    const end = h("input", { type: "text", inputmode: "numeric", placeholder: "18:00", pattern: "[0-2][0-9]:[0-5][0-9]", maxlength: "5", testid: "route-window-end" });
    const error = h("div", { "aria-live": "polite" });

    const element = h(
      "form",
      {
        class: "stack",
        "aria-label": "Add a route",
        testid: "route-form",
        onsubmit: async (event: Event) => {
          event.preventDefault();
          mount(error);
          const days = weekdays.filter((d) => d.input.checked).map((d) => d.day);
          const windowed = days.length > 0 || start.value.trim() !== "" || end.value.trim() !== "";
          const submit = element.querySelector<HTMLButtonElement>('button[type="submit"]');
          if (submit) submit.disabled = true;
          try {
            const answer = await ctx.client.notifications.createRoute({
              companyId,
              name: name.value.trim(),
              events: events.filter((e) => e.input.checked).map((e) => e.value),
              maxPriority: Number(maxPriority.value),
              levels: levels.map((row) => row.value()),
              windows: windowed ? [{ weekdays: days, startTime: start.value.trim(), endTime: end.value.trim() }] : [],
              timeZone: timeZone.value.trim(),
              repeatIntervalSeconds: intOf(repeatInterval),
              repeatCount: intOf(repeatCount),
            });
            ctx.notify(`Route "${answer.route?.name ?? name.value}" added`);
            await loadRoutes().catch((failure) => (routesError = explain("Cannot list the routes", failure)));
            renderRoutes();
            routeForm = buildRouteForm();
            mount(routeFormSlot, routeForm.element);
          } catch (failure) {
            mount(error, errorLine(explain("Add route", failure), "route-form-error"));
            if (submit) submit.disabled = false;
          }
        },
      },
      h("div", { class: "row" }, field("Name", name, "unique within the company"), field("Priorities", maxPriority, "the least urgent priority it notifies for")),
      h("fieldset", { testid: "route-events" }, h("legend", null, "Events"), h("div", { class: "choices" }, events.map((e) => e.wrap))),
      h("h3", null, "Escalation levels"),
      h("p", { class: "hint" }, "Level 1 is sent for every event; later levels only for opened, reopened and storm opened, and only if nobody acknowledged or resolved the incident by their delay. Delays must not decrease."),
      levelsBox,
      h("div", { class: "inline" }, h("button", { type: "button", class: "secondary", testid: "route-add-level", onclick: addLevel }, "Add level")),
      h(
        "div",
        { class: "row" },
        field("Repeat every (seconds)", repeatInterval, "after the last level, while nobody acknowledges; empty: no repeats"),
        field("Repeat count", repeatCount, "0–20; set with the interval"),
      ),
      h(
        "fieldset",
        { testid: "route-window" },
        h("legend", null, "Weekly window (optional)"),
        h("p", { class: "hint" }, "Empty: always. Weekdays the window starts on (none: every day); an end at or before the start runs past midnight."),
        h("div", { class: "choices" }, weekdays.map((d) => d.wrap)),
        h("div", { class: "row" }, field("Start (HH:MM)", start), field("End (HH:MM)", end, "24:00 for midnight"), field("Time zone", timeZone, "IANA name, e.g. Europe/Berlin"), zones),
      ),
      error,
      h("div", { class: "inline" }, h("button", { type: "submit", testid: "route-add" }, "Add route")),
    );
    return {
      element,
      refresh: () => levels.forEach((row) => row.refresh()),
    };
  };

  // ---- loading ----

  const loadChannels = async () => {
    channels = await allPages(async (pageToken) => {
      const answer = await ctx.client.notifications.listChannels({ companyId, pageSize: 500, pageToken });
      return { items: answer.channels, next: answer.nextPageToken };
    }, 5);
    channelsError = "";
  };
  const loadRoutes = async () => {
    routes = await allPages(async (pageToken) => {
      const answer = await ctx.client.notifications.listRoutes({ companyId, pageSize: 500, pageToken });
      return { items: answer.routes, next: answer.nextPageToken };
    }, 5);
    routesError = "";
  };

  mount(
    channelsCard,
    h("h2", { id: "channels-title" }, "Notification channels"),
    h("p", { class: "hint" }, "Where notifications go. Routes below choose which incident changes reach which channels."),
    secretSlot,
    channelsList,
    h("h3", null, "Add a channel"),
    channelFormSlot,
  );
  mount(
    routesCard,
    h("h2", { id: "routes-title" }, "Notification routes and escalation"),
    routesList,
    h("h3", null, "Add a route"),
    routeFormSlot,
  );
  mount(channelFormSlot, buildChannelForm());
  routeForm = buildRouteForm();
  mount(routeFormSlot, routeForm.element);
  renderChannels();
  renderRoutes();

  return {
    element: h("div", { class: "company-notifications", testid: "company-notifications" }, channelsCard, routesCard),
    setTechnicians: (list) => {
      technicians = list;
      routeForm?.refresh();
      if (loaded) renderRoutes();
    },
    load: async () => {
      await Promise.all([
        loadChannels().catch((error) => (channelsError = explain("Cannot list the channels", error))),
        loadRoutes().catch((error) => (routesError = explain("Cannot list the routes", error))),
      ]);
      loaded = true;
      renderChannels();
      renderRoutes();
      routeForm?.refresh();
    },
  };
}

/**
 * The Slack member id of a technician, with Edit (UpdateTechnician, update_mask
 * ["slack_member_id"]; empty clears it). `onSaved` gets the updated technician.
 */
export function slackMemberCell(ctx: Ctx, technician: Technician, onSaved: (updated: Technician) => void): HTMLElement {
  const cell = h("td", { testid: "technician-slack" });
  const show = (error = "") =>
    mount(
      cell,
      h(
        "div",
        { class: "inline" },
        technician.slackMemberId ? h("code", { testid: "technician-slack-value" }, technician.slackMemberId) : h("span", { testid: "technician-slack-value" }, "—"),
        h("button", { type: "button", class: "secondary small", testid: "technician-slack-edit", "aria-label": `Edit the Slack member id of ${technician.name}`, onclick: () => edit() }, "Edit"),
      ),
      error ? h("p", { class: "error", role: "alert", testid: "technician-slack-error" }, error) : null,
    );
  const edit = (error = "", typed?: string) => {
    const input = h("input", {
      type: "text",
      value: typed ?? technician.slackMemberId,
      maxlength: "21",
      placeholder: "U024BE7LH",
      spellcheck: "false",
      "aria-label": `Slack member id of ${technician.name}`,
      testid: "technician-slack-input",
    });
    const form = h(
      "form",
      {
        class: "inline",
        onsubmit: async (event: Event) => {
          event.preventDefault();
          try {
            const answer = await ctx.client.tenants.updateTechnician({
              technicianId: technician.id,
              slackMemberId: input.value.trim(),
              updateMask: create(FieldMaskSchema, { paths: ["slack_member_id"] }),
            });
            if (answer.technician) {
              technician = answer.technician;
              onSaved(answer.technician);
            }
            ctx.notify(`Slack member id of ${technician.name} saved`);
            show();
          } catch (failure) {
            if (errorCode(failure) === Code.Unauthenticated) ctx.fail(failure);
            edit(`Save: ${errorText(failure)}`, input.value);
          }
        },
      },
      input,
      h("button", { type: "submit", class: "small", testid: "technician-slack-save" }, "Save"),
      h("button", { type: "button", class: "secondary small", testid: "technician-slack-cancel", onclick: () => show() }, "Cancel"),
    );
    mount(cell, form, error ? h("p", { class: "error", role: "alert", testid: "technician-slack-error" }, error) : null);
    input.focus();
  };
  show();
  return cell;
}
