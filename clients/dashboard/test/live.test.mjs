// Unit test of the live feed's reconnection (src/live.ts) under Node, with a fake
// IncidentService (and RunbookService for the execution feed): after a failure the stream comes back by itself, resuming with
// after_sequence = the last sequence it saw (of an event or a heartbeat); after OUT_OF_RANGE it
// restarts from the live position and asks the views to list again.
//
//   node --test test/live.test.mjs
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");

async function loadModules() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "aw-live-"));
  const out = path.join(dir, "live.mjs");
  await esbuild.build({
    absWorkingDir: root,
    stdin: {
      contents: 'export { ExecutionFeed, LiveFeed, backoffMs } from "./src/live.ts"; export { Code, ConnectError } from "@connectrpc/connect";',
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: out,
    logLevel: "warning",
    plugins: [
      {
        // As in build.mjs: one copy of the runtime packages, from this package.
        name: "own-node-modules",
        setup(build) {
          build.onResolve({ filter: /^@(bufbuild|connectrpc)\// }, async (args) => {
            if (args.pluginData === "own") return undefined;
            return build.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: "own" });
          });
        },
      },
    ],
  });
  const modules = await import(pathToFileURL(out).href);
  await rm(dir, { recursive: true, force: true });
  return modules;
}

const { ExecutionFeed, LiveFeed, backoffMs, Code, ConnectError } = await loadModules();

const heartbeat = (sequence) => ({ payload: { case: "heartbeat", value: { sequence } } });
const event = (sequence, id) => ({
  payload: { case: "event", value: { sequence, companyId: "c1", incident: { id, companyId: "c1" } } },
});

/** A fake client whose n-th WatchIncidents call plays script[n]. */
function fakeClient(script) {
  const requests = [];
  return {
    requests,
    incidents: {
      watchIncidents(request, options) {
        requests.push({ companyId: request.companyId, afterSequence: request.afterSequence });
        const play = script[Math.min(requests.length - 1, script.length - 1)];
        return (async function* () {
          options?.onHeader?.(new Headers());
          yield* play(options.signal);
        })();
      },
    },
  };
}

const waitFor = async (predicate, what, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const hang = (signal) =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));

test("backoff doubles from 0.5 s up to 30 s, with jitter", () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const base = Math.min(30_000, 500 * 2 ** attempt);
    const wait = backoffMs(attempt);
    assert.ok(wait >= base / 2 && wait <= base, `attempt ${attempt}: ${wait}`);
  }
});

test("a failed stream resumes after the last sequence it saw", async () => {
  const client = fakeClient([
    async function* () {
      yield heartbeat(5n);
      yield event(7n, "i1");
      yield heartbeat(9n);
      throw new ConnectError("server went away", Code.Unavailable);
    },
    async function* () {
      yield event(12n, "i2");
      throw new ConnectError("restarting", Code.Unavailable);
    },
    async function* (signal) {
      yield heartbeat(12n);
      await hang(signal);
    },
  ]);
  const feed = new LiveFeed(client);
  const events = [];
  const resyncs = [];
  const states = [];
  feed.subscribe({
    event: (e) => events.push(e.incident.id),
    resync: (id) => resyncs.push(id),
    status: (statuses) => states.push(statuses[0]?.state),
  });
  feed.watch(["c1"]);
  await waitFor(() => client.requests.length >= 3, "the second reconnection");
  await waitFor(() => feed.statuses()[0].state === "live", "the stream to be live again");
  assert.deepEqual(client.requests, [
    { companyId: "c1", afterSequence: undefined },
    { companyId: "c1", afterSequence: 9n },
    { companyId: "c1", afterSequence: 12n },
  ]);
  assert.deepEqual(events, ["i1", "i2"]);
  assert.deepEqual(resyncs, ["c1"], "only the stream started without a position asks for a list");
  assert.ok(states.includes("retrying"));
  feed.stop();
});

test("OUT_OF_RANGE restarts from the live position and asks for a list", async () => {
  const client = fakeClient([
    async function* () {
      yield heartbeat(3n);
      throw new ConnectError("server went away", Code.Unavailable);
    },
    async function* () {
      throw new ConnectError("log truncated", Code.OutOfRange);
    },
    async function* (signal) {
      yield heartbeat(40n);
      await hang(signal);
    },
  ]);
  const feed = new LiveFeed(client);
  const resyncs = [];
  feed.subscribe({ resync: (id) => resyncs.push(id) });
  feed.watch(["c1"]);
  await waitFor(() => resyncs.length >= 2, "the second resync");
  assert.deepEqual(
    client.requests.map((r) => r.afterSequence),
    [undefined, 3n, undefined],
  );
  assert.equal(feed.statuses()[0].sequence, 40n);
  feed.stop();
});

test("watch() stops the streams of companies no longer wanted", async () => {
  const aborted = [];
  const client = fakeClient([
    async function* (signal) {
      signal.addEventListener("abort", () => aborted.push(true));
      yield heartbeat(1n);
      await hang(signal);
    },
  ]);
  const feed = new LiveFeed(client);
  feed.watch(["c1", "c2"]);
  await waitFor(() => feed.statuses().every((s) => s.state === "live"), "both streams live");
  feed.watch(["c2"]);
  assert.deepEqual(feed.statuses().map((s) => s.companyId), ["c2"]);
  await waitFor(() => aborted.length === 1, "the c1 stream to be aborted");
  feed.stop();
  await waitFor(() => aborted.length === 2, "the c2 stream to be aborted");
});

test("ExecutionFeed resumes WatchExecutions the same way", async () => {
  const requests = [];
  const script = [
    async function* () {
      yield heartbeat(4n);
      yield { payload: { case: "event", value: { sequence: 6n, companyId: "c1", execution: { id: "x1", companyId: "c1" } } } };
      throw new ConnectError("server went away", Code.Unavailable);
    },
    async function* (signal) {
      yield heartbeat(6n);
      await hang(signal);
    },
  ];
  const client = {
    runbooks: {
      watchExecutions(request, options) {
        requests.push({ companyId: request.companyId, afterSequence: request.afterSequence });
        const play = script[Math.min(requests.length - 1, script.length - 1)];
        return (async function* () {
          options?.onHeader?.(new Headers());
          yield* play(options.signal);
        })();
      },
    },
  };
  const feed = new ExecutionFeed(client);
  const events = [];
  feed.subscribe({ event: (e) => events.push(e.execution.id) });
  feed.watch(["c1"]);
  await waitFor(() => requests.length >= 2 && feed.statuses()[0].state === "live", "the resumed stream");
  assert.deepEqual(requests, [
    { companyId: "c1", afterSequence: undefined },
    { companyId: "c1", afterSequence: 6n },
  ]);
  assert.deepEqual(events, ["x1"]);
  feed.stop();
});
