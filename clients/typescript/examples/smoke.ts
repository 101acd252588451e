// Smoke test against a running server over grpc-web (run by scripts/test-clients):
// create a company with the operator token, ingest one alert with its API key.
//
//   AW_URL=http://127.0.0.1:8080 AW_TOKEN=awo_... node dist/examples/smoke.js
import assert from "node:assert/strict";

import { createClient as createConnectClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import {
  AlertOutcome,
  IngestService,
  Severity,
  apiKey,
  createClient,
} from "../src/index.js";

const baseUrl = process.env.AW_URL;
const token = process.env.AW_TOKEN;
if (!baseUrl || !token) {
  throw new Error("set AW_URL and AW_TOKEN");
}

const client = createClient(baseUrl, token);
const created = await client.tenants.createCompany({ name: `ts-smoke-${Date.now()}` });
assert.ok(created.company?.id, "CreateCompany returned no company id");
assert.ok(created.apiKeySecret, "CreateCompany returned no API key");

// Ingest authenticates with the company's API key in `x-api-key`.
const ingest = createConnectClient(
  IngestService,
  createGrpcWebTransport({ baseUrl, interceptors: [apiKey(created.apiKeySecret)] }),
);
const answer = await ingest.ingestAlert({
  alert: {
    asset: "web-01",
    signature: "disk_full",
    severity: Severity.CRITICAL,
    message: "disk / is 97% full",
    toolSource: "smoke-test",
  },
});
assert.equal(
  answer.result?.outcome,
  AlertOutcome.NEW_INCIDENT,
  `outcome ${AlertOutcome[answer.result?.outcome ?? 0]}: ${answer.result?.reason}`,
);
assert.ok(answer.result?.alertId, "IngestAlert returned no alert id");
assert.ok(answer.result?.incidentId, "the new company's first alert opened no incident");
console.log(`typescript smoke: company ${created.company.id}, alert ${answer.result.alertId} opened incident ${answer.result.incidentId}`);
