"""Watch a company's incidents live over gRPC (WatchIncidents, a server stream) and acknowledge
one. Run by scripts/test-clients, where it checks the whole flow:

1. create a company (operator token) and open its incident stream;
2. ingest an alert with the company's API key;
3. wait on the stream for the incident the alert opened;
4. close the stream (as a dropped connection would), acknowledge the incident, and reopen the
   stream with after_sequence = the last sequence seen: the acknowledgement is replayed;
5. assert the incident is acknowledged.

    AW_TARGET=127.0.0.1:8080 AW_TOKEN=awo_... python examples/watch_and_ack.py

With AW_COMPANY_ID set it only follows that company's stream and prints every change,
reconnecting with after_sequence after any failure (Ctrl+C to stop):

    AW_TARGET=... AW_TOKEN=... AW_COMPANY_ID=... python examples/watch_and_ack.py
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Iterator, Optional

import grpc

from alertwhisperer_client import (
    Client,
    alert_pb2,
    connect,
    incident_pb2,
    incident_service_pb2,
    ingest_service_pb2,
    tenant_service_pb2,
)

TIMEOUT_S = 20


def describe(event: incident_pb2.IncidentFeedEvent) -> str:
    kind = incident_pb2.IncidentEventKind.Name(event.kind)
    status = incident_pb2.IncidentStatus.Name(event.incident.status)
    return (
        f"#{event.sequence} {kind} {event.incident.id} [{status}] "
        f"{event.incident.asset} {event.incident.signature}: {event.message}"
    )


def follow_incidents(client: Client, company_id: str) -> Iterator[incident_pb2.IncidentFeedEvent]:
    """Every incident change of a company, for ever.

    Resumes after the last sequence seen (events and heartbeats carry one) when the stream
    fails, with a capped exponential backoff.
    """
    after: Optional[int] = None  # unset: start live; the first heartbeat tells the position
    attempt = 0
    while True:
        request = incident_service_pb2.WatchIncidentsRequest(company_id=company_id)
        if after is not None:
            request.after_sequence = after
        try:
            for message in client.incidents.WatchIncidents(request):
                attempt = 0
                if message.HasField("heartbeat"):
                    after = max(after or 0, message.heartbeat.sequence)
                elif message.HasField("event"):
                    after = message.event.sequence
                    yield message.event
        except grpc.RpcError as error:
            code = error.code()
            if code == grpc.StatusCode.OUT_OF_RANGE:
                after = None  # the log no longer holds our position: list again, then follow
            elif code in (
                grpc.StatusCode.UNAUTHENTICATED,
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.UNIMPLEMENTED,
            ):
                raise
            print(f"stream failed ({code.name}); resuming after sequence {after}")
        time.sleep(min(30.0, 0.5 * 2**attempt))
        attempt += 1


def wait_for_event(
    client: Client,
    company_id: str,
    after: Optional[int],
    predicate: Callable[[incident_pb2.IncidentFeedEvent], bool],
    on_open: Callable[[], None] = lambda: None,
) -> tuple[incident_pb2.IncidentFeedEvent, int]:
    """Reads one stream until an event satisfies ``predicate``; returns it and the last sequence."""
    request = incident_service_pb2.WatchIncidentsRequest(company_id=company_id)
    if after is not None:
        request.after_sequence = after
    stream = client.incidents.WatchIncidents(request)
    timer = threading.Timer(TIMEOUT_S, stream.cancel)
    timer.start()
    sequence = after or 0
    opened = False
    try:
        for message in stream:
            if message.HasField("heartbeat"):
                sequence = max(sequence, message.heartbeat.sequence)
            if not opened:
                # The stream is open (a fresh stream starts with a heartbeat): make the change.
                opened = True
                on_open()
            if message.HasField("event"):
                sequence = message.event.sequence
                print(f"  event {describe(message.event)}")
                if predicate(message.event):
                    return message.event, sequence
        raise AssertionError("the stream ended before the expected event")
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.CANCELLED:
            raise AssertionError(f"no matching event within {TIMEOUT_S} s") from None
        raise
    finally:
        timer.cancel()
        stream.cancel()  # closes the stream


def main() -> None:
    target = os.environ["AW_TARGET"]
    token = os.environ["AW_TOKEN"]

    with connect(target, token) as aw:
        if os.environ.get("AW_COMPANY_ID"):
            try:
                for event in follow_incidents(aw, os.environ["AW_COMPANY_ID"]):
                    print(describe(event), flush=True)
            except KeyboardInterrupt:
                pass
            return

        created = aw.tenants.CreateCompany(
            tenant_service_pb2.CreateCompanyRequest(name=f"py-watch-{time.time_ns()}"),
            timeout=10,
        )
        company_id = created.company.id
        assert company_id, "CreateCompany returned no company id"

        def ingest() -> None:
            with connect(target, created.api_key_secret, header="x-api-key") as company:
                answer = company.ingest.IngestAlert(
                    ingest_service_pb2.IngestAlertRequest(
                        alert=alert_pb2.AlertInput(
                            asset="db-01",
                            signature="replication_lag",
                            severity=alert_pb2.SEVERITY_CRITICAL,
                            message="replica 45 s behind",
                            tool_source="py-example",
                        )
                    ),
                    timeout=10,
                )
            print(f"  ingested alert {answer.result.alert_id}")

        # 1-3: a fresh stream (no after_sequence) starts with a heartbeat; ingest, then wait.
        opened, sequence = wait_for_event(
            aw,
            company_id,
            None,
            lambda e: e.kind == incident_pb2.INCIDENT_EVENT_KIND_CREATED
            and e.incident.asset == "db-01",
            on_open=ingest,
        )
        incident_id = opened.incident.id
        assert incident_id, "the CREATED event carries no incident"
        assert opened.incident.status == incident_pb2.INCIDENT_STATUS_OPEN

        # 4: the stream is closed; acknowledge, then resume after the last sequence seen.
        acked = aw.incidents.AcknowledgeIncident(
            incident_service_pb2.AcknowledgeIncidentRequest(
                incident_id=incident_id, comment="on it (python example)"
            ),
            timeout=10,
        )
        assert acked.incident.status == incident_pb2.INCIDENT_STATUS_ACKNOWLEDGED
        _, resumed = wait_for_event(
            aw,
            company_id,
            sequence,
            lambda e: e.incident.id == incident_id
            and e.kind == incident_pb2.INCIDENT_EVENT_KIND_ACKNOWLEDGED,
        )
        assert resumed > sequence, "resumed stream went backwards"

        # 5: the incident as the server has it now.
        got = aw.incidents.GetIncident(
            incident_service_pb2.GetIncidentRequest(incident_id=incident_id), timeout=10
        )
        assert got.incident.status == incident_pb2.INCIDENT_STATUS_ACKNOWLEDGED, (
            "the incident is not acknowledged"
        )
    print(
        f"python watch: incident {incident_id} opened, watched and acknowledged "
        f"(resumed after #{sequence})"
    )


if __name__ == "__main__":
    main()
