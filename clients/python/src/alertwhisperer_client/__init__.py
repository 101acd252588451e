"""Alert Whisperer client over gRPC (grpcio).

The generated modules live in the top-level package ``alertwhisperer.v1``
(``alert_pb2``, ``tenant_service_pb2_grpc``, ...) so that their own absolute
imports resolve; they are re-exported here as ``alertwhisperer_client.v1``.
:func:`connect` opens a channel that authenticates every call.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Optional

import grpc

from alertwhisperer import v1
from alertwhisperer.v1 import (
    alert_pb2,
    compliance_pb2,
    compliance_service_pb2,
    compliance_service_pb2_grpc,
    correlation_pb2,
    correlation_service_pb2,
    correlation_service_pb2_grpc,
    incident_pb2,
    incident_service_pb2,
    incident_service_pb2_grpc,
    ingest_service_pb2,
    ingest_service_pb2_grpc,
    instance_pb2,
    matcher_pb2,
    runbook_pb2,
    runbook_service_pb2,
    runbook_service_pb2_grpc,
    tenant_service_pb2,
    tenant_service_pb2_grpc,
    watch_pb2,
)

__all__ = [
    "Client",
    "HeaderInterceptor",
    "connect",
    "v1",
    "alert_pb2",
    "compliance_pb2",
    "compliance_service_pb2",
    "compliance_service_pb2_grpc",
    "correlation_pb2",
    "correlation_service_pb2",
    "correlation_service_pb2_grpc",
    "incident_pb2",
    "incident_service_pb2",
    "incident_service_pb2_grpc",
    "ingest_service_pb2",
    "ingest_service_pb2_grpc",
    "instance_pb2",
    "matcher_pb2",
    "runbook_pb2",
    "runbook_service_pb2",
    "runbook_service_pb2_grpc",
    "tenant_service_pb2",
    "tenant_service_pb2_grpc",
    "watch_pb2",
]


class _CallDetails(
    collections.namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class HeaderInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds one metadata entry (e.g. ``authorization: Bearer <token>``) to every call."""

    def __init__(self, key: str, value: str) -> None:
        self._entry = (key, value)

    def _details(self, details: grpc.ClientCallDetails) -> _CallDetails:
        metadata = list(details.metadata or [])
        metadata.append(self._entry)
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)


@dataclass
class Client:
    """Stubs for every Alert Whisperer service on one authenticated channel."""

    channel: grpc.Channel
    compliance: compliance_service_pb2_grpc.ComplianceServiceStub
    correlation: correlation_service_pb2_grpc.CorrelationServiceStub
    incidents: incident_service_pb2_grpc.IncidentServiceStub
    ingest: ingest_service_pb2_grpc.IngestServiceStub
    runbooks: runbook_service_pb2_grpc.RunbookServiceStub
    tenants: tenant_service_pb2_grpc.TenantServiceStub

    def close(self) -> None:
        """Closes the channel."""
        self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def connect(
    target: str,
    token: str,
    *,
    credentials: Optional[grpc.ChannelCredentials] = None,
    header: str = "authorization",
) -> Client:
    """Connects to ``target`` (``host:port``) and authenticates every call.

    ``token`` is sent as ``authorization: Bearer <token>``: an operator token, or a
    company's ingest API key for IngestService (the server takes either). With
    ``header="x-api-key"`` the token is sent as ``x-api-key: <token>`` instead.
    Without ``credentials`` the channel is plaintext HTTP/2 (the server's h2c);
    pass ``grpc.ssl_channel_credentials()`` behind a TLS proxy.
    """
    value = f"Bearer {token}" if header == "authorization" else token
    raw = (
        grpc.secure_channel(target, credentials)
        if credentials is not None
        else grpc.insecure_channel(target)
    )
    channel = grpc.intercept_channel(raw, HeaderInterceptor(header, value))
    return Client(
        channel=channel,
        compliance=compliance_service_pb2_grpc.ComplianceServiceStub(channel),
        correlation=correlation_service_pb2_grpc.CorrelationServiceStub(channel),
        incidents=incident_service_pb2_grpc.IncidentServiceStub(channel),
        ingest=ingest_service_pb2_grpc.IngestServiceStub(channel),
        runbooks=runbook_service_pb2_grpc.RunbookServiceStub(channel),
        tenants=tenant_service_pb2_grpc.TenantServiceStub(channel),
    )
