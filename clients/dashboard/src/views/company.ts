// One company: webhook and HMAC (enable, rotate, disable), API keys, technicians (with their Slack
// member ids), the correlation settings (window, auto-correlate, aggregation key) with a preview of
// the noise reduction a change would give over the last 24 hours, and the notification channels
// and routes (company-notifications.ts).
import { create } from "@bufbuild/protobuf";
import { DurationSchema, FieldMaskSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";

import { Code, CorrelationConfigSchema, allPages, errorCode, errorText, formatPct, formatTime } from "../api.js";
import type { ApiKey, Company, CorrelationConfig, PreviewCorrelationResponse, Technician } from "../api.js";
import type { Ctx, View } from "../context.js";
import { copyable, field, h, mount } from "../dom.js";
import { pageHeader, placeholder } from "./common.js";
import { companyNotifications, slackMemberCell } from "./company-notifications.js";
import { apiKeyPanel, curlExample, signedCurlExample, webhookUrl } from "./webhook.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export function companyView(ctx: Ctx, companyId: string): View {
  let company: Company | undefined;
  let keys: ApiKey[] = [];
  let technicians: Technician[] = [];
  let config: CorrelationConfig | undefined;
  let configError = "";

  const head = h("div", null, pageHeader("Company"));
  const reveal = h("div", { "aria-live": "polite" });
  const hmac = h("section", { class: "card", "aria-labelledby": "hmac-title" });
  const keysSection = h("section", { class: "card", "aria-labelledby": "keys-title" });
  const techSection = h("section", { class: "card", "aria-labelledby": "tech-title" });
  const correlation = h("section", { class: "card", "aria-labelledby": "corr-title", testid: "correlation-settings" });
  const awsSection = h("section", { class: "card", "aria-labelledby": "aws-title", testid: "aws-role" });
  // Created once, so that what was typed survives a failed save.
  const roleArnInput = h("input", { type: "text", spellcheck: "false", placeholder: "arn:aws:iam::123456789012:role/AlertWhisperer", testid: "aws-role-arn" });
  const externalIdInput = h("input", { type: "text", spellcheck: "false", testid: "aws-external-id" });
  let awsMessage: HTMLElement | null = null;
  const notifications = companyNotifications(ctx, companyId);

  const renderHead = () => {
    mount(
      head,
      h("p", null, h("a", { href: "#/companies" }, "← Companies")),
      pageHeader(company?.name ?? "Company", h("p", { class: "subtitle muted" }, companyId)),
      company
        ? h(
            "dl",
            { class: "facts" },
            h("dt", null, "Website"),
            h("dd", null, company.website || "—"),
            h("dt", null, "Contact"),
            h("dd", null, company.contactEmail || "—"),
            h("dt", null, "Created"),
            h("dd", null, formatTime(company.createTime)),
          )
        : null,
    );
  };

  const renderHmac = () => {
    const enabled = company?.hmacEnabled ?? false;
    const call = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
        ctx.notify(`${what}: done`);
      } catch (error) {
        ctx.fail(error, what);
      }
      renderHmac();
    };
    const showSecret = (secret: string, title: string) =>
      mount(
        reveal,
        h(
          "section",
          { class: "card reveal", testid: "hmac-panel" },
          h("h2", null, title),
          h("p", { class: "warning" }, "The secret is shown only now. Sign each webhook body with it: X-Timestamp and X-Signature: sha256=HMAC(secret, \"{timestamp}.{body}\")."),
          copyable(secret, "hmac-secret"),
          h("h3", null, "Signed request"),
          copyable(signedCurlExample("<API key>", secret), "signed-curl-example", true),
        ),
      );
    mount(
      hmac,
      h("h2", { id: "hmac-title" }, "Webhook and HMAC signing"),
      h("p", null, "Webhook URL: ", copyable(webhookUrl(), "webhook-url")),
      h("p", { testid: "hmac-status" }, enabled ? "HMAC signatures are required on this company's webhooks." : "HMAC signing is off: the API key alone authenticates."),
      h(
        "div",
        { class: "inline" },
        enabled
          ? [
              h(
                "button",
                {
                  type: "button",
                  testid: "action-rotate-hmac",
                  onclick: () =>
                    call("Rotate HMAC secret", async () => {
                      const answer = await ctx.client.tenants.rotateHmacSecret({ companyId });
                      showSecret(answer.secret, "New HMAC secret (the previous one verifies for 24 h)");
                    }),
                },
                "Rotate secret",
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "danger",
                  testid: "action-disable-hmac",
                  onclick: () => {
                    if (!window.confirm("Disable HMAC and destroy this company's secrets?")) return;
                    void call("Disable HMAC", async () => {
                      company = (await ctx.client.tenants.disableHmac({ companyId })).company ?? company;
                      mount(reveal);
                    });
                  },
                },
                "Disable",
              ),
            ]
          : h(
              "button",
              {
                type: "button",
                testid: "action-enable-hmac",
                onclick: () =>
                  call("Enable HMAC", async () => {
                    const answer = await ctx.client.tenants.enableHmac({ companyId });
                    company = answer.company ?? company;
                    showSecret(answer.secret, "HMAC secret");
                  }),
              },
              "Enable HMAC",
            ),
      ),
    );
  };

  const renderKeys = () => {
    mount(
      keysSection,
      h("h2", { id: "keys-title" }, "API keys"),
      keys.length === 0
        ? placeholder("No active API keys.")
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { testid: "api-keys-table" },
              h("thead", null, h("tr", null, ["Prefix", "Label", "Created", "Expires", "Last used"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                null,
                keys.map((k) =>
                  h(
                    "tr",
                    null,
                    h("td", null, h("code", null, `${k.prefix}…`)),
                    h("td", null, k.label || "—"),
                    h("td", null, formatTime(k.createTime)),
                    h("td", null, k.expireTime ? formatTime(k.expireTime) : "never"),
                    h("td", null, k.lastUsedTime ? formatTime(k.lastUsedTime) : "never"),
                  ),
                ),
              ),
            ),
          ),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          testid: "action-create-api-key",
          onclick: async () => {
            try {
              const answer = await ctx.client.tenants.createApiKey({ companyId, label: "dashboard" });
              mount(reveal, apiKeyPanel(answer.apiKeySecret, "New API key"));
              await loadKeys();
              renderKeys();
            } catch (error) {
              ctx.fail(error, "Create API key");
            }
          },
        },
        "Create another API key",
      ),
      h("details", null, h("summary", null, "Example request"), copyable(curlExample("<API key>"), "curl-example-generic", true)),
    );
  };

  const renderTechnicians = () => {
    const name = h("input", { type: "text", required: true, maxlength: "200", testid: "technician-name" });
    const email = h("input", { type: "email", required: true, testid: "technician-email" });
    const skills = h("input", { type: "text", placeholder: "linux, network", testid: "technician-skills" });
    const onDuty = h("input", { type: "checkbox", checked: true, testid: "technician-on-duty" });
    const slack = h("input", { type: "text", maxlength: "21", placeholder: "U024BE7LH", spellcheck: "false", testid: "technician-slack-member" });
    const saved = (updated: Technician) => {
      technicians = technicians.map((t) => (t.id === updated.id ? updated : t));
      notifications.setTechnicians(technicians);
    };
    mount(
      techSection,
      h("h2", { id: "tech-title" }, "Technicians"),
      technicians.length === 0
        ? placeholder("No technicians yet.")
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { testid: "technicians-table" },
              h("thead", null, h("tr", null, ["Name", "E-mail", "Skills", "On duty", "Slack member id"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                null,
                technicians.map((t) =>
                  h(
                    "tr",
                    { testid: "technician-row", "data-technician-id": t.id },
                    h("td", null, t.name),
                    h("td", null, t.email),
                    h("td", null, t.skills.join(", ") || "—"),
                    h("td", null, t.onDuty ? "yes" : "no"),
                    slackMemberCell(ctx, t, saved),
                  ),
                ),
              ),
            ),
          ),
      h(
        "form",
        {
          class: "row",
          "aria-label": "Add a technician",
          onsubmit: async (event: Event) => {
            event.preventDefault();
            try {
              await ctx.client.tenants.createTechnician({
                companyId,
                name: name.value.trim(),
                email: email.value.trim(),
                skills: skills.value
                  .split(",")
                  .map((s) => s.trim().toLowerCase())
                  .filter(Boolean),
                onDuty: onDuty.checked,
                slackMemberId: slack.value.trim(),
              });
              ctx.notify("Technician added");
              await loadTechnicians();
              renderTechnicians();
            } catch (error) {
              ctx.fail(error, "Add technician");
            }
          },
        },
        field("Name", name),
        field("E-mail", email),
        field("Skills", skills, "comma-separated"),
        field("Slack member id", slack, "optional: U… or W…, mentioned when a Slack level pages them"),
        h("div", { class: "field checkbox" }, h("label", null, onDuty, " On duty")),
        h("button", { type: "submit", testid: "add-technician" }, "Add technician"),
      ),
    );
  };

  const renderAws = () => {
    const role = company?.awsRole;
    const setRole = async (roleArn: string, externalId: string, what: string) => {
      try {
        const answer = await ctx.client.tenants.setAwsRole({ companyId, roleArn, externalId });
        company = answer.company ?? company;
        roleArnInput.value = company?.awsRole?.roleArn ?? "";
        externalIdInput.value = company?.awsRole?.externalId ?? "";
        awsMessage = h("p", { class: "ok", role: "status", testid: "aws-role-saved" }, `${what}: done`);
      } catch (error) {
        if (errorCode(error) === Code.Unauthenticated) {
          ctx.fail(error);
          return;
        }
        awsMessage = h("p", { class: "error", role: "alert", testid: "aws-role-error" }, `${what}: ${errorText(error)}`);
      }
      renderAws();
    };
    mount(
      awsSection,
      h("h2", { id: "aws-title" }, "AWS role"),
      h(
        "p",
        { testid: "aws-role-status" },
        role?.roleArn
          ? ["Alert Whisperer assumes ", h("code", { class: "break" }, role.roleArn), " (external ID ", h("code", null, role.externalId), ") for compliance syncs and runbooks."]
          : "No AWS role: compliance syncs and runbooks cannot reach this company's AWS account until one is set.",
      ),
      h(
        "form",
        {
          onsubmit: (event: Event) => {
            event.preventDefault();
            void setRole(roleArnInput.value.trim(), externalIdInput.value.trim(), "Set AWS role");
          },
        },
        h(
          "div",
          { class: "row" },
          field("Role ARN", roleArnInput, "arn:aws:iam::<12-digit account>:role/<name>"),
          field("External ID", externalIdInput, "the one the role's trust policy requires (2–1224 characters)"),
        ),
        h(
          "div",
          { class: "inline" },
          h("button", { type: "submit", testid: "aws-role-save" }, "Save role"),
          role?.roleArn
            ? h(
                "button",
                {
                  type: "button",
                  class: "danger",
                  testid: "aws-role-clear",
                  onclick: () => {
                    if (window.confirm("Clear this company's AWS role? Syncs and runbooks stop reaching its account.")) void setRole("", "", "Clear AWS role");
                  },
                },
                "Clear role",
              )
            : null,
        ),
      ),
      awsMessage,
    );
  };

  const renderCorrelation = () => {
    if (!config) {
      mount(correlation, h("h2", { id: "corr-title" }, "Correlation"), configError ? h("p", { class: "error", role: "alert" }, configError) : placeholder("Loading…"));
      return;
    }
    const current = config;
    const minutes = Math.round(Number(current.window?.seconds ?? 600n) / 60);
    const windowInput = h("input", { type: "number", min: "5", max: "15", step: "1", required: true, value: String(minutes), testid: "correlation-window" });
    // A custom validity message set by valid() blocks the form's submission until it is cleared,
    // and submit (where valid() runs) never fires while it blocks: clear it as soon as the value
    // changes, so that a corrected value can be saved.
    windowInput.addEventListener("input", () => windowInput.setCustomValidity(""));
    const autoInput = h("input", { type: "checkbox", checked: current.autoCorrelate, testid: "correlation-auto" });
    const keyInput = h("input", { type: "text", required: true, value: current.aggregationKey, testid: "correlation-key", spellcheck: "false" });
    const previewOut = h("div", { "aria-live": "polite", testid: "preview-result" });

    const candidate = (): CorrelationConfig => {
      const value = create(CorrelationConfigSchema, current);
      value.window = create(DurationSchema, { seconds: BigInt(Math.round(Number(windowInput.value) * 60)) });
      value.autoCorrelate = autoInput.checked;
      value.aggregationKey = keyInput.value.trim();
      return value;
    };
    const valid = (): boolean => {
      const m = Number(windowInput.value);
      if (!Number.isInteger(m) || m < 5 || m > 15) {
        windowInput.setCustomValidity("The window is 5 to 15 minutes.");
        windowInput.reportValidity();
        return false;
      }
      windowInput.setCustomValidity("");
      return true;
    };

    const preview = async () => {
      if (!valid()) return;
      mount(previewOut, placeholder("Replaying the last 24 hours…"));
      const startTime = timestampFromMs(Date.now() - DAY_MS);
      try {
        const [before, after] = await Promise.all([
          ctx.client.correlation.previewCorrelation({ companyId, config: current, startTime }),
          ctx.client.correlation.previewCorrelation({ companyId, config: candidate(), startTime }),
        ]);
        const line = (label: string, r: PreviewCorrelationResponse) =>
          h("tr", null, h("th", { scope: "row" }, label), h("td", { class: "num" }, String(r.alertCount)), h("td", { class: "num" }, String(r.incidentCount)), h("td", { class: "num" }, String(r.suppressedAlertCount)), h("td", { class: "num" }, r.alertCount > 0 ? formatPct(r.noiseReductionPct) : "no data yet"));
        const delta = after.noiseReductionPct - before.noiseReductionPct;
        mount(
          previewOut,
          h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              null,
              h("caption", null, "Last 24 hours replayed"),
              h("thead", null, h("tr", null, ["", "Alerts", "Incidents", "Suppressed", "Noise reduction"].map((t) => h("th", { scope: "col" }, t)))),
              h("tbody", null, line("Current settings", before), line("With these settings", after)),
            ),
          ),
          h(
            "p",
            { testid: "preview-delta" },
            before.alertCount > 0
              ? `Change in noise reduction: ${delta >= 0 ? "+" : ""}${delta.toFixed(1)} points.`
              : "No alerts in the last 24 hours: no data yet to compare.",
          ),
        );
      } catch (error) {
        mount(previewOut, h("p", { class: "error", role: "alert" }, `Preview failed: ${errorText(error)}`));
      }
    };

    const save = async (event: Event) => {
      event.preventDefault();
      if (!valid()) return;
      try {
        const answer = await ctx.client.correlation.updateCorrelationConfig({
          config: { ...candidate(), companyId },
          updateMask: create(FieldMaskSchema, { paths: ["window", "aggregation_key", "auto_correlate"] }),
        });
        config = answer.config;
        ctx.notify("Correlation settings saved");
        renderCorrelation();
      } catch (error) {
        ctx.fail(error, "Save correlation settings");
      }
    };

    mount(
      correlation,
      h("h2", { id: "corr-title" }, "Correlation"),
      h(
        "form",
        { onsubmit: save },
        h(
          "div",
          { class: "row" },
          field("Window (minutes)", windowInput, "5 to 15: an alert joins an open incident whose latest alert is at most this old"),
          field("Aggregation key", keyInput, "|-separated: asset, signature, severity, tool_source, labels.<name>"),
          h("div", { class: "field checkbox" }, h("label", null, autoInput, " Correlate alerts as they arrive")),
        ),
        h(
          "div",
          { class: "inline" },
          h("button", { type: "button", class: "secondary", testid: "action-preview", onclick: () => void preview() }, "Preview (last 24 h)"),
          h("button", { type: "submit", testid: "action-save-correlation" }, "Save"),
        ),
      ),
      previewOut,
      current.updateTime ? h("p", { class: "hint" }, `Last changed ${formatTime(current.updateTime)} by ${current.updatedBy}`) : h("p", { class: "hint" }, "Defaults in force."),
    );
  };

  const loadKeys = async () => {
    keys = (await ctx.client.tenants.listApiKeys({ companyId, pageSize: 100 })).apiKeys;
  };
  const loadTechnicians = async () => {
    technicians = await allPages(async (pageToken) => {
      const answer = await ctx.client.tenants.listTechnicians({ companyId, pageSize: 500, pageToken });
      return { items: answer.technicians, next: answer.nextPageToken };
    }, 5);
    notifications.setTechnicians(technicians);
  };

  renderHead();
  renderCorrelation();
  void (async () => {
    try {
      company = (await ctx.client.tenants.getCompany({ companyId })).company;
    } catch (error) {
      ctx.fail(error, "Company");
      return;
    }
    renderHead();
    renderHmac();
    roleArnInput.value = company?.awsRole?.roleArn ?? "";
    externalIdInput.value = company?.awsRole?.externalId ?? "";
    renderAws();
    await Promise.all([
      loadKeys().then(renderKeys, (error) => ctx.fail(error, "API keys")),
      loadTechnicians().then(renderTechnicians, (error) => ctx.fail(error, "Technicians")),
      notifications.load(),
      ctx.client.correlation.getCorrelationConfig({ companyId }).then(
        (answer) => {
          config = answer.config;
          renderCorrelation();
        },
        (error) => {
          configError = `Cannot load the correlation settings: ${errorText(error)}`;
          renderCorrelation();
        },
      ),
    ]);
  })();

  return {
    element: h("div", { class: "view company", testid: "company-detail" }, head, reveal, hmac, awsSection, correlation, techSection, notifications.element, keysSection),
    dispose: () => {},
  };
}
