"""Correlation quality benchmark: how well do incidents match the problems behind the alerts?

Usage (through the wrapper, which picks the Python environment and the client):

    scripts/quality-bench [--seed 1] [--companies 3] [--assets 60] [--signatures 10]
                          [--hours 6] [--lateness 30] [--batch 100] [--full-shuffle]
                          [--per-key-fifo] [--server-lateness MINUTES]
                          [--url HOST:PORT --token awo_...] [--keep]

Without --url it copies the server binary ($AW_BINARY, default
/var/tmp/aw-target/debug/alert-whisperer) to a temporary directory, starts it there on a free
port with a fresh SQLite data directory (and no per-company rate limit), takes the admin token
it prints at first start and stops it at the end (--keep leaves the directory).

The model. A seeded generator writes a synthetic timeline per scenario company (a fleet of
assets, a set of signatures, `--hours` of event time ending five minutes ago) made of known
*problems*; every trigger event of a problem belongs to it, so the problems are the ground
truth partition of the trigger events. Kinds:
  - episode: one dedup key (asset|signature) repeating every 30 s-3 min for 3-30 min, then
    a resolve;
  - recurrence: the same key again after a resolve and a quiet gap of >= 30 min (longer than
    the window): each episode of the chain is a problem of its own;
  - flap: one key firing and resolving 3-6 times within a few minutes: one problem;
  - overlap: one signature on 3-7 assets, onsets spread over 10 minutes: independent
    problems, one per asset (ordinary coincidence, not a storm);
  - storm: one signature on N assets (8, 15, 25, 40) whose first alerts fall within 60 s, each
    repeating 2-4 times, then resolving: one problem (one cause).
Independent problems of one key are always >= 30 min apart, nothing else of a storm's
signature happens within two windows of it, and no dedup key has two events at one
millisecond. 3 % of the trigger deliveries are retried with the same delivery id (they are
not alerts and must be answered DUPLICATE).

Each scenario company's events go into one fresh company per arrival order, in IngestAlerts
batches of `--batch`: A in event-time order; B and C with each event delayed by a uniform
lateness in [0, L] (two seeds), sorted by arrival (with --per-key-fifo an event is not sent
before the previous event of its dedup key: one sender per alert); D (--full-shuffle) a uniform permutation
(information only). A retry arrives 1 s-2 min after its original.

What is measured, per order: trigger alerts, problems and the ideal noise reduction; the
incidents each trigger event ended in, followed to the top-level incident (through
`merged_into_incident_id`, when the server has that field, and `parent_incident_id`) and to
the leaf incident (merges only); noise reduction, GetKpis' figures next to ours; purity and
pairwise precision/recall/F1 of the top-level and leaf partitions against the problems;
storm parents against the injected storms (clean, false, split); retries answered DUPLICATE;
unexpected answers; the invariant "at most one firing alert per dedup key"; and whether the
orders give the same partitions. The figures are reported, not asserted: the exit status is
0 when the run completed and 1 when it failed (a gRPC error, a missing answer, no server).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Callable, Optional

import grpc
from google.protobuf import field_mask_pb2, text_format
from google.protobuf.timestamp_pb2 import Timestamp

from alertwhisperer_client import (
    Client,
    alert_pb2,
    connect,
    correlation_pb2,
    correlation_service_pb2,
    incident_pb2,
    incident_service_pb2,
    ingest_service_pb2,
    tenant_service_pb2,
)

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
WINDOW = 10 * MINUTE  # the server's default correlation window, which the model assumes
QUIET_GAP = 30 * MINUTE  # least gap between independent problems of one dedup key
STORM_SIZES = (8, 15, 25, 40)
STORM_ONSET = 60 * SECOND
OVERLAP_SPREAD = 10 * MINUTE
RETRY_SHARE = 0.03
PLACEMENT_TRIES = 500
RPC_TIMEOUT = 60.0
DEFAULT_BINARY = "/var/tmp/aw-target/debug/alert-whisperer"
SIGNATURES = (
    ("disk_full", alert_pb2.SEVERITY_HIGH),
    ("high_cpu", alert_pb2.SEVERITY_MEDIUM),
    ("memory_pressure", alert_pb2.SEVERITY_MEDIUM),
    ("http_5xx_rate", alert_pb2.SEVERITY_HIGH),
    ("latency_p99", alert_pb2.SEVERITY_MEDIUM),
    ("pod_restarts", alert_pb2.SEVERITY_LOW),
    ("ntp_drift", alert_pb2.SEVERITY_LOW),
    ("cert_expiry", alert_pb2.SEVERITY_INFO),
    ("replication_lag", alert_pb2.SEVERITY_HIGH),
    ("packet_loss", alert_pb2.SEVERITY_CRITICAL),
)
SITES = ("fra", "ams", "dub")
TRIGGER_OUTCOMES = {
    alert_pb2.ALERT_OUTCOME_NEW_INCIDENT,
    alert_pb2.ALERT_OUTCOME_CORRELATED,
    alert_pb2.ALERT_OUTCOME_DEDUPLICATED,
}
RESOLVE_OUTCOMES = {alert_pb2.ALERT_OUTCOME_RESOLVED, alert_pb2.ALERT_OUTCOME_UNMATCHED}
UNRESOLVED = {alert_pb2.ALERT_STATUS_FIRING, alert_pb2.ALERT_STATUS_ACKNOWLEDGED}


class RunFailed(Exception):
    """The run itself failed (not a figure): the benchmark exits 1."""


# ---------------------------------------------------------------------------------------------
# Ground truth


@dataclasses.dataclass(frozen=True)
class Problem:
    id: int
    kind: str  # episode | recurrence | flap | overlap | storm
    signature: str
    assets: tuple[str, ...]
    start_ms: int


@dataclasses.dataclass(frozen=True)
class Event:
    seq: int  # position in the company's event list (originals first, then retries)
    problem: int
    asset: str
    signature: str
    resolve: bool
    occur_ms: int
    delivery_id: str
    retry_of: Optional[int] = None  # seq of the original delivery, for a retry

    @property
    def dedup_key(self) -> str:
        return f"{self.asset}|{self.signature}"

    @property
    def is_alert(self) -> bool:
        """A trigger that is not a retry: what the server counts as an alert."""
        return not self.resolve and self.retry_of is None


@dataclasses.dataclass
class Scenario:
    company: int
    problems: list[Problem]
    events: list[Event]
    labels: dict[str, dict[str, str]]  # asset -> labels
    unplaced: int  # problems the generator could not fit


@dataclasses.dataclass(frozen=True)
class Params:
    seed: int
    companies: int
    assets: int
    signatures: int
    hours: float
    lateness_ms: int
    batch: int
    full_shuffle: bool
    per_key_fifo: bool
    server_lateness_min: int


Span = tuple[int, int]
Timeline = list[tuple[bool, int]]  # (is resolve, occur ms), in time order


class Generator:
    """Places problems on one company's timeline so that the ground truth is unambiguous."""

    def __init__(self, params: Params, company: int, start_ms: int, end_ms: int) -> None:
        self.params = params
        self.company = company
        self.rng = random.Random(f"{params.seed}/generate/{company}")
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.assets = [f"c{company}-node-{index:03d}" for index in range(params.assets)]
        self.signatures = [name for name, _ in signature_table(params.signatures)]
        self.busy: dict[str, list[Span]] = defaultdict(list)  # dedup key -> problem spans
        self.storms: dict[str, list[Span]] = defaultdict(list)  # signature -> storm spans
        self.problems: list[Problem] = []
        self.timelines: list[tuple[int, str, str, Timeline]] = []  # problem, asset, sig, events
        self.unplaced = 0

    def generate(self) -> Scenario:
        scale = self.params.hours * self.params.assets / 60
        storms = max(1, round(self.params.hours * 2 / 3))
        for index in range(storms):
            size = min(STORM_SIZES[(index + self.company) % len(STORM_SIZES)], len(self.assets))
            self.place(self.storm, size)
        for _ in range(round(self.params.hours)):
            self.place(self.overlap)
        for _ in range(round(1.7 * scale)):
            self.place(self.recurrence)
        for _ in range(round(2 * scale)):
            self.place(self.flap)
        for _ in range(round(9 * scale)):
            self.place(self.episode)
        return Scenario(
            company=self.company,
            problems=self.problems,
            events=self.events(),
            labels={asset: asset_labels(index) for index, asset in enumerate(self.assets)},
            unplaced=self.unplaced,
        )

    def place(self, attempt: Callable[..., bool], *args: int) -> None:
        for _ in range(PLACEMENT_TRIES):
            if attempt(*args):
                return
        self.unplaced += 1

    # Timelines of one dedup key.

    def episode_timeline(self, start: int) -> Timeline:
        duration = self.rng.randint(3 * MINUTE, 30 * MINUTE)
        times = [start]
        while True:
            step = self.rng.randint(30 * SECOND, 3 * MINUTE)
            if times[-1] + step > start + duration:
                break
            times.append(times[-1] + step)
        resolve = times[-1] + self.rng.randint(30 * SECOND, 2 * MINUTE)
        return [(False, t) for t in times] + [(True, resolve)]

    def flap_timeline(self, start: int) -> Timeline:
        timeline: Timeline = []
        t = start
        for _ in range(self.rng.randint(3, 6)):
            timeline.append((False, t))
            if self.rng.random() < 0.5:
                t += self.rng.randint(10 * SECOND, 40 * SECOND)
                timeline.append((False, t))
            t += self.rng.randint(15 * SECOND, 60 * SECOND)
            timeline.append((True, t))
            t += self.rng.randint(15 * SECOND, 60 * SECOND)
        return timeline

    def storm_member_timeline(self, start: int) -> Timeline:
        times = [start]
        for _ in range(self.rng.randint(1, 3)):
            times.append(times[-1] + self.rng.randint(30 * SECOND, 2 * MINUTE))
        resolve = times[-1] + self.rng.randint(30 * SECOND, 2 * MINUTE)
        return [(False, t) for t in times] + [(True, resolve)]

    # Placement: each returns whether the problem fitted (and then records it).

    def random_start(self, room: int) -> int:
        return self.rng.randint(self.start_ms, max(self.start_ms, self.end_ms - room))

    def fits(self, asset: str, signature: str, timeline: Timeline) -> bool:
        span = (timeline[0][1], timeline[-1][1])
        if span[1] > self.end_ms:
            return False
        key = f"{asset}|{signature}"
        if any(overlaps(span, other, QUIET_GAP) for other in self.busy[key]):
            return False
        return not any(overlaps(span, storm, 2 * WINDOW) for storm in self.storms[signature])

    def record(self, kind: str, signature: str, members: list[tuple[str, Timeline]]) -> None:
        problem = Problem(
            id=len(self.problems),
            kind=kind,
            signature=signature,
            assets=tuple(asset for asset, _ in members),
            start_ms=min(timeline[0][1] for _, timeline in members),
        )
        self.problems.append(problem)
        for asset, timeline in members:
            self.busy[f"{asset}|{signature}"].append((timeline[0][1], timeline[-1][1]))
            self.timelines.append((problem.id, asset, signature, timeline))

    def episode(self) -> bool:
        asset, signature = self.rng.choice(self.assets), self.rng.choice(self.signatures)
        timeline = self.episode_timeline(self.random_start(35 * MINUTE))
        if not self.fits(asset, signature, timeline):
            return False
        self.record("episode", signature, [(asset, timeline)])
        return True

    def recurrence(self) -> bool:
        asset, signature = self.rng.choice(self.assets), self.rng.choice(self.signatures)
        chain: list[Timeline] = []
        start = self.random_start(3 * HOUR)
        for _ in range(self.rng.randint(2, 3)):
            timeline = self.episode_timeline(start)
            chain.append(timeline)
            start = timeline[-1][1] + self.rng.randint(QUIET_GAP + MINUTE, QUIET_GAP + HOUR)
        if not all(self.fits(asset, signature, timeline) for timeline in chain):
            return False
        for timeline in chain:
            self.record("recurrence", signature, [(asset, timeline)])
        return True

    def flap(self) -> bool:
        asset, signature = self.rng.choice(self.assets), self.rng.choice(self.signatures)
        timeline = self.flap_timeline(self.random_start(15 * MINUTE))
        if not self.fits(asset, signature, timeline):
            return False
        self.record("flap", signature, [(asset, timeline)])
        return True

    def overlap(self) -> bool:
        signature = self.rng.choice(self.signatures)
        start = self.random_start(45 * MINUTE)
        members = [
            (asset, self.episode_timeline(start + self.rng.randint(0, OVERLAP_SPREAD)))
            for asset in self.rng.sample(self.assets, self.rng.randint(3, 7))
        ]
        if not all(self.fits(asset, signature, timeline) for asset, timeline in members):
            return False
        for member in members:
            self.record("overlap", signature, [member])
        return True

    def storm(self, size: int) -> bool:
        signature = self.rng.choice(self.signatures)
        start = self.random_start(20 * MINUTE)
        members = [
            (asset, self.storm_member_timeline(start + self.rng.randint(0, STORM_ONSET)))
            for asset in self.rng.sample(self.assets, size)
        ]
        span = (start, max(timeline[-1][1] for _, timeline in members))
        if any(overlaps(span, other, 2 * WINDOW) for other in self.storms[signature]):
            return False
        if not all(self.fits(asset, signature, timeline) for asset, timeline in members):
            return False
        self.record("storm", signature, members)
        self.storms[signature].append(span)
        return True

    def events(self) -> list[Event]:
        """Every event in time order (then retries), with distinct times per dedup key."""
        raw = sorted(
            (t, asset, signature, resolve, problem)
            for problem, asset, signature, timeline in self.timelines
            for resolve, t in timeline
        )
        used: set[tuple[str, str, int]] = set()
        events: list[Event] = []
        for t, asset, signature, resolve, problem in raw:
            while (asset, signature, t) in used:
                t += 1
            used.add((asset, signature, t))
            seq = len(events)
            events.append(
                Event(seq, problem, asset, signature, resolve, t, self.delivery_id(seq))
            )
        originals = [event for event in events if not event.resolve]
        for original in originals:
            if self.rng.random() < RETRY_SHARE:
                events.append(dataclasses.replace(original, seq=len(events), retry_of=original.seq))
        return events

    def delivery_id(self, seq: int) -> str:
        return f"qb-{self.params.seed}-{self.company}-{seq}"


def overlaps(a: Span, b: Span, margin: int) -> bool:
    """Whether two spans come closer than `margin` to each other."""
    return a[0] < b[1] + margin and b[0] < a[1] + margin


def signature_table(count: int) -> list[tuple[str, int]]:
    extra = [(f"check_{index:02d}", alert_pb2.SEVERITY_MEDIUM) for index in range(count)]
    return (list(SIGNATURES) + extra)[:count]


def asset_labels(index: int) -> dict[str, str]:
    site = SITES[index % len(SITES)]
    return {"site": site, "az": f"{site}-{'abc'[(index // len(SITES)) % 3]}"}


# ---------------------------------------------------------------------------------------------
# Arrival orders


def arrival_order(scenario: Scenario, order: str, params: Params) -> list[Event]:
    """The company's events in the order they are sent."""
    rng = random.Random(f"{params.seed}/order/{order}/{scenario.company}")
    if order == "D":
        return shuffled_keeping_retries_last(scenario.events, rng)
    lateness = params.lateness_ms if order in ("B", "C") else 0
    arrival: dict[int, float] = {}
    # With --per-key-fifo an alert's own events keep their order (one sender per alert, whose
    # deliveries queue): an event is not sent before the previous event of its dedup key.
    previous: dict[str, float] = {}
    for event in scenario.events:
        if event.retry_of is None:
            at = event.occur_ms + rng.uniform(0, lateness)
            if params.per_key_fifo:
                at = max(at, previous.get(event.dedup_key, at))
                previous[event.dedup_key] = at
            arrival[event.seq] = at
        else:
            arrival[event.seq] = arrival[event.retry_of] + rng.randint(SECOND, 2 * MINUTE)
    return sorted(scenario.events, key=lambda event: (arrival[event.seq], event.seq))


def shuffled_keeping_retries_last(events: list[Event], rng: random.Random) -> list[Event]:
    """A uniform permutation, except that a retry is swapped behind its original."""
    stream = list(events)
    rng.shuffle(stream)
    position = {event.seq: index for index, event in enumerate(stream)}
    for index, event in enumerate(stream):
        if event.retry_of is not None and position[event.retry_of] > index:
            other = position[event.retry_of]
            stream[index], stream[other] = stream[other], stream[index]
            position[event.seq], position[event.retry_of] = other, index
    return stream


# ---------------------------------------------------------------------------------------------
# The server


class Server:
    """A server of our own: a copy of the binary in a temporary directory, a fresh database."""

    def __init__(self, binary: str, keep: bool) -> None:
        if not os.access(binary, os.X_OK):
            raise RunFailed(f"no server binary at {binary} (set AW_BINARY)")
        self.keep = keep
        self.work = tempfile.mkdtemp(prefix="aw-quality-")
        self.binary = os.path.join(self.work, "alert-whisperer")
        shutil.copy2(binary, self.binary)
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.stdout = os.path.join(self.work, "server.out")
        self.stderr = os.path.join(self.work, "server.err")
        self.process: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> str:
        """Starts the server and answers the admin token it printed."""
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(
            ALERT_WHISPERER_LISTEN=self.target,
            ALERT_WHISPERER_INGEST_RATE_LIMIT_PER_SECOND="0",
            ALERT_WHISPERER_LOG_FILTER=env.get("ALERT_WHISPERER_LOG_FILTER", "warn"),
        )
        data = os.path.join(self.work, "data-root")
        os.mkdir(data)
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.process = subprocess.Popen(
                [self.binary, "serve"], cwd=data, env=env, stdout=out, stderr=err
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RunFailed(f"the server exited at start:\n{self.log_tail()}")
            token = self.token()
            if token and self.healthy():
                return token
            time.sleep(0.1)
        raise RunFailed(f"the server did not start within 60 s:\n{self.log_tail()}")

    def token(self) -> str:
        with open(self.stdout, encoding="utf-8", errors="replace") as out:
            for word in out.read().split():
                if word.startswith("awo_"):
                    return word
        return ""

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.target}/healthz", timeout=1) as answer:
                return answer.status == 200
        except OSError:
            return False

    def log_tail(self, lines: int = 20) -> str:
        with open(self.stderr, encoding="utf-8", errors="replace") as err:
            return "".join(err.readlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.keep:
            print(f"data directory kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# Sending


@dataclasses.dataclass(frozen=True)
class Answer:
    outcome: int
    alert_id: str
    incident_id: str
    reason: str


@dataclasses.dataclass
class Run:
    """One scenario company sent in one arrival order into a company of its own."""

    order: str
    scenario: Scenario
    company_id: str = ""
    api_key: str = ""
    answers: dict[int, Answer] = dataclasses.field(default_factory=dict)  # by event seq
    sent: list[int] = dataclasses.field(default_factory=list)  # event seqs in sending order
    seconds: float = 0.0


def create_company(operator: Client, name: str) -> tuple[str, str]:
    created = operator.tenants.CreateCompany(
        tenant_service_pb2.CreateCompanyRequest(name=name), timeout=RPC_TIMEOUT
    )
    return created.company.id, created.api_key_secret


def set_lateness(operator: Client, company_id: str, minutes: int) -> None:
    """Sets the company's lateness bound (UpdateCorrelationConfig, mask "lateness")."""
    config = correlation_pb2.CorrelationConfig(company_id=company_id)
    config.lateness.FromSeconds(minutes * 60)
    operator.correlation.UpdateCorrelationConfig(
        correlation_service_pb2.UpdateCorrelationConfigRequest(
            config=config, update_mask=field_mask_pb2.FieldMask(paths=["lateness"])
        ),
        timeout=RPC_TIMEOUT,
    )


def alert_input(event: Event, scenario: Scenario, severity: dict[str, int]) -> alert_pb2.AlertInput:
    occur = Timestamp(seconds=event.occur_ms // 1000, nanos=(event.occur_ms % 1000) * 1_000_000)
    action = alert_pb2.ALERT_ACTION_RESOLVE if event.resolve else alert_pb2.ALERT_ACTION_TRIGGER
    verb = "cleared" if event.resolve else "firing"
    return alert_pb2.AlertInput(
        asset=event.asset,
        signature=event.signature,
        severity=severity[event.signature],
        message=f"{event.signature} {verb} on {event.asset}",
        tool_source="quality-bench",
        labels=scenario.labels[event.asset],
        occur_time=occur,
        action=action,
        dedup_key=event.dedup_key,
        delivery_id=event.delivery_id,
    )


def send(run: Run, target: str, params: Params) -> None:
    """Sends the run's events in arrival order, in batches, keeping each answer."""
    severity = dict(signature_table(params.signatures))
    stream = arrival_order(run.scenario, run.order, params)
    run.sent = [event.seq for event in stream]
    started = time.monotonic()
    with connect(target, run.api_key, header="x-api-key") as company:
        for offset in range(0, len(stream), params.batch):
            batch = stream[offset : offset + params.batch]
            request = ingest_service_pb2.IngestAlertsRequest(
                alerts=[alert_input(event, run.scenario, severity) for event in batch]
            )
            results = ingest_with_backoff(company, request, run)
            if len(results) != len(batch):
                raise RunFailed(
                    f"{run.order}/company {run.scenario.company}: {len(batch)} alerts sent, "
                    f"{len(results)} answers"
                )
            for event, result in zip(batch, results):
                run.answers[event.seq] = Answer(
                    result.outcome, result.alert_id, result.incident_id, result.reason
                )
    run.seconds = time.monotonic() - started


def ingest_with_backoff(
    company: Client, request: ingest_service_pb2.IngestAlertsRequest, run: Run
) -> list[ingest_service_pb2.IngestResult]:
    """IngestAlerts, waiting out the rate limit of a shared server (nothing is stored then)."""
    for attempt in range(10):
        try:
            return list(company.ingest.IngestAlerts(request, timeout=RPC_TIMEOUT).results)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise RunFailed(
                    f"IngestAlerts ({run.order}, company {run.company_id}): "
                    f"{error.code().name}: {error.details()}"
                ) from error
            time.sleep(0.5 * (attempt + 1))
    raise RunFailed(f"IngestAlerts ({run.order}, company {run.company_id}): rate limited")


# ---------------------------------------------------------------------------------------------
# Reading the result


@dataclasses.dataclass
class Readback:
    """A company's incidents (with their alerts) after every send, and its KPIs."""

    incidents: dict[str, incident_pb2.Incident]
    alerts: dict[str, alert_pb2.Alert]
    truncated: list[str]  # incidents whose alert list was cut at 1,000
    kpis: incident_pb2.Kpis


def read_back(operator: Client, company_id: str) -> Readback:
    ids = list_incident_ids(operator, company_id)
    readback = Readback({}, {}, [], incident_pb2.Kpis())
    with ThreadPoolExecutor(max_workers=8) as pool:
        for answer in pool.map(lambda incident_id: get_incident(operator, incident_id), ids):
            add_incident(readback, answer)
    kpis = operator.incidents.GetKpis(
        incident_service_pb2.GetKpisRequest(company_id=company_id), timeout=RPC_TIMEOUT
    )
    readback.kpis = kpis.companies[0] if kpis.companies else kpis.total
    return readback


def list_incident_ids(operator: Client, company_id: str) -> list[str]:
    ids: list[str] = []
    page_token = ""
    while True:
        page = operator.incidents.ListIncidents(
            incident_service_pb2.ListIncidentsRequest(
                company_ids=[company_id], page_size=500, page_token=page_token
            ),
            timeout=RPC_TIMEOUT,
        )
        ids.extend(incident.id for incident in page.incidents)
        page_token = page.next_page_token
        if not page_token:
            return ids


def get_incident(operator: Client, incident_id: str) -> incident_service_pb2.GetIncidentResponse:
    try:
        return operator.incidents.GetIncident(
            incident_service_pb2.GetIncidentRequest(incident_id=incident_id, max_alerts=1000),
            timeout=RPC_TIMEOUT,
        )
    except grpc.RpcError as error:
        failure = f"GetIncident {incident_id}: {error.code().name}: {error.details()}"
        raise RunFailed(failure) from error


def add_incident(readback: Readback, answer: incident_service_pb2.GetIncidentResponse) -> None:
    readback.incidents[answer.incident.id] = answer.incident
    for alert in answer.alerts:
        readback.alerts[alert.id] = alert
    if answer.alerts_truncated:
        readback.truncated.append(answer.incident.id)


def merged_into(incident: incident_pb2.Incident) -> str:
    """The survivor an incident was merged into, when the server has that field."""
    if "merged_into_incident_id" not in incident.DESCRIPTOR.fields_by_name:
        return ""
    return str(getattr(incident, "merged_into_incident_id"))


class Resolver:
    """Follows incident ids to their leaf (merges) and top-level (merges, then parents)."""

    def __init__(self, operator: Client, readback: Readback) -> None:
        self.operator = operator
        self.readback = readback

    def incident(self, incident_id: str) -> incident_pb2.Incident:
        if incident_id not in self.readback.incidents:
            add_incident(self.readback, get_incident(self.operator, incident_id))
        return self.readback.incidents[incident_id]

    def follow(self, incident_id: str, parents: bool) -> str:
        seen: set[str] = set()
        while incident_id not in seen:
            seen.add(incident_id)
            incident = self.incident(incident_id)
            step = merged_into(incident) or (incident.parent_incident_id if parents else "")
            if not step:
                return incident_id
            incident_id = step
        raise RunFailed(f"incident {incident_id}: merge/parent links form a cycle")

    def leaf(self, incident_id: str) -> str:
        return self.follow(incident_id, parents=False)

    def top(self, incident_id: str) -> str:
        return self.follow(incident_id, parents=True)


# ---------------------------------------------------------------------------------------------
# Figures


def comb2(n: int) -> int:
    return n * (n - 1) // 2


@dataclasses.dataclass(frozen=True)
class PairScores:
    precision: float
    recall: float
    f1: float
    purity: float


def pair_scores(truth: dict[object, object], predicted: dict[object, object]) -> PairScores:
    """Pairwise precision/recall/F1 and purity of `predicted` against `truth` (same keys),
    from the contingency table."""
    cells = Counter((truth[key], predicted[key]) for key in truth)
    same_truth = sum(comb2(n) for n in Counter(truth.values()).values())
    same_predicted = sum(comb2(n) for n in Counter(predicted.values()).values())
    both = sum(comb2(n) for n in cells.values())
    majority: dict[object, int] = defaultdict(int)
    for (_, cluster), n in cells.items():
        majority[cluster] = max(majority[cluster], n)
    precision = both / same_predicted if same_predicted else 1.0
    recall = both / same_truth if same_truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    purity = sum(majority.values()) / len(truth) if truth else 1.0
    return PairScores(precision, recall, f1, purity)


@dataclasses.dataclass
class StormFigures:
    injected: int = 0
    parents: int = 0
    clean_parents: int = 0  # holding one injected storm's events and nothing else
    whole: int = 0  # injected storms entirely under one parent
    split: int = 0  # injected storms over several top-level incidents, one of them a parent
    ungrouped: int = 0  # injected storms under no parent
    false_no_storm: int = 0  # parents holding no injected storm
    false_mixed: int = 0  # parents mixing an injected storm with ordinary problems
    multi_storm: int = 0  # parents holding several injected storms and nothing else
    details: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class OrderFigures:
    order: str
    alerts: int = 0
    problems: int = 0
    kinds: Counter[str] = dataclasses.field(default_factory=Counter)
    top_level: int = 0
    leaves: int = 0
    top_scores: PairScores = PairScores(1, 1, 1, 1)
    leaf_scores: PairScores = PairScores(1, 1, 1, 1)
    kpi_alerts: int = 0
    kpi_incidents: int = 0
    kpi_percents: list[float] = dataclasses.field(default_factory=list)  # per company
    retries_sent: int = 0
    retries_duplicate: int = 0
    overtaken_triggers: int = 0  # sent after the resolve that ends them
    early_resolves: int = 0  # sent before every trigger they end
    unexpected: list[str] = dataclasses.field(default_factory=list)
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    firing_at_end: int = 0
    invariant: list[str] = dataclasses.field(default_factory=list)
    truncated: int = 0  # incidents with more alerts than GetIncident lists: the check is partial
    storms: StormFigures = dataclasses.field(default_factory=StormFigures)
    split_leaves: Counter[str] = dataclasses.field(default_factory=Counter)  # by problem kind
    split_top: Counter[str] = dataclasses.field(default_factory=Counter)
    joined_top: Counter[str] = dataclasses.field(default_factory=Counter)  # sharing a top-level
    split_details: list[str] = dataclasses.field(default_factory=list)
    top: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)  # event -> incident
    leaf: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0


class Clock:
    """Formats event times relative to the timeline's start."""

    def __init__(self, start_ms: int) -> None:
        self.start_ms = start_ms

    def __call__(self, ms: int) -> str:
        offset = (ms - self.start_ms) // SECOND
        stamp = datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        return f"+{offset // 3600}h{offset % 3600 // 60:02d}m{offset % 60:02d}s ({stamp}Z)"


def outcome_name(outcome: int) -> str:
    return alert_pb2.AlertOutcome.Name(outcome).removeprefix("ALERT_OUTCOME_")


def order_figures(
    order: str, runs: list[tuple[Run, Readback, Resolver]], clock: Clock
) -> OrderFigures:
    figures = OrderFigures(order)
    truth: dict[tuple[int, int], tuple[int, int]] = {}
    for run, readback, resolver in runs:
        check_answers(run, figures, clock)
        scenario = run.scenario
        figures.problems += len(scenario.problems)
        figures.kinds.update(problem.kind for problem in scenario.problems)
        figures.kpi_alerts += readback.kpis.raw_alert_count
        figures.kpi_incidents += readback.kpis.incident_count
        figures.kpi_percents.append(readback.kpis.noise_reduction_pct)
        figures.seconds += run.seconds
        count_overtaken(run, figures)
        for event in scenario.events:
            if not event.is_alert:
                continue
            key = (scenario.company, event.seq)
            truth[key] = (scenario.company, event.problem)
            incident_id = run.answers[event.seq].incident_id
            if incident_id:
                figures.leaf[key] = resolver.leaf(incident_id)
                figures.top[key] = resolver.top(incident_id)
            else:  # joined no incident: a cluster of its own
                figures.leaf[key] = figures.top[key] = f"none/{run.company_id}/{event.seq}"
        check_invariant(run, readback, figures, clock)
        check_fragmentation(run, figures, clock)
    figures.alerts = len(truth)
    figures.top_level = len(set(figures.top.values()))
    figures.leaves = len(set(figures.leaf.values()))
    figures.top_scores = pair_scores(truth, figures.top)
    figures.leaf_scores = pair_scores(truth, figures.leaf)
    figures.storms = storm_figures(runs, figures.top, clock)
    return figures


def count_overtaken(run: Run, figures: OrderFigures) -> None:
    """What the arrival order did to the resolves: triggers sent after the resolve that ends
    them (late repeats of a resolved alert), and resolves sent before every trigger they end
    (nothing to resolve yet: UNMATCHED)."""
    position = {seq: index for index, seq in enumerate(run.sent)}
    by_key: dict[str, list[Event]] = defaultdict(list)
    for event in run.scenario.events:
        if event.retry_of is None:
            by_key[event.dedup_key].append(event)
    for events in by_key.values():
        cycle: list[Event] = []  # the triggers since the previous resolve
        for event in sorted(events, key=lambda e: e.occur_ms):
            if not event.resolve:
                cycle.append(event)
                continue
            figures.overtaken_triggers += sum(position[t.seq] > position[event.seq] for t in cycle)
            figures.early_resolves += all(position[t.seq] > position[event.seq] for t in cycle)
            cycle = []


def check_answers(run: Run, figures: OrderFigures, clock: Clock) -> None:
    """Counts outcomes and retries; notes every answer that is not what its event expects."""
    for event in run.scenario.events:
        answer = run.answers[event.seq]
        name = outcome_name(answer.outcome)
        if event.retry_of is not None:
            figures.retries_sent += 1
            original = run.answers[event.retry_of]
            if answer.outcome == alert_pb2.ALERT_OUTCOME_DUPLICATE:
                figures.retries_duplicate += 1
                if answer.alert_id != original.alert_id:
                    figures.unexpected.append(
                        f"{run.order} company {run.company_id}: retry {event.delivery_id} answered "
                        f"DUPLICATE of alert {answer.alert_id}, "
                        f"the original got {original.alert_id}"
                    )
                continue
            expected: set[int] = {alert_pb2.ALERT_OUTCOME_DUPLICATE}
            action = "retry"
        elif event.resolve:
            # In event-time order every resolve follows its trigger, so UNMATCHED is wrong there.
            expected = {alert_pb2.ALERT_OUTCOME_RESOLVED} if run.order == "A" else RESOLVE_OUTCOMES
            action = "resolve"
        else:
            expected, action = TRIGGER_OUTCOMES, "trigger"
        figures.outcomes[f"{action} {name}"] += 1
        missing_ids = action == "trigger" and not (answer.alert_id and answer.incident_id)
        if answer.outcome not in expected or missing_ids:
            figures.unexpected.append(
                f"{run.order} company {run.company_id}: {action} {event.dedup_key} at "
                f"{clock(event.occur_ms)} (delivery {event.delivery_id}) answered {name}, "
                f"alert {answer.alert_id or '-'}, incident {answer.incident_id or '-'}: "
                f"{answer.reason}"
            )


def check_fragmentation(run: Run, figures: OrderFigures, clock: Clock) -> None:
    """Per problem kind: problems split over several leaves or top-level incidents, and
    problems whose top-level incident also holds other problems."""
    scenario = run.scenario
    leaves: dict[int, set[str]] = defaultdict(set)
    tops: dict[int, set[str]] = defaultdict(set)
    problems_in: dict[str, set[int]] = defaultdict(set)
    for event in (e for e in scenario.events if e.is_alert):
        key = (scenario.company, event.seq)
        leaves[event.problem].add(figures.leaf[key])
        tops[event.problem].add(figures.top[key])
        problems_in[figures.top[key]].add(event.problem)
    for problem in scenario.problems:
        if len(leaves[problem.id]) > 1 and problem.kind != "storm":  # a storm: one leaf per asset
            figures.split_leaves[problem.kind] += 1
            figures.split_details.append(
                f"{run.order} company {run.company_id}: {problem.kind} "
                f"{problem.assets[0]}|{problem.signature} from {clock(problem.start_ms)} "
                f"split over {len(leaves[problem.id])} incidents: "
                f"{', '.join(sorted(leaves[problem.id]))}"
            )
        if len(tops[problem.id]) > 1:
            figures.split_top[problem.kind] += 1
        if any(len(problems_in[top]) > 1 for top in tops[problem.id]):
            figures.joined_top[problem.kind] += 1


def check_invariant(run: Run, readback: Readback, figures: OrderFigures, clock: Clock) -> None:
    """At most one firing (or acknowledged) alert per dedup key at the end."""
    unresolved: dict[str, list[alert_pb2.Alert]] = defaultdict(list)
    for alert in readback.alerts.values():
        if alert.status in UNRESOLVED:
            unresolved[alert.dedup_key].append(alert)
    figures.firing_at_end += sum(len(alerts) for alerts in unresolved.values())
    for dedup_key, alerts in sorted(unresolved.items()):
        if len(alerts) > 1:
            described = ", ".join(
                f"{alert.id} (incident {alert.incident_id}, first "
                f"{clock(timestamp_ms(alert.occur_time))}, count {alert.count})"
                for alert in alerts
            )
            figures.invariant.append(
                f"{run.order} company {run.company_id}: {dedup_key} has {len(alerts)} "
                f"firing alerts: {described}"
            )
    figures.truncated += len(readback.truncated)


def timestamp_ms(stamp: Timestamp) -> int:
    return stamp.seconds * 1000 + stamp.nanos // 1_000_000


def storm_figures(
    runs: list[tuple[Run, Readback, Resolver]], top: dict[tuple[int, int], str], clock: Clock
) -> StormFigures:
    figures = StormFigures()
    for run, readback, resolver in runs:
        scenario = run.scenario
        kind = {problem.id: problem.kind for problem in scenario.problems}
        problems_under: dict[str, Counter[int]] = defaultdict(Counter)  # top incident -> events
        clusters_of: dict[int, set[str]] = defaultdict(set)  # storm problem -> top incidents
        for event in scenario.events:
            if event.is_alert:
                cluster = top[(scenario.company, event.seq)]
                problems_under[cluster][event.problem] += 1
                if kind[event.problem] == "storm":
                    clusters_of[event.problem].add(cluster)
        parents = storm_parents(readback, resolver)
        figures.parents += len(parents)
        for parent in sorted(parents):
            held = problems_under.get(parent, Counter())
            storms = sorted(p for p in held if kind[p] == "storm")
            ordinary = sorted(p for p in held if kind[p] != "storm")
            if len(storms) == 1 and not ordinary:
                figures.clean_parents += 1
                continue
            if not storms:
                figures.false_no_storm += 1
            elif ordinary:
                figures.false_mixed += 1
            else:
                figures.multi_storm += 1
            figures.details.append(
                describe_parent(run, resolver.incident(parent), held, kind, scenario, clock)
            )
        for problem in (p for p in scenario.problems if p.kind == "storm"):
            figures.injected += 1
            clusters = clusters_of[problem.id]
            grouped = clusters & parents
            if len(clusters) == 1 and grouped:
                figures.whole += 1
                continue
            if grouped:
                figures.split += 1
            else:
                figures.ungrouped += 1
            figures.details.append(
                f"{run.order} company {run.company_id}: injected storm {problem.signature} on "
                f"{len(problem.assets)} assets from {clock(problem.start_ms)} ended in "
                f"{len(clusters)} top-level incidents ({len(grouped)} storm parents: "
                f"{', '.join(sorted(grouped)) or 'none'})"
            )
    return figures


def storm_parents(readback: Readback, resolver: Resolver) -> set[str]:
    """Top-level incidents that are storm parents."""
    parents = {
        incident.parent_incident_id
        for incident in readback.incidents.values()
        if incident.parent_incident_id
    }
    parents |= {i.id for i in readback.incidents.values() if i.child_incident_count > 0}
    return {resolver.top(parent) for parent in parents}


def describe_parent(
    run: Run,
    parent: incident_pb2.Incident,
    held: Counter[int],
    kind: dict[int, str],
    scenario: Scenario,
    clock: Clock,
) -> str:
    start = {problem.id: problem.start_ms for problem in scenario.problems}
    onsets = sorted(start[p] for p in held)
    spread = (onsets[-1] - onsets[0]) // SECOND if onsets else 0
    kinds = Counter(kind[p] for p in held)
    return (
        f"{run.order} company {run.company_id}: storm parent {parent.id} "
        f"({parent.aggregation_key}, {parent.child_incident_count} children, first alert "
        f"{clock(timestamp_ms(parent.first_alert_time))}) holds "
        f"{listing(kinds)} problems, "
        f"onsets spread over {spread} s"
    )


def partition_difference(
    first: dict[tuple[int, int], str], second: dict[tuple[int, int], str]
) -> tuple[int, float]:
    """Events whose cluster (as a set of events) differs, and the pairwise F1 of the two."""
    members: list[dict[str, frozenset[tuple[int, int]]]] = []
    for partition in (first, second):
        grouped: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for key, cluster in partition.items():
            grouped[cluster].add(key)
        members.append({cluster: frozenset(keys) for cluster, keys in grouped.items()})
    differing = sum(members[0][first[key]] != members[1][second[key]] for key in first)
    return differing, pair_scores(dict(first), dict(second)).f1


# ---------------------------------------------------------------------------------------------
# Printing


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def ratio(part: int, whole: int) -> str:
    return f"{1 - part / whole:.1%}" if whole else "-"


def print_parameters(params: Params, scenarios: list[Scenario], clock: Clock, end_ms: int) -> None:
    events = [event for scenario in scenarios for event in scenario.events]
    kinds = Counter(p.kind for scenario in scenarios for p in scenario.problems)
    storms = sorted(len(p.assets) for s in scenarios for p in s.problems if p.kind == "storm")
    print("quality-bench: correlation quality against a known answer")
    print(
        f"generator: seed {params.seed}, {params.companies} companies x {params.assets} assets, "
        f"{params.signatures} signatures, {params.hours:g} h of event time "
        f"{clock(clock.start_ms)} .. {clock(end_ms)}, "
        f"lateness 0..{params.lateness_ms // MINUTE} min, "
        f"batches of {params.batch}, model window {WINDOW // MINUTE} min"
    )
    print(
        f"  problems: {sum(kinds.values())} ({listing(kinds)}); "
        f"storm sizes {storms}; not placed: {sum(s.unplaced for s in scenarios)}"
    )
    print(
        f"  events per order: {sum(e.is_alert for e in events)} trigger alerts, "
        f"{sum(e.resolve for e in events)} resolves, "
        f"{sum(e.retry_of is not None for e in events)} retried deliveries"
    )


def print_config(operator: Client, company_id: str) -> None:
    config = operator.correlation.GetCorrelationConfig(
        correlation_service_pb2.GetCorrelationConfigRequest(company_id=company_id),
        timeout=RPC_TIMEOUT,
    ).config
    config.ClearField("company_id")
    one_line = text_format.MessageToString(config, as_one_line=True)
    print(f"server correlation config: {one_line}")
    if config.window.seconds * 1000 != WINDOW:
        print(f"  note: the model assumes a {WINDOW // MINUTE} min window")


def print_order(figures: OrderFigures) -> None:
    f = figures
    print(f"\n== order {f.order}: {ORDER_NAMES[f.order]} (sent in {f.seconds:.1f} s of requests)")
    print(
        f"  alerts {f.alerts}, problems {f.problems} "
        f"({listing(f.kinds)}), ideal noise reduction {ratio(f.problems, f.alerts)}"
    )
    print(
        f"  incidents: {f.top_level} top-level, {f.leaves} leaves; noise reduction top-level "
        f"{ratio(f.top_level, f.alerts)}, leaves {ratio(f.leaves, f.alerts)}"
    )
    print(
        f"  GetKpis: raw alerts {f.kpi_alerts} ({agrees(f.kpi_alerts, f.alerts)} alerts sent), "
        f"incidents {f.kpi_incidents} ({agrees(f.kpi_incidents, f.top_level)} top-level here), "
        f"noise reduction {ratio(f.kpi_incidents, f.kpi_alerts)} (noise_reduction_pct per company: "
        f"{', '.join(f'{value:.1f}%' for value in f.kpi_percents)})"
    )
    for name, scores in (("top-level", f.top_scores), ("leaves", f.leaf_scores)):
        print(
            f"  {name}: purity {pct(scores.purity)}, pairwise precision {pct(scores.precision)}, "
            f"recall {pct(scores.recall)}, F1 {pct(scores.f1)}"
        )
    s = f.storms
    print(
        f"  storms: {s.injected} injected, {s.parents} parents; {s.clean_parents} clean parents, "
        f"{s.whole} storms whole in one parent, {s.split} split, {s.ungrouped} not grouped; "
        f"false parents: {s.false_no_storm} without a storm, {s.false_mixed} mixing ordinary "
        f"problems, {s.multi_storm} joining storms"
    )
    for name, counts in (
        ("split over several leaves (storms aside)", f.split_leaves),
        ("split over several top-level incidents", f.split_top),
        ("sharing a top-level incident with other problems", f.joined_top),
    ):
        print(f"  problems {name}: {by_kind(counts, f.kinds)}")
    print(
        f"  arrival: {f.overtaken_triggers} triggers sent after the resolve that ends them, "
        f"{f.early_resolves} resolves sent before all of their triggers"
    )
    print(f"  retries: {f.retries_duplicate} of {f.retries_sent} answered DUPLICATE")
    print(f"  outcomes: {', '.join(f'{k} {n}' for k, n in sorted(f.outcomes.items()))}")
    print(
        f"  unexpected answers: {len(f.unexpected)}; "
        f"alerts unresolved at the end: {f.firing_at_end}; "
        f"dedup keys with more than one unresolved alert: {len(f.invariant)}"
    )
    if f.truncated:
        print(f"  note: {f.truncated} incidents hold over 1,000 alerts; only 1,000 were checked")
    shown = (f.unexpected, 5), (f.invariant, 5), (s.details, 8), (f.split_details, 5)
    for lines, limit in shown:
        for line in lines[:limit]:
            print(f"    {line}")
    hidden = sum(max(0, len(lines) - limit) for lines, limit in shown)
    if hidden:
        print(f"    ... and {hidden} more")


def by_kind(counts: Counter[str], kinds: Counter[str]) -> str:
    return ", ".join(f"{kind} {counts[kind]}/{total}" for kind, total in sorted(kinds.items()))


def listing(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def agrees(theirs: int, ours: int) -> str:
    return "=" if theirs == ours else f"!= {ours}"


ORDER_NAMES = {
    "A": "event-time order",
    "B": "uniform lateness, seed B",
    "C": "uniform lateness, seed C",
    "D": "full shuffle (information only)",
}


def print_summary(all_figures: list[OrderFigures]) -> None:
    rows: list[tuple[str, Callable[[OrderFigures], str]]] = [
        ("trigger alerts", lambda f: str(f.alerts)),
        ("problems", lambda f: str(f.problems)),
        ("ideal noise reduction", lambda f: ratio(f.problems, f.alerts)),
        ("incidents top-level", lambda f: str(f.top_level)),
        ("incidents leaves", lambda f: str(f.leaves)),
        ("noise reduction top-level", lambda f: ratio(f.top_level, f.alerts)),
        ("GetKpis alerts / incidents", lambda f: f"{f.kpi_alerts} / {f.kpi_incidents}"),
        ("GetKpis noise reduction", lambda f: ratio(f.kpi_incidents, f.kpi_alerts)),
        (
            "GetKpis agrees",
            lambda f: yes(f.kpi_alerts == f.alerts and f.kpi_incidents == f.top_level),
        ),
        ("purity top-level", lambda f: pct(f.top_scores.purity)),
        ("pairwise precision", lambda f: pct(f.top_scores.precision)),
        ("pairwise recall", lambda f: pct(f.top_scores.recall)),
        ("pairwise F1", lambda f: pct(f.top_scores.f1)),
        ("pairwise F1 leaves", lambda f: pct(f.leaf_scores.f1)),
        ("problems split over leaves", lambda f: str(sum(f.split_leaves.values()))),
        ("problems sharing a top-level", lambda f: str(sum(f.joined_top.values()))),
        ("storms injected / parents", lambda f: f"{f.storms.injected} / {f.storms.parents}"),
        ("clean parents", lambda f: str(f.storms.clean_parents)),
        (
            "storms whole / split / none",
            lambda f: f"{f.storms.whole} / {f.storms.split} / {f.storms.ungrouped}",
        ),
        (
            "false parents (no storm/mixed/2+)",
            lambda f: "{} / {} / {}".format(
                f.storms.false_no_storm, f.storms.false_mixed, f.storms.multi_storm
            ),
        ),
        ("triggers sent after their resolve", lambda f: str(f.overtaken_triggers)),
        ("resolves sent before their triggers", lambda f: str(f.early_resolves)),
        ("retries DUPLICATE / sent", lambda f: f"{f.retries_duplicate} / {f.retries_sent}"),
        ("unexpected answers", lambda f: str(len(f.unexpected))),
        ("unresolved alerts at end", lambda f: str(f.firing_at_end)),
        ("invariant violations", lambda f: str(len(f.invariant))),
    ]
    width = max(len(label) for label, _ in rows)
    print("\n== summary")
    print(f"{'':{width}}  " + "  ".join(f"{f.order:>12}" for f in all_figures))
    for label, cell in rows:
        print(f"{label:{width}}  " + "  ".join(f"{cell(f):>12}" for f in all_figures))


def yes(value: bool) -> str:
    return "yes" if value else "NO"


def print_agreement(all_figures: list[OrderFigures]) -> None:
    print("\n== order agreement (partitions of the trigger alerts)")
    for index, first in enumerate(all_figures):
        for second in all_figures[index + 1 :]:
            parts = []
            for name in ("top", "leaf"):
                differing, f1 = partition_difference(getattr(first, name), getattr(second, name))
                described = f"{differing} alerts in differing clusters, F1 {pct(f1)}"
                parts.append(f"{name}: {'identical' if differing == 0 else described}")
            print(f"  {first.order} vs {second.order}: {'; '.join(parts)}")


# ---------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str]) -> tuple[Params, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description="Correlation quality benchmark against a known answer (see the module doc)."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--companies", type=int, default=3, help="scenario companies")
    parser.add_argument("--assets", type=int, default=60, help="assets per company")
    parser.add_argument("--signatures", type=int, default=10)
    parser.add_argument("--hours", type=float, default=6, help="hours of event time")
    parser.add_argument("--lateness", type=float, default=30, help="lateness bound L, minutes")
    parser.add_argument("--batch", type=int, default=100, help="alerts per IngestAlerts (1-1000)")
    parser.add_argument("--full-shuffle", action="store_true", help="add order D")
    parser.add_argument(
        "--per-key-fifo",
        action="store_true",
        help="B and C keep each dedup key's own events in order (one sender per alert)",
    )
    parser.add_argument(
        "--server-lateness",
        type=int,
        default=0,
        help="set each company's lateness bound to this many minutes (0 keeps the default)",
    )
    parser.add_argument("--url", help="an already running server (host:port); needs --token")
    parser.add_argument("--token", help="an admin operator token of --url")
    parser.add_argument("--keep", action="store_true", help="leave the data directory")
    args = parser.parse_args(argv)
    if args.url and not args.token:
        parser.error("--url needs --token")
    if not 1 <= args.batch <= 1000 or args.companies < 1 or args.assets < 8 or args.hours < 1:
        parser.error("needs --batch 1..1000, --companies >= 1, --assets >= 8, --hours >= 1")
    if not 1 <= args.signatures <= 100:
        parser.error("needs --signatures 1..100")
    params = Params(
        seed=args.seed,
        companies=args.companies,
        assets=args.assets,
        signatures=args.signatures,
        hours=args.hours,
        lateness_ms=int(args.lateness * MINUTE),
        batch=args.batch,
        full_shuffle=args.full_shuffle,
        per_key_fifo=args.per_key_fifo,
        server_lateness_min=args.server_lateness,
    )
    return params, args


def run_benchmark(params: Params, target: str, token: str) -> None:
    end_ms = (time.time_ns() // 1_000_000) - 5 * MINUTE
    start_ms = end_ms - int(params.hours * HOUR)
    clock = Clock(start_ms)
    scenarios = [
        Generator(params, company, start_ms, end_ms).generate()
        for company in range(params.companies)
    ]
    print_parameters(params, scenarios, clock, end_ms)
    orders = ["A", "B", "C"] + (["D"] if params.full_shuffle else [])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    with connect(target, token) as operator:
        runs = [Run(order, scenario) for order in orders for scenario in scenarios]
        for run in runs:
            run.company_id, run.api_key = create_company(
                operator,
                f"quality-bench {stamp} seed {params.seed} c{run.scenario.company} {run.order}",
            )
        if params.server_lateness_min:
            for run in runs:
                set_lateness(operator, run.company_id, params.server_lateness_min)
        print_config(operator, runs[0].company_id)
        with ThreadPoolExecutor(max_workers=len(runs)) as pool:
            for future in [pool.submit(send, run, target, params) for run in runs]:
                future.result()
        read = [(run, read_back(operator, run.company_id)) for run in runs]
        results = [(run, readback, Resolver(operator, readback)) for run, readback in read]
        all_figures = [
            order_figures(order, [r for r in results if r[0].order == order], clock)
            for order in orders
        ]
    for figures in all_figures:
        print_order(figures)
    print_summary(all_figures)
    print_agreement(all_figures)


def main(argv: list[str]) -> int:
    params, args = parse_args(argv)
    server: Optional[Server] = None
    try:
        if args.url:
            target, token = args.url.removeprefix("http://"), args.token
        else:
            server = Server(os.environ.get("AW_BINARY", DEFAULT_BINARY), args.keep)
            token = server.start()
            target = server.target
            print(f"server: {server.binary} on {target} (data in {server.work})")
        run_benchmark(params, target, token)
    except RunFailed as failure:
        print(f"quality-bench: FAILED: {failure}", file=sys.stderr)
        if server is not None:
            print(f"-- server log (last lines)\n{server.log_tail()}", file=sys.stderr)
        return 1
    except grpc.RpcError as error:
        failure = f"gRPC {error.code().name}: {error.details()}"
        print(f"quality-bench: FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
