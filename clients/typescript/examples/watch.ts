// Watch a company's incidents live over grpc-web (WatchIncidents, a server stream) and
// acknowledge one. Run by scripts/test-clients, where it checks the whole flow:
//
//   1. create a company (operator token) and open its incident stream;
//   2. ingest an alert with the company's API key;
//   3. wait on the stream for the incident the alert opened;
//   4. close the stream (as a dropped connection would), acknowledge the incident, and reopen
//      the stream with after_sequence = the last sequence seen: the acknowledgement is
//      replayed, nothing is lost;
//   5. assert the incident is acknowledged.
//
//   AW_URL=http://127.0.0.1:8080 AW_TOKEN=awo_... node dist/examples/watch.js
//
// With AW_COMPANY_ID set it only follows that company's stream and prints every change,
// reconnecting with after_sequence after any failure (Ctrl+C to stop):
//
//   AW_URL=... AW_TOKEN=... AW_COMPANY_ID=... node dist/examples/watch.js
import assert from "node:assert/strict";

import { Code, ConnectError, createClient as createConnectClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import {
  IncidentEventKind,
  IncidentStatus,
  IngestService,
  Severity,
  apiKey,
  createClient,
} from "../src/index.js";
import type { AlertWhispererClient, IncidentFeedEvent } from "../src/index.js";

const baseUrl = process.env.AW_URL;
const token = process.env.AW_TOKEN;
if (!baseUrl || !token) {
  throw new Error("set AW_URL and AW_TOKEN");
}
const aw = createClient(baseUrl, token);

/**
 * Every incident change of a company, for ever: resumes after the last sequence seen (events
 * and heartbeats carry one) when the stream fails, with a capped exponential backoff.
 */
async function* followIncidents(
  client: AlertWhispererClient,
  companyId: string,
  signal: AbortSignal,
): AsyncGenerator<IncidentFeedEvent> {
  let afterSequence: bigint | undefined; // unset: start live, the first heartbeat tells where
  let attempt = 0;
  while (!signal.aborted) {
    try {
      for await (const message of client.incidents.watchIncidents({ companyId, afterSequence }, { signal })) {
        attempt = 0;
        const { payload } = message;
        if (payload.case === "heartbeat") {
          if (afterSequence === undefined || payload.value.sequence > afterSequence) afterSequence = payload.value.sequence;
        } else if (payload.case === "event") {
          afterSequence = payload.value.sequence;
          yield payload.value;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ConnectError && error.code === Code.OutOfRange) {
        afterSequence = undefined; // the log no longer holds our position: list again, then follow
      } else if (error instanceof ConnectError && [Code.Unauthenticated, Code.NotFound, Code.Unimplemented].includes(error.code)) {
        throw error; // retrying will not help
      }
      console.error(`stream failed (${error}); resuming after sequence ${afterSequence ?? "(live)"}`);
    }
    const wait = Math.min(30_000, 500 * 2 ** attempt++);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

const describe = (e: IncidentFeedEvent) =>
  `#${e.sequence} ${IncidentEventKind[e.kind]} ${e.incident?.id} ` +
  `[${IncidentStatus[e.incident?.status ?? 0]}] ${e.incident?.asset} ${e.incident?.signature}: ${e.message}`;

if (process.env.AW_COMPANY_ID) {
  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  for await (const event of followIncidents(aw, process.env.AW_COMPANY_ID, stop.signal)) {
    console.log(describe(event));
  }
  process.exit(0);
}

// ---- the checked flow ----

const created = await aw.tenants.createCompany({ name: `ts-watch-${Date.now()}` });
const companyId = created.company?.id ?? "";
assert.ok(companyId, "CreateCompany returned no company id");

/** Reads `stream` until `predicate` holds for an event; returns it and the last sequence seen. */
async function waitForEvent(
  afterSequence: bigint | undefined,
  predicate: (e: IncidentFeedEvent) => boolean,
  onOpen: () => Promise<void> = async () => {},
): Promise<{ event: IncidentFeedEvent; sequence: bigint }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  let sequence = afterSequence ?? 0n;
  let opened = false;
  try {
    for await (const message of aw.incidents.watchIncidents({ companyId, afterSequence }, { signal: abort.signal })) {
      const { payload } = message;
      if (payload.case === "heartbeat" && payload.value.sequence > sequence) sequence = payload.value.sequence;
      if (!opened) {
        // The stream is open (a fresh stream starts with a heartbeat): now make the change.
        opened = true;
        await onOpen();
      }
      if (payload.case === "event") {
        sequence = payload.value.sequence;
        console.log(`  event ${describe(payload.value)}`);
        if (predicate(payload.value)) return { event: payload.value, sequence };
      }
    }
    throw new Error("the stream ended before the expected event");
  } catch (error) {
    if (abort.signal.aborted) throw new Error("no matching event within 20 s");
    throw error;
  } finally {
    clearTimeout(timer);
    abort.abort(); // closes the stream
  }
}

// 1–3: a fresh stream (no after_sequence) starts with a heartbeat; then ingest and wait.
const ingest = createConnectClient(
  IngestService,
  createGrpcWebTransport({ baseUrl, interceptors: [apiKey(created.apiKeySecret)] }),
);
const opened = await waitForEvent(
  undefined,
  (e) => e.kind === IncidentEventKind.CREATED && e.incident?.asset === "db-01",
  async () => {
    const answer = await ingest.ingestAlert({
      alert: {
        asset: "db-01",
        signature: "replication_lag",
        severity: Severity.CRITICAL,
        message: "replica 45 s behind",
        toolSource: "ts-example",
      },
    });
    console.log(`  ingested alert ${answer.result?.alertId}`);
  },
);
const incidentId = opened.event.incident?.id ?? "";
assert.ok(incidentId, "the CREATED event carries no incident");
assert.equal(opened.event.incident?.status, IncidentStatus.OPEN);

// 4: the stream is closed; acknowledge, then resume after the last sequence seen.
const acked = await aw.incidents.acknowledgeIncident({ incidentId, comment: "on it (ts example)" });
assert.equal(acked.incident?.status, IncidentStatus.ACKNOWLEDGED);
const replayed = await waitForEvent(
  opened.sequence,
  (e) => e.incident?.id === incidentId && e.kind === IncidentEventKind.ACKNOWLEDGED,
);
assert.ok(replayed.sequence > opened.sequence, "resumed stream went backwards");

// 5: the incident as the server has it now.
const got = await aw.incidents.getIncident({ incidentId });
assert.equal(got.incident?.status, IncidentStatus.ACKNOWLEDGED, "the incident is not acknowledged");
console.log(`typescript watch: incident ${incidentId} opened, watched and acknowledged (resumed after #${opened.sequence})`);
