// How a company sends alerts: the webhook URL and copyable curl examples (docs/integrations/seed.md).
import { copyable, h } from "../dom.js";

export function webhookUrl(): string {
  return `${window.location.origin}/api/webhooks/alerts`;
}

const SAMPLE =
  '{"asset_name": "web-01", "signature": "disk_full", "severity": "critical", ' +
  '"message": "/var is 97% full", "tool_source": "curl"}';

/** A curl command that posts one seed-format alert with the API key in X-API-Key. */
export function curlExample(apiKey: string): string {
  return [
    `curl -sS -X POST '${webhookUrl()}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -H 'X-API-Key: ${apiKey}' \\`,
    `  -d '${SAMPLE}'`,
  ].join("\n");
}

/** The same, signed with the company's HMAC secret (X-Timestamp, X-Signature). */
export function signedCurlExample(apiKey: string, secret: string): string {
  return [
    `body='${SAMPLE}'`,
    `ts=$(date +%s)`,
    `sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac '${secret}' | sed 's/^.*= //')`,
    `curl -sS -X POST '${webhookUrl()}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -H 'X-API-Key: ${apiKey}' \\`,
    `  -H "X-Timestamp: $ts" -H "X-Signature: sha256=$sig" \\`,
    `  -d "$body"`,
  ].join("\n");
}

/** The panel shown once after a key is created. */
export function apiKeyPanel(apiKey: string, title: string): HTMLElement {
  return h(
    "section",
    { class: "card reveal", testid: "api-key-panel", "aria-labelledby": "key-title" },
    h("h2", { id: "key-title" }, title),
    h("p", { class: "warning" }, "The API key is shown only now: the server stores only its hash. Copy it into your monitoring tool."),
    h("h3", null, "API key"),
    copyable(apiKey, "new-api-key"),
    h("h3", null, "Webhook URL"),
    copyable(webhookUrl(), "webhook-url"),
    h("p", { class: "hint" }, "POST JSON alerts here with the key in the X-API-Key header (or ?api_key=). Other tools have their own routes: see docs/webhooks.md."),
    h("h3", null, "Try it"),
    copyable(curlExample(apiKey), "curl-example", true),
  );
}
