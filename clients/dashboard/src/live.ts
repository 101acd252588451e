// Live feeds: one server stream (grpc-web) per company, of incidents (WatchIncidents, LiveFeed)
// or of runbook executions (WatchExecutions, ExecutionFeed); both have the same resumable
// design. Each stream remembers the last sequence it saw (events and heartbeats carry one) and,
// when it fails or ends (a server restart, a network drop), reconnects by itself with
// exponential backoff, resuming with after_sequence = that sequence so that no event is lost.
import { Code, ConnectError, errorText } from "./api.js";
import type { AlertWhispererClient, ExecutionFeedEvent, IncidentFeedEvent } from "./api.js";

export type StreamState = "connecting" | "live" | "retrying" | "unavailable";

export interface StreamStatus {
  companyId: string;
  state: StreamState;
  /** The last sequence seen; undefined until the first message. */
  sequence: bigint | undefined;
  lastError: string;
  /** When the next attempt starts (ms since epoch), while retrying. */
  retryAt: number;
}

export interface FeedListener<E = IncidentFeedEvent> {
  /** A change: of an incident (LiveFeed) or of an execution (ExecutionFeed). */
  event?(event: E): void;
  /**
   * The stream of a company (re)started from a position the views may not hold (first start,
   * or after OUT_OF_RANGE): views showing that company should list again.
   */
  resync?(companyId: string): void;
  /** A stream's state changed. */
  status?(statuses: StreamStatus[]): void;
  /** The token was refused (UNAUTHENTICATED). */
  unauthenticated?(): void;
}

interface Stream {
  status: StreamStatus;
  abort: AbortController;
  attempt: number;
  wake: (() => void) | undefined;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/** Backoff before attempt `attempt` (0-based): 0.5 s doubling to 30 s, with jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** attempt);
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

/** One message of a company's stream: an event or a heartbeat, both with a sequence. */
export interface FeedMessage<E extends { sequence: bigint }> {
  payload: { case: "event"; value: E } | { case: "heartbeat"; value: { sequence: bigint } } | { case: undefined; value?: undefined };
}

/** Opens one company's stream from `afterSequence` (undefined: live, from a first heartbeat). */
export type OpenStream<E extends { sequence: bigint }> = (
  companyId: string,
  afterSequence: bigint | undefined,
  options: { signal: AbortSignal; onHeader: () => void },
) => AsyncIterable<FeedMessage<E>>;

/** Per-company streams of events `E` with resume, backoff and restart after OUT_OF_RANGE. */
export class StreamFeed<E extends { sequence: bigint }> {
  private readonly streams = new Map<string, Stream>();
  private readonly listeners = new Set<FeedListener<E>>();

  constructor(private readonly open: OpenStream<E>) {
    // Back online: skip the backoff waits. (Guarded: the unit test runs this under Node.)
    if (typeof window !== "undefined") window.addEventListener("online", () => this.retryNow());
  }

  subscribe(listener: FeedListener<E>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  statuses(): StreamStatus[] {
    return [...this.streams.values()].map((s) => ({ ...s.status }));
  }

  /** Watches exactly these companies: starts missing streams, stops the others. */
  watch(companyIds: Iterable<string>): void {
    const wanted = new Set(companyIds);
    for (const [id, stream] of this.streams) {
      if (!wanted.has(id)) {
        stream.abort.abort();
        stream.wake?.();
        this.streams.delete(id);
      }
    }
    for (const id of wanted) {
      if (!this.streams.has(id)) this.start(id);
    }
    this.emitStatus();
  }

  stop(): void {
    this.watch([]);
    this.listeners.clear();
  }

  /** Skips the backoff wait of every retrying stream (e.g. when the browser is online again). */
  retryNow(): void {
    for (const stream of this.streams.values()) stream.wake?.();
  }

  private start(companyId: string): void {
    const stream: Stream = {
      status: { companyId, state: "connecting", sequence: undefined, lastError: "", retryAt: 0 },
      abort: new AbortController(),
      attempt: 0,
      wake: undefined,
    };
    this.streams.set(companyId, stream);
    void this.run(stream);
  }

  private async run(stream: Stream): Promise<void> {
    const { companyId } = stream.status;
    const signal = stream.abort.signal;
    while (!signal.aborted) {
      // Without a known position the stream starts live with a heartbeat that tells the
      // position; the views list after it, so nothing falls between list and stream.
      const resume = stream.status.sequence;
      let first = true;
      try {
        const messages = this.open(companyId, resume, {
          signal,
          onHeader: () => this.setState(stream, "live", ""),
        });
        for await (const message of messages) {
          stream.attempt = 0;
          const payload = message.payload;
          if (payload.case === "heartbeat") {
            this.advance(stream, payload.value.sequence);
          } else if (payload.case === "event") {
            this.advance(stream, payload.value.sequence);
            for (const l of this.listeners) l.event?.(payload.value);
          }
          if (first) {
            first = false;
            this.setState(stream, "live", "");
            if (resume === undefined) {
              for (const l of this.listeners) l.resync?.(companyId);
            }
          }
        }
        if (signal.aborted) return;
        // The server ended the stream (e.g. shutting down): reconnect from where we are.
        stream.status.lastError = "stream ended by the server";
      } catch (error) {
        if (signal.aborted) return;
        const code = error instanceof ConnectError ? error.code : undefined;
        if (code === Code.OutOfRange) {
          // The log no longer holds our position: start fresh and let the views list again.
          stream.status.sequence = undefined;
          stream.status.lastError = errorText(error);
          continue;
        }
        if (code === Code.Unauthenticated) {
          this.setState(stream, "unavailable", errorText(error));
          for (const l of this.listeners) l.unauthenticated?.();
          return;
        }
        stream.status.lastError = errorText(error);
      }
      const wait = backoffMs(stream.attempt++);
      const unimplemented = stream.status.lastError.startsWith("UNIMPLEMENTED");
      stream.status.retryAt = Date.now() + wait;
      this.setState(stream, unimplemented ? "unavailable" : "retrying", stream.status.lastError);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        stream.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      stream.wake = undefined;
      if (!signal.aborted) this.setState(stream, "connecting", stream.status.lastError);
    }
  }

  private advance(stream: Stream, sequence: bigint): void {
    const current = stream.status.sequence;
    if (current === undefined || sequence > current) stream.status.sequence = sequence;
  }

  private setState(stream: Stream, state: StreamState, lastError: string): void {
    if (stream.status.state === state && stream.status.lastError === lastError) return;
    stream.status.state = state;
    stream.status.lastError = lastError;
    this.emitStatus();
  }

  private emitStatus(): void {
    const statuses = this.statuses();
    for (const l of this.listeners) l.status?.(statuses);
  }
}

/** The incident feed: WatchIncidents per company. */
export class LiveFeed extends StreamFeed<IncidentFeedEvent> {
  constructor(client: AlertWhispererClient) {
    super((companyId, afterSequence, options) =>
      client.incidents.watchIncidents({ companyId, afterSequence }, options),
    );
  }
}

/** The runbook execution feed: WatchExecutions per company (unfiltered; views filter). */
export class ExecutionFeed extends StreamFeed<ExecutionFeedEvent> {
  constructor(client: AlertWhispererClient) {
    super((companyId, afterSequence, options) =>
      client.runbooks.watchExecutions({ companyId, afterSequence }, options),
    );
  }
}
