"""Smoke test against a running server over gRPC (run by scripts/test-clients):
create a company with the operator token, ingest one alert with its API key.

    AW_TARGET=127.0.0.1:8080 AW_TOKEN=awo_... python examples/smoke.py
"""

import os
import time

from alertwhisperer_client import alert_pb2, connect, ingest_service_pb2, tenant_service_pb2


def main() -> None:
    target = os.environ["AW_TARGET"]
    token = os.environ["AW_TOKEN"]

    with connect(target, token) as operator:
        created = operator.tenants.CreateCompany(
            tenant_service_pb2.CreateCompanyRequest(name=f"py-smoke-{time.time_ns()}"),
            timeout=10,
        )
    assert created.company.id, "CreateCompany returned no company id"
    assert created.api_key_secret, "CreateCompany returned no API key"

    # Ingest authenticates with the company's API key in `x-api-key`.
    with connect(target, created.api_key_secret, header="x-api-key") as company:
        answer = company.ingest.IngestAlert(
            ingest_service_pb2.IngestAlertRequest(
                alert=alert_pb2.AlertInput(
                    asset="web-01",
                    signature="disk_full",
                    severity=alert_pb2.SEVERITY_CRITICAL,
                    message="disk / is 97% full",
                    tool_source="smoke-test",
                )
            ),
            timeout=10,
        )
    outcome = alert_pb2.AlertOutcome.Name(answer.result.outcome)
    assert answer.result.outcome == alert_pb2.ALERT_OUTCOME_NEW_INCIDENT, (
        f"outcome {outcome}: {answer.result.reason}"
    )
    assert answer.result.alert_id, "IngestAlert returned no alert id"
    print(f"python smoke: company {created.company.id}, alert {answer.result.alert_id} stored")


if __name__ == "__main__":
    main()
