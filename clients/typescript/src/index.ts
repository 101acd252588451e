/**
 * Alert Whisperer client for browsers and Node over grpc-web: the generated
 * messages and service descriptors (protobuf-es v2, in ./gen) and a helper
 * that builds connect-es v2 clients with an operator bearer token.
 */
import { createClient as createConnectClient } from "@connectrpc/connect";
import type { Client, Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { ComplianceService } from "./gen/alertwhisperer/v1/compliance_service_pb.js";
import { CorrelationService } from "./gen/alertwhisperer/v1/correlation_service_pb.js";
import { IncidentService } from "./gen/alertwhisperer/v1/incident_service_pb.js";
import { IngestService } from "./gen/alertwhisperer/v1/ingest_service_pb.js";
import { NotificationService } from "./gen/alertwhisperer/v1/notification_service_pb.js";
import { RunbookService } from "./gen/alertwhisperer/v1/runbook_service_pb.js";
import { TenantService } from "./gen/alertwhisperer/v1/tenant_service_pb.js";

export * from "./gen/alertwhisperer/v1/alert_pb.js";
export * from "./gen/alertwhisperer/v1/compliance_pb.js";
export * from "./gen/alertwhisperer/v1/compliance_service_pb.js";
export * from "./gen/alertwhisperer/v1/correlation_pb.js";
export * from "./gen/alertwhisperer/v1/correlation_service_pb.js";
export * from "./gen/alertwhisperer/v1/incident_pb.js";
export * from "./gen/alertwhisperer/v1/incident_service_pb.js";
export * from "./gen/alertwhisperer/v1/ingest_service_pb.js";
export * from "./gen/alertwhisperer/v1/instance_pb.js";
export * from "./gen/alertwhisperer/v1/matcher_pb.js";
export * from "./gen/alertwhisperer/v1/notification_service_pb.js";
export * from "./gen/alertwhisperer/v1/runbook_pb.js";
export * from "./gen/alertwhisperer/v1/runbook_service_pb.js";
export * from "./gen/alertwhisperer/v1/tenant_service_pb.js";
export * from "./gen/alertwhisperer/v1/watch_pb.js";

/** One connect-es client per Alert Whisperer service, sharing one transport. */
export interface AlertWhispererClient {
  /** The transport the clients share, e.g. to build a client for another service. */
  transport: Transport;
  compliance: Client<typeof ComplianceService>;
  correlation: Client<typeof CorrelationService>;
  incidents: Client<typeof IncidentService>;
  ingest: Client<typeof IngestService>;
  notifications: Client<typeof NotificationService>;
  runbooks: Client<typeof RunbookService>;
  tenants: Client<typeof TenantService>;
}

/** An interceptor that sends `authorization: Bearer <token>` on every call. */
export function bearerToken(token: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** An interceptor that sends the company's ingest API key as `x-api-key` on every call. */
export function apiKey(key: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("x-api-key", key);
    return next(req);
  };
}

/**
 * Clients for every service at `baseUrl` (e.g. `http://127.0.0.1:8080`) over
 * grpc-web, authenticated with an operator token, or with an ingest API key for
 * IngestService when `token` is one (the server takes either as a bearer token).
 * Works in browsers and in Node 20+ (global fetch).
 */
export function createClient(baseUrl: string, token: string): AlertWhispererClient {
  const transport = createGrpcWebTransport({
    baseUrl,
    interceptors: [bearerToken(token)],
  });
  return {
    transport,
    compliance: createConnectClient(ComplianceService, transport),
    correlation: createConnectClient(CorrelationService, transport),
    incidents: createConnectClient(IncidentService, transport),
    ingest: createConnectClient(IngestService, transport),
    notifications: createConnectClient(NotificationService, transport),
    runbooks: createConnectClient(RunbookService, transport),
    tenants: createConnectClient(TenantService, transport),
  };
}
