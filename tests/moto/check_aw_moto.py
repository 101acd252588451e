#!/usr/bin/env python3
"""Self-check of tests/moto/aw_moto.py through boto3 (installed with moto[server]).

Starts aw_moto on a free 127.0.0.1 port, exercises STS AssumeRole (recorded,
and the "Denied" role's AccessDenied), SSM DescribeInstanceInformation with the
assumed credentials (fixtures, pagination), CreateActivation and the control
API; then per-account fixtures (roles assumed in 111111111111 and 222222222222
each get their own instances, patch states and compliance summaries, a third
account the default ones), DescribeInstancePatchStates and
ListResourceComplianceSummaries (InstanceIds, the ComplianceType filter,
pagination); QuickSight data sources, data sets and ingestions (create,
ResourceExistsException, update, describe, the other account's AccessDenied,
GET /_aw/quicksight); SSM Run Command through assumed roles (SendCommand by
InstanceIds and by tag targets on Tags fixtures, invocation outcomes Success /
Failed / InProgress / Delayed with ResponseCode, stderr and PendingPolls, the
command_executed waiter, POST /_aw/invocations, GetCommandInvocation's string
dates, ListCommandInvocations with Details and pages, ListCommands, CancelCommand,
InvocationDoesNotExist / InvalidCommandId / InvalidParameters, another account
seeing nothing, the NoRunCommand role's AccessDeniedException, /_aw/commands and
the recorded calls with Account and RoleArn); SSM Automation (the default steps
of AWS-RestartEC2Instance progressing per GetAutomationExecution, a failing step
from the outcome table, a Waiting aws:approve step stopped by
StopAutomationExecution, SendAutomationSignal approving and rejecting an
aws:approve step, ClientToken idempotency, another account and unknown
ids answering AutomationExecutionNotFoundException, the NoAutomation role's
AccessDeniedException, /_aw/automations and the recorded calls); SSM Session
Manager (StartSession's id, token and URL, DescribeSessions Active / History with
a SessionId filter, TerminateSession idempotent and per account, the NoSession
role's AccessDeniedException, /_aw/sessions, a session ending by itself through
/_aw/sessions/end, and the recorded calls); stops the server
and exits non-zero on any failure.

Run with the venv's python:  /var/tmp/aw-venv/bin/python tests/moto/check_aw_moto.py
"""

import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from typing import Any, List

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/ClientRunbooks"
DENIED_ROLE = "arn:aws:iam::123456789012:role/Denied"

FIXTURES = [
    {
        "InstanceId": "mi-0123456789abcdef0",
        "PingStatus": "Online",
        "LastPingDateTime": 1767225600,
        "AgentVersion": "3.3.1142.0",
        "IsLatestVersion": True,
        "PlatformType": "Linux",
        "PlatformName": "Ubuntu",
        "PlatformVersion": "22.04",
        "ResourceType": "ManagedInstance",
        "IPAddress": "192.0.2.10",
        "ComputerName": "web-01.client.example",
        "Name": "web-01",
        "ActivationId": "2f9c2b0e-1111-4a5b-9c1d-000000000001",
        "RegistrationDate": 1764547200,
    },
    {
        "InstanceId": "mi-0fedcba9876543210",
        "PingStatus": "ConnectionLost",
        "LastPingDateTime": 1767139200.5,
        "AgentVersion": "3.3.1000.0",
        "IsLatestVersion": False,
        "PlatformType": "Windows",
        "PlatformName": "Microsoft Windows Server 2022 Datacenter",
        "PlatformVersion": "10.0.20348",
        "ResourceType": "ManagedInstance",
        "IPAddress": "192.0.2.11",
        "ComputerName": "DC01",
        "Name": "dc-01",
        "ActivationId": "2f9c2b0e-1111-4a5b-9c1d-000000000001",
        "RegistrationDate": "2025-12-01T00:00:00Z",
    },
]

failures: List[str] = []
passes: List[str] = []


def check(cond: bool, what: str, detail: Any = "") -> None:
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f": {detail!r}"))
    (passes if cond else failures).append(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, payload: Any = None) -> "tuple[int, Any]":
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
            return resp.status, (json.loads(body) if body else None)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def client(service: str, endpoint: str, **creds: str) -> Any:
    creds = creds or {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "secret"}
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        # boto3 would refuse MaxResults=1 (AWS's minimum is 5) before sending it
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
        **creds,
    )


def run_checks(endpoint: str) -> None:
    sts = client("sts", endpoint)

    # --- STS AssumeRole with an external id: moto answers, we record ---------
    assumed = sts.assume_role(RoleArn=ROLE, RoleSessionName="aw-runbooks", ExternalId="ext-42", DurationSeconds=900)
    creds = assumed["Credentials"]
    check(bool(creds.get("AccessKeyId")) and bool(creds.get("SessionToken")), "AssumeRole returns moto's credentials")
    check(
        assumed["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/ClientRunbooks/aw-runbooks",
        "AssumeRole assumed-role ARN",
        assumed["AssumedRoleUser"],
    )

    # --- Denied role: STS AccessDenied --------------------------------------
    try:
        sts.assume_role(RoleArn=DENIED_ROLE, RoleSessionName="aw-runbooks", ExternalId="ext-42")
        check(False, "Denied role raises AccessDenied", "no error")
    except ClientError as err:
        e = err.response["Error"]
        check(e.get("Code") == "AccessDenied", "Denied role error code AccessDenied", e)
        check(e.get("Type") == "Sender", "Denied role error type Sender", e)
        check(err.response["ResponseMetadata"]["HTTPStatusCode"] == 403, "Denied role HTTP 403", err.response)
        check(
            bool(re.fullmatch(r"User: arn:aws:\S+ is not authorized to perform: sts:AssumeRole on resource: "
                              + re.escape(DENIED_ROLE), e.get("Message", ""))),
            "Denied role message names the role",
            e.get("Message"),
        )
        check(bool(err.response["ResponseMetadata"].get("RequestId")), "Denied role RequestId", err.response)

    # --- control API: fixtures -----------------------------------------------
    status, _ = http("POST", endpoint + "/_aw/instances", FIXTURES)
    check(status == 204, "POST /_aw/instances answers 204", status)
    status, _ = http("POST", endpoint + "/_aw/instances", {"not": "a list"})
    check(status == 400, "POST /_aw/instances rejects a non-array", status)

    # --- SSM with the assumed credentials -----------------------------------
    ssm = client(
        "ssm",
        endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    full = ssm.describe_instance_information()
    infos = full["InstanceInformationList"]
    check([i["InstanceId"] for i in infos] == [f["InstanceId"] for f in FIXTURES], "DescribeInstanceInformation lists fixtures", infos)
    check("NextToken" not in full, "no NextToken when everything fits", full.get("NextToken"))
    first = infos[0]
    for key in ("PingStatus", "AgentVersion", "IsLatestVersion", "PlatformType", "PlatformName", "PlatformVersion",
                "ResourceType", "IPAddress", "ComputerName", "Name", "ActivationId"):
        check(first.get(key) == FIXTURES[0][key], f"field {key} round-trips", first.get(key))
    check(
        first["LastPingDateTime"] == datetime.datetime.fromtimestamp(1767225600, datetime.timezone.utc),
        "LastPingDateTime parsed as a timestamp",
        first["LastPingDateTime"],
    )
    check(
        infos[1]["RegistrationDate"] == datetime.datetime(2025, 12, 1, tzinfo=datetime.timezone.utc),
        "ISO RegistrationDate in a fixture becomes epoch seconds",
        infos[1]["RegistrationDate"],
    )

    page1 = ssm.describe_instance_information(MaxResults=1)
    check(len(page1["InstanceInformationList"]) == 1 and page1.get("NextToken") == "1", "page 1 of MaxResults=1", page1)
    page2 = ssm.describe_instance_information(MaxResults=1, NextToken=page1["NextToken"])
    check(
        [i["InstanceId"] for i in page2["InstanceInformationList"]] == [FIXTURES[1]["InstanceId"]]
        and "NextToken" not in page2,
        "page 2 of MaxResults=1 is the last",
        page2,
    )
    try:
        ssm.describe_instance_information(NextToken="bogus")
        check(False, "bad NextToken rejected", "no error")
    except ClientError as err:
        check(err.response["Error"]["Code"] == "InvalidNextToken", "bad NextToken -> InvalidNextToken", err.response["Error"])

    # paginator (what most SDK users do) walks both pages
    paged = [i["InstanceId"] for p in ssm.get_paginator("describe_instance_information").paginate(
        PaginationConfig={"PageSize": 1}) for i in p["InstanceInformationList"]]
    check(paged == [f["InstanceId"] for f in FIXTURES], "paginator walks all pages", paged)

    expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    act = ssm.create_activation(
        IamRole="SSMServiceRole",
        Description="Acme on-prem",
        DefaultInstanceName="acme",
        RegistrationLimit=5,
        ExpirationDate=expires,
        Tags=[{"Key": "company", "Value": "acme"}],
    )
    check(bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", act["ActivationId"])),
          "CreateActivation ActivationId is a uuid4", act["ActivationId"])
    check(bool(re.fullmatch(r"[A-Za-z0-9]{20}", act["ActivationCode"])), "CreateActivation ActivationCode", act["ActivationCode"])

    # --- moto itself still answers everything else on the same port ---------
    ident = client(
        "sts", endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    check(ident["Arn"].endswith("assumed-role/ClientRunbooks/aw-runbooks"), "moto STS GetCallerIdentity passthrough", ident)
    ssm.put_parameter(Name="/aw/check", Value="v", Type="String")
    check(ssm.get_parameter(Name="/aw/check")["Parameter"]["Value"] == "v", "moto SSM passthrough (Put/GetParameter)")
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="aw-check")
    check(any(b["Name"] == "aw-check" for b in s3.list_buckets()["Buckets"]), "moto S3 passthrough")
    cmd = ssm.send_command(InstanceIds=["i-0123456789abcdef0"], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": ["df -h"]})
    check(bool(cmd["Command"]["CommandId"]), "SSM SendCommand (emulated) answers a CommandId", cmd)

    # --- recorded calls --------------------------------------------------------
    status, calls = http("GET", endpoint + "/_aw/calls")
    check(status == 200, "GET /_aw/calls answers 200", status)
    check(
        sorted(calls) == sorted([
            "AssumeRole", "CreateActivation", "DescribeInstanceInformation",
            "DescribeInstancePatchStates", "ListResourceComplianceSummaries",
            "CreateDataSource", "UpdateDataSource", "DescribeDataSource", "CreateDataSet",
            "UpdateDataSet", "DescribeDataSet", "CreateIngestion", "DescribeIngestion",
            "SendCommand", "GetCommandInvocation", "ListCommandInvocations", "ListCommands", "CancelCommand",
            "StartAutomationExecution", "GetAutomationExecution", "DescribeAutomationStepExecutions",
            "StopAutomationExecution", "SendAutomationSignal",
            "StartSession", "TerminateSession", "DescribeSessions",
        ]),
        "calls keys",
        calls,
    )
    check(
        calls["AssumeRole"] == [
            {"RoleArn": ROLE, "RoleSessionName": "aw-runbooks", "ExternalId": "ext-42", "DurationSeconds": 900},
            {"RoleArn": DENIED_ROLE, "RoleSessionName": "aw-runbooks", "ExternalId": "ext-42", "DurationSeconds": None},
        ],
        "AssumeRole calls recorded in order",
        calls["AssumeRole"],
    )
    check(
        calls["CreateActivation"] == [{
            "IamRole": "SSMServiceRole",
            "Description": "Acme on-prem",
            "DefaultInstanceName": "acme",
            "RegistrationLimit": 5,
            "ExpirationDate": int(expires.timestamp()),
            "Tags": [{"Key": "company", "Value": "acme"}],
        }],
        "CreateActivation params recorded as sent",
        calls["CreateActivation"],
    )
    dii = calls["DescribeInstanceInformation"]
    check(
        dii[:4] == [{}, {"MaxResults": 1}, {"MaxResults": 1, "NextToken": "1"}, {"NextToken": "bogus"}]
        and len(dii) == 6,
        "DescribeInstanceInformation calls recorded in order",
        dii,
    )

    status, _ = http("DELETE", endpoint + "/_aw/calls")
    _, calls = http("GET", endpoint + "/_aw/calls")
    check(status == 204 and all(v == [] for v in calls.values()), "DELETE /_aw/calls resets", calls)
    status, _ = http("GET", endpoint + "/_aw/nope")
    check(status == 404, "unknown control path answers 404", status)


ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
ACCOUNT_C = "333333333333"  # has no fixtures of its own


def instance(instance_id: str, name: str) -> dict:
    return {"InstanceId": instance_id, "PingStatus": "Online", "PlatformType": "Linux", "Name": name,
            "ResourceType": "ManagedInstance", "LastPingDateTime": 1767225600}


def patch_state(instance_id: str, missing: int, operation: str = "Scan") -> dict:
    return {
        "InstanceId": instance_id,
        "PatchGroup": "web",
        "BaselineId": "pb-0123456789abcdef0",
        "SnapshotId": "5d2b3b2e-2222-4c3d-8e9f-000000000001",
        "InstalledCount": 40,
        "InstalledOtherCount": 3,
        "InstalledPendingRebootCount": 1,
        "InstalledRejectedCount": 0,
        "MissingCount": missing,
        "FailedCount": 2,
        "UnreportedNotApplicableCount": 5,
        "NotApplicableCount": 100,
        "CriticalNonCompliantCount": 1,
        "SecurityNonCompliantCount": 2,
        "OtherNonCompliantCount": 4,
        "OperationStartTime": 1767225600,
        "OperationEndTime": "2026-01-01T00:05:00Z",
        "Operation": operation,
        "RebootOption": "RebootIfNeeded",
    }


def severity(critical: int = 0, high: int = 0) -> dict:
    return {"CriticalCount": critical, "HighCount": high, "MediumCount": 0, "LowCount": 0,
            "InformationalCount": 0, "UnspecifiedCount": 1}


def summary(resource_id: str, compliance_type: str, status: str) -> dict:
    return {
        "ComplianceType": compliance_type,
        "ResourceType": "ManagedInstance",
        "ResourceId": resource_id,
        "Status": status,
        "OverallSeverity": "CRITICAL" if status == "NON_COMPLIANT" else "UNSPECIFIED",
        "ExecutionSummary": {"ExecutionTime": 1767225600, "ExecutionId": "exec-1", "ExecutionType": "Command"},
        "CompliantSummary": {"CompliantCount": 7, "SeveritySummary": severity()},
        "NonCompliantSummary": {"NonCompliantCount": 2 if status == "NON_COMPLIANT" else 0,
                                "SeveritySummary": severity(critical=1, high=1)},
    }


DEFAULT_INSTANCES = [instance("mi-00000000000000d01", "default-1")]
A_INSTANCES = [instance("mi-0000000000000a001", "a-1")]
B_INSTANCES = [instance("mi-0000000000000b001", "b-1"), instance("mi-0000000000000b002", "b-2")]
DEFAULT_PATCH = [patch_state("mi-00000000000000d01", 9)]
A_PATCH = [patch_state("mi-0000000000000a001", 1), patch_state("mi-0000000000000a002", 2, "Install"),
           patch_state("mi-0000000000000a003", 3)]
B_PATCH = [patch_state("mi-0000000000000b001", 5)]
DEFAULT_SUMMARIES = [summary("mi-00000000000000d01", "Patch", "COMPLIANT")]
A_SUMMARIES = [summary("mi-0000000000000a001", "Patch", "NON_COMPLIANT"),
               summary("mi-0000000000000a001", "Association", "COMPLIANT"),
               summary("mi-0000000000000a002", "Patch", "COMPLIANT"),
               summary("mi-0000000000000a003", "Custom:Antivirus", "NON_COMPLIANT")]
B_SUMMARIES = [summary("mi-0000000000000b001", "Patch", "COMPLIANT")]


def ids(items: List[dict], key: str = "InstanceId") -> List[str]:
    return [i[key] for i in items]


def run_account_checks(endpoint: str) -> None:
    sts = client("sts", endpoint)

    def ssm_as(role_arn: str, session: str) -> Any:
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
        kw = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                  aws_session_token=c["SessionToken"])
        return client("ssm", endpoint, **kw), client("sts", endpoint, **kw)

    ssm_a, sts_a = ssm_as(f"arn:aws:iam::{ACCOUNT_A}:role/A", "aw-a")
    ssm_b, sts_b = ssm_as(f"arn:aws:iam::{ACCOUNT_B}:role/B", "aw-b")
    ssm_c, _ = ssm_as(f"arn:aws:iam::{ACCOUNT_C}:role/C", "aw-c")
    ssm_plain = client("ssm", endpoint)  # long-term keys: moto's default account 123456789012
    check(sts_a.get_caller_identity()["Account"] == ACCOUNT_A, "moto agrees: role A's credentials are in 111111111111")
    check(sts_b.get_caller_identity()["Account"] == ACCOUNT_B, "moto agrees: role B's credentials are in 222222222222")

    # --- fixtures: defaults, then A's and B's own --------------------------------
    for kind, default, a, b in (("instances", DEFAULT_INSTANCES, A_INSTANCES, B_INSTANCES),
                                ("patch_states", DEFAULT_PATCH, A_PATCH, B_PATCH),
                                ("compliance_summaries", DEFAULT_SUMMARIES, A_SUMMARIES, B_SUMMARIES)):
        statuses = [http("POST", f"{endpoint}/_aw/{kind}", default)[0],
                    http("POST", f"{endpoint}/_aw/{kind}?account={ACCOUNT_A}", a)[0],
                    http("POST", f"{endpoint}/_aw/{kind}?account={ACCOUNT_B}", b)[0]]
        check(statuses == [204, 204, 204], f"POST /_aw/{kind}[?account=] answers 204", statuses)
        status, _ = http("POST", f"{endpoint}/_aw/{kind}?account=12345", a)
        check(status == 400, f"POST /_aw/{kind} rejects a malformed account", status)
        status, _ = http("POST", f"{endpoint}/_aw/{kind}?account={ACCOUNT_A}", {"not": "a list"})
        check(status == 400, f"POST /_aw/{kind} rejects a non-array", status)
        _, got_a = http("GET", f"{endpoint}/_aw/{kind}?account={ACCOUNT_A}")
        _, got_c = http("GET", f"{endpoint}/_aw/{kind}?account={ACCOUNT_C}")
        _, got_default = http("GET", f"{endpoint}/_aw/{kind}")
        check(len(got_a) == len(a) and len(got_c) == len(default) and len(got_default) == len(default),
              f"GET /_aw/{kind}[?account=] answers the account's own else the default", (got_a, got_c))

    # --- DescribeInstanceInformation per account --------------------------------
    seen = {name: ids(c.describe_instance_information()["InstanceInformationList"])
            for name, c in (("A", ssm_a), ("B", ssm_b), ("C", ssm_c), ("plain", ssm_plain))}
    check(seen["A"] == ids(A_INSTANCES), "account A gets its own instances", seen)
    check(seen["B"] == ids(B_INSTANCES), "account B gets its own instances", seen)
    check(seen["C"] == ids(DEFAULT_INSTANCES), "account C (no fixtures of its own) gets the default instances", seen)
    check(seen["plain"] == ids(DEFAULT_INSTANCES), "plain credentials get the default instances", seen)

    # --- DescribeInstancePatchStates ---------------------------------------------
    a_all = ssm_a.describe_instance_patch_states(InstanceIds=ids(A_PATCH))
    check(ids(a_all["InstancePatchStates"]) == ids(A_PATCH) and "NextToken" not in a_all,
          "A's patch states for all its ids", a_all)
    got = a_all["InstancePatchStates"][1]
    want = A_PATCH[1]
    for key in want:
        if key in ("OperationStartTime", "OperationEndTime"):
            continue
        check(got.get(key) == want[key], f"patch state field {key} round-trips", got.get(key))
    check(got["OperationStartTime"] == datetime.datetime.fromtimestamp(1767225600, datetime.timezone.utc),
          "OperationStartTime parsed as a timestamp", got["OperationStartTime"])
    check(got["OperationEndTime"] == datetime.datetime(2026, 1, 1, 0, 5, tzinfo=datetime.timezone.utc),
          "ISO OperationEndTime in a fixture becomes epoch seconds", got["OperationEndTime"])
    subset = ssm_a.describe_instance_patch_states(
        InstanceIds=["mi-0000000000000a003", "mi-0000000000000a001", "mi-unknown", "mi-0000000000000b001"])
    check(ids(subset["InstancePatchStates"]) == ["mi-0000000000000a001", "mi-0000000000000a003"],
          "only the requested InstanceIds, in fixture order; unknown and other accounts' ids omitted", subset)
    no_ids = ssm_a.describe_instance_patch_states()  # parameter validation is off: InstanceIds absent
    check(ids(no_ids["InstancePatchStates"]) == ids(A_PATCH), "no InstanceIds: all the account's patch states", no_ids)
    p1 = ssm_a.describe_instance_patch_states(InstanceIds=ids(A_PATCH), MaxResults=2)
    p2 = ssm_a.describe_instance_patch_states(InstanceIds=ids(A_PATCH), MaxResults=2, NextToken=p1.get("NextToken", ""))
    check(ids(p1["InstancePatchStates"]) == ids(A_PATCH)[:2] and p1.get("NextToken") == "2",
          "patch states page 1 of MaxResults=2", p1)
    check(ids(p2["InstancePatchStates"]) == ids(A_PATCH)[2:] and "NextToken" not in p2,
          "patch states page 2 of MaxResults=2 is the last", p2)
    paged = [s for page in ssm_a.get_paginator("describe_instance_patch_states").paginate(
        InstanceIds=ids(A_PATCH), PaginationConfig={"PageSize": 1}) for s in ids(page["InstancePatchStates"])]
    check(paged == ids(A_PATCH), "patch states paginator walks all pages", paged)
    try:
        ssm_a.describe_instance_patch_states(InstanceIds=ids(A_PATCH), NextToken="bogus")
        check(False, "patch states: bad NextToken rejected", "no error")
    except ClientError as err:
        check(err.response["Error"]["Code"] == "InvalidNextToken", "patch states: bad NextToken -> InvalidNextToken",
              err.response["Error"])
    b_states = ssm_b.describe_instance_patch_states(InstanceIds=ids(A_PATCH) + ids(B_PATCH))["InstancePatchStates"]
    check(ids(b_states) == ids(B_PATCH), "account B gets only its own patch states", b_states)
    c_states = ssm_c.describe_instance_patch_states(InstanceIds=ids(DEFAULT_PATCH) + ids(A_PATCH))["InstancePatchStates"]
    check(ids(c_states) == ids(DEFAULT_PATCH), "account C gets the default patch states", c_states)

    # --- ListResourceComplianceSummaries ---------------------------------------
    def rids(resp: dict) -> List[tuple]:
        return [(i["ResourceId"], i["ComplianceType"]) for i in resp["ResourceComplianceSummaryItems"]]

    def keyed(items: List[dict]) -> List[tuple]:
        return [(i["ResourceId"], i["ComplianceType"]) for i in items]

    a_sum = ssm_a.list_resource_compliance_summaries()
    check(rids(a_sum) == keyed(A_SUMMARIES) and "NextToken" not in a_sum, "A's compliance summaries", a_sum)
    item = a_sum["ResourceComplianceSummaryItems"][0]
    for key in ("ComplianceType", "ResourceType", "ResourceId", "Status", "OverallSeverity",
                "CompliantSummary", "NonCompliantSummary"):
        check(item.get(key) == A_SUMMARIES[0][key], f"summary field {key} round-trips", item.get(key))
    ex = item["ExecutionSummary"]
    check(ex["ExecutionTime"] == datetime.datetime.fromtimestamp(1767225600, datetime.timezone.utc)
          and ex["ExecutionId"] == "exec-1" and ex["ExecutionType"] == "Command",
          "summary ExecutionSummary round-trips (ExecutionTime as a timestamp)", ex)
    patch_filter = [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]
    filtered = ssm_a.list_resource_compliance_summaries(Filters=patch_filter)
    check(rids(filtered) == [("mi-0000000000000a001", "Patch"), ("mi-0000000000000a002", "Patch")],
          "ComplianceType EQUAL filter applied", filtered)
    two = ssm_a.list_resource_compliance_summaries(
        Filters=[{"Key": "ComplianceType", "Values": ["Association", "Custom:Antivirus"], "Type": "EQUAL"}])
    check(rids(two) == [("mi-0000000000000a001", "Association"), ("mi-0000000000000a003", "Custom:Antivirus")],
          "ComplianceType filter with two values", two)
    s1 = ssm_a.list_resource_compliance_summaries(Filters=patch_filter, MaxResults=1)
    s2 = ssm_a.list_resource_compliance_summaries(Filters=patch_filter, MaxResults=1, NextToken=s1.get("NextToken", ""))
    check(rids(s1) == [("mi-0000000000000a001", "Patch")] and s1.get("NextToken") == "1",
          "filtered summaries page 1 of MaxResults=1", s1)
    check(rids(s2) == [("mi-0000000000000a002", "Patch")] and "NextToken" not in s2,
          "filtered summaries page 2 of MaxResults=1 is the last", s2)
    paged = [k for page in ssm_a.get_paginator("list_resource_compliance_summaries").paginate(
        PaginationConfig={"PageSize": 3}) for k in rids(page)]
    check(paged == keyed(A_SUMMARIES), "summaries paginator walks all pages", paged)
    check(rids(ssm_b.list_resource_compliance_summaries()) == keyed(B_SUMMARIES), "account B gets its own summaries")
    check(rids(ssm_c.list_resource_compliance_summaries()) == keyed(DEFAULT_SUMMARIES),
          "account C gets the default summaries")
    check(rids(ssm_c.list_resource_compliance_summaries(
        Filters=[{"Key": "ComplianceType", "Values": ["Association"], "Type": "EQUAL"}])) == [],
          "filter can leave nothing")

    # --- an account's own empty list is "none"; DELETE falls back to the default ---
    http("POST", f"{endpoint}/_aw/patch_states?account={ACCOUNT_B}", [])
    b_none = ssm_b.describe_instance_patch_states(InstanceIds=ids(DEFAULT_PATCH) + ids(B_PATCH))
    check(b_none["InstancePatchStates"] == [], "an empty array set for an account means none", b_none)
    status, _ = http("DELETE", f"{endpoint}/_aw/instances?account={ACCOUNT_B}")
    b_after = ids(ssm_b.describe_instance_information()["InstanceInformationList"])
    check(status == 204 and b_after == ids(DEFAULT_INSTANCES), "DELETE ?account= falls back to the default", b_after)
    a_after = ids(ssm_a.describe_instance_information()["InstanceInformationList"])
    check(a_after == ids(A_INSTANCES), "other accounts' fixtures untouched by the DELETE", a_after)

    # --- recorded calls carry the account ------------------------------------------
    _, calls = http("GET", endpoint + "/_aw/calls")
    dips = calls["DescribeInstancePatchStates"]
    check([c.get("Account") for c in dips[:2]] == [ACCOUNT_A, ACCOUNT_A]
          and dips[0] == {"InstanceIds": ids(A_PATCH), "Account": ACCOUNT_A}
          and dips[2] == {"Account": ACCOUNT_A},
          "DescribeInstancePatchStates calls recorded with params and Account", dips[:3])
    check([c["Account"] for c in dips[-3:]] == [ACCOUNT_B, ACCOUNT_C, ACCOUNT_B],
          "DescribeInstancePatchStates Account follows the credentials", [c["Account"] for c in dips])
    lrcs = calls["ListResourceComplianceSummaries"]
    check(lrcs[1] == {"Filters": patch_filter, "Account": ACCOUNT_A},
          "ListResourceComplianceSummaries calls recorded with params and Account", lrcs[:2])
    check([c["Account"] for c in lrcs[-3:]] == [ACCOUNT_B, ACCOUNT_C, ACCOUNT_C],
          "ListResourceComplianceSummaries Account follows the credentials", [c["Account"] for c in lrcs])
    check([c["RoleArn"] for c in calls["AssumeRole"]] == [f"arn:aws:iam::{a}:role/{r}" for a, r in
                                                          ((ACCOUNT_A, "A"), (ACCOUNT_B, "B"), (ACCOUNT_C, "C"))],
          "AssumeRole still recorded", calls["AssumeRole"])

    # put the defaults back the way the first part left them (nothing else runs after)
    for kind in ("instances", "patch_states", "compliance_summaries"):
        http("DELETE", f"{endpoint}/_aw/{kind}")
    _, empty = http("GET", f"{endpoint}/_aw/instances?account={ACCOUNT_C}")
    check(empty == [], "DELETE without ?account clears the default", empty)


def run_quicksight_checks(endpoint: str) -> None:
    """QuickSight data sources, data sets and ingestions, per account, through an assumed role."""
    sts = client("sts", endpoint)
    creds = sts.assume_role(
        RoleArn="arn:aws:iam::555555555555:role/Export", RoleSessionName="aw-export", ExternalId="ext-42"
    )["Credentials"]
    as_role = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    qs = client("quicksight", endpoint, **as_role)
    account = "555555555555"
    params = {"S3Parameters": {"ManifestFileLocation": {"Bucket": "b", "Key": "m.json"}}}

    def code_of(call: Any) -> str:
        try:
            call()
        except ClientError as err:
            return err.response["Error"]["Code"]
        return "no error"

    made = qs.create_data_source(
        AwsAccountId=account, DataSourceId="ds", Name="n", Type="S3", DataSourceParameters=params
    )
    check(made["Arn"] == f"arn:aws:quicksight:{REGION}:{account}:datasource/ds", "CreateDataSource ARN", made)
    check(
        code_of(lambda: qs.create_data_source(
            AwsAccountId=account, DataSourceId="ds", Name="n", Type="S3", DataSourceParameters=params
        )) == "ResourceExistsException",
        "CreateDataSource twice: ResourceExistsException",
    )
    qs.update_data_source(AwsAccountId=account, DataSourceId="ds", Name="renamed", DataSourceParameters=params)
    described = qs.describe_data_source(AwsAccountId=account, DataSourceId="ds")["DataSource"]
    check(described["Name"] == "renamed", "UpdateDataSource then DescribeDataSource", described)
    table = {"t": {"S3Source": {"DataSourceArn": made["Arn"], "InputColumns": [{"Name": "a", "Type": "STRING"}]}}}
    qs.create_data_set(AwsAccountId=account, DataSetId="set", Name="n", ImportMode="SPICE", PhysicalTableMap=table)
    check(
        code_of(lambda: qs.create_data_set(
            AwsAccountId=account, DataSetId="set", Name="n", ImportMode="SPICE", PhysicalTableMap=table
        )) == "ResourceExistsException",
        "CreateDataSet twice: ResourceExistsException",
    )
    typed = {"t": {"S3Source": {"DataSourceArn": made["Arn"], "InputColumns": [{"Name": "a", "Type": "INTEGER"}]}}}
    check(
        code_of(lambda: qs.update_data_set(
            AwsAccountId=account, DataSetId="set", Name="n", ImportMode="SPICE", PhysicalTableMap=typed
        )) == "InvalidParameterValueException",
        "UpdateDataSet with a non-STRING CSV input column: InvalidParameterValueException",
    )
    qs.update_data_set(AwsAccountId=account, DataSetId="set", Name="n2", ImportMode="SPICE", PhysicalTableMap=table)
    check(
        qs.describe_data_set(AwsAccountId=account, DataSetId="set")["DataSet"]["Name"] == "n2",
        "UpdateDataSet then DescribeDataSet",
    )
    started = qs.create_ingestion(AwsAccountId=account, DataSetId="set", IngestionId="i1")
    check(started["IngestionId"] == "i1", "CreateIngestion", started)
    check(
        qs.describe_ingestion(AwsAccountId=account, DataSetId="set", IngestionId="i1")["Ingestion"]["IngestionStatus"]
        == "COMPLETED",
        "DescribeIngestion: COMPLETED",
    )
    check(
        code_of(lambda: qs.describe_data_set(AwsAccountId="123456789012", DataSetId="set"))
        == "AccessDeniedException",
        "QuickSight in another account: AccessDeniedException",
    )
    status, objects = http("GET", endpoint + "/_aw/quicksight")
    check(
        status == 200 and sorted(objects[account]["DataSets"]) == ["set"]
        and len(objects[account]["Ingestions"]) == 1,
        "GET /_aw/quicksight shows the account's objects",
        objects,
    )


RC_ACCOUNT = "444444444444"
RC_OTHER_ACCOUNT = "666666666666"
RC_ROLE = f"arn:aws:iam::{RC_ACCOUNT}:role/RunCommand"
RC_OTHER_ROLE = f"arn:aws:iam::{RC_OTHER_ACCOUNT}:role/RunCommand"
RC_DENIED_ROLE = f"arn:aws:iam::{RC_ACCOUNT}:role/NoRunCommand"
WEB_PROD, DB_PROD, WEB_DEV = "mi-00000000000000r01", "mi-00000000000000r02", "mi-00000000000000r03"
RC_INSTANCES = [
    dict(instance(WEB_PROD, "web-prod"), ComputerName="web-prod.acme.example", Tags={"env": "prod", "role": "web"}),
    dict(instance(DB_PROD, "db-prod"), ComputerName="db-prod.acme.example", Tags={"env": "prod", "role": "db"}),
    dict(instance(WEB_DEV, "web-dev"), Tags=[{"Key": "env", "Value": "dev"}, {"Key": "role", "Value": "web"}]),
]
UUID4_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
ISO_MS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def run_automation_checks(endpoint: str) -> None:
    """SSM Automation through assumed roles: step progression, failure, stop, tokens, accounts."""
    sts = client("sts", endpoint)

    def ssm_as(role_arn: str) -> Any:
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName="aw-auto")["Credentials"]
        return client("ssm", endpoint, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                      aws_session_token=c["SessionToken"])

    def error_code(call: Any) -> str:
        try:
            call()
        except ClientError as err:
            return err.response["Error"]["Code"]
        return "no error"

    role = "arn:aws:iam::111111111111:role/Auto"
    ssm = ssm_as(role)
    other = ssm_as("arn:aws:iam::222222222222:role/Auto")
    http("DELETE", endpoint + "/_aw/calls")

    token = "0190c5a0-0000-7000-8000-00000000abcd"
    started = ssm.start_automation_execution(DocumentName="AWS-RestartEC2Instance",
                                             Parameters={"InstanceId": ["i-0123456789abcdef0"]}, ClientToken=token)
    run = started["AutomationExecutionId"]
    again = ssm.start_automation_execution(DocumentName="AWS-RestartEC2Instance", ClientToken=token)
    check(again["AutomationExecutionId"] == run, "a repeated ClientToken answers the same execution", again)
    seen = []
    for _ in range(3):
        auto = ssm.get_automation_execution(AutomationExecutionId=run)["AutomationExecution"]
        steps = ssm.describe_automation_step_executions(AutomationExecutionId=run)["StepExecutions"]
        seen.append((auto["AutomationExecutionStatus"], [(s["StepName"], s["StepStatus"]) for s in steps]))
    check(seen[0] == ("InProgress", [("stopInstances", "Success"), ("startInstances", "InProgress")]),
          "AWS-RestartEC2Instance: one step per GetAutomationExecution", seen)
    check(seen[1] == ("Success", [("stopInstances", "Success"), ("startInstances", "Success")]),
          "AWS-RestartEC2Instance succeeds", seen)
    check(seen[2] == seen[1], "a finished execution stays put", seen)
    check(auto["ExecutedBy"] == role and auto["Parameters"] == {"InstanceId": ["i-0123456789abcdef0"]}
          and "ExecutionEndTime" in auto, "GetAutomationExecution fields", auto)
    check(all(isinstance(s["ExecutionStartTime"], datetime.datetime) for s in steps), "step times are timestamps",
          steps)
    check(error_code(lambda: other.get_automation_execution(AutomationExecutionId=run))
          == "AutomationExecutionNotFoundException", "another account cannot see the execution")

    status, _ = http("POST", endpoint + "/_aw/automation_outcomes", {"*": {"Steps": [{"Name": "x", "Status": "Bad"}]}})
    check(status == 400, "a bad automation outcome is refused", status)
    status, _ = http("POST", endpoint + "/_aw/automation_outcomes", {
        "Acme-Fix": {"PollsPerStep": 2, "Steps": [
            {"Name": "restart", "Action": "aws:runCommand"},
            {"Name": "verify", "Action": "aws:executeScript", "Status": "Failed", "FailureMessage": "still down"}]},
        "*": {"Steps": [{"Name": "approve", "Action": "aws:approve", "Status": "Waiting"}]},
    })
    check(status == 204, "POST /_aw/automation_outcomes answers 204", status)
    failing = ssm.start_automation_execution(DocumentName="Acme-Fix")["AutomationExecutionId"]
    states = [ssm.get_automation_execution(AutomationExecutionId=failing)["AutomationExecution"]
              for _ in range(4)]
    check([a["AutomationExecutionStatus"] for a in states] == ["InProgress", "InProgress", "InProgress", "Failed"],
          "PollsPerStep 2, then the failing step ends it", [a["AutomationExecutionStatus"] for a in states])
    check(states[-1]["FailureMessage"] == "Step verify failed: still down"
          and states[-1]["StepExecutions"][1]["FailureMessage"] == "still down", "failure messages", states[-1])

    waiting = ssm.start_automation_execution(DocumentName="Other-Doc")["AutomationExecutionId"]
    auto = ssm.get_automation_execution(AutomationExecutionId=waiting)["AutomationExecution"]
    check(auto["AutomationExecutionStatus"] == "Waiting" and auto["CurrentAction"] == "aws:approve",
          "a Waiting step makes the execution wait", auto)
    ssm.stop_automation_execution(AutomationExecutionId=waiting, Type="Cancel")
    auto = ssm.get_automation_execution(AutomationExecutionId=waiting)["AutomationExecution"]
    check(auto["AutomationExecutionStatus"] == "Cancelled" and auto["StepExecutions"][0]["StepStatus"] == "Cancelled",
          "StopAutomationExecution cancels the waiting step", auto)
    check(error_code(lambda: ssm.stop_automation_execution(AutomationExecutionId=waiting))
          == "InvalidAutomationStatusUpdateException", "a finished execution cannot be stopped")
    check(error_code(lambda: ssm.send_automation_signal(AutomationExecutionId=waiting, SignalType="Approve"))
          == "InvalidAutomationSignalException", "a cancelled execution takes no signal")

    # SendAutomationSignal: Approve goes on, Reject fails the step and the execution.
    status, _ = http("POST", endpoint + "/_aw/automation_outcomes", {"*": {"Steps": [
        {"Name": "approve", "Action": "aws:approve", "Status": "Waiting"},
        {"Name": "apply", "Action": "aws:runCommand"}]}})
    check(status == 204, "outcomes with an approval step", status)
    approved = ssm.start_automation_execution(DocumentName="Change")["AutomationExecutionId"]
    ssm.get_automation_execution(AutomationExecutionId=approved)
    check(error_code(lambda: ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="StartStep"))
          == "ValidationException", "only Approve and Reject are emulated")
    check(error_code(lambda: other.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve"))
          == "AutomationExecutionNotFoundException", "another account cannot signal the execution")
    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve", Payload={"Comment": ["ok"]})
    states = [ssm.get_automation_execution(AutomationExecutionId=approved)["AutomationExecution"] for _ in range(3)]
    check([[(s["StepName"], s["StepStatus"]) for s in a["StepExecutions"]] for a in states][-1]
          == [("approve", "Success"), ("apply", "Success")] and states[-1]["AutomationExecutionStatus"] == "Success",
          "an approved step lets the execution finish", states)
    check(error_code(lambda: ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve"))
          == "InvalidAutomationSignalException", "a finished execution takes no signal")
    rejected = ssm.start_automation_execution(DocumentName="Change")["AutomationExecutionId"]
    ssm.get_automation_execution(AutomationExecutionId=rejected)
    ssm.send_automation_signal(AutomationExecutionId=rejected, SignalType="Reject", Payload={"Comment": ["no"]})
    states = [ssm.get_automation_execution(AutomationExecutionId=rejected)["AutomationExecution"] for _ in range(3)]
    check(states[-1]["AutomationExecutionStatus"] == "Failed"
          and states[-1]["StepExecutions"][0]["StepStatus"] == "Failed"
          and states[-1]["StepExecutions"][0]["FailureMessage"] == f"Step was rejected by {role}: no"
          and len(states[-1]["StepExecutions"]) == 1, "a rejected step fails the execution", states[-1])

    check(error_code(lambda: ssm.get_automation_execution(AutomationExecutionId="f" * 36))
          == "AutomationExecutionNotFoundException", "unknown execution id")
    denied = ssm_as("arn:aws:iam::111111111111:role/NoAutomation")
    check(error_code(lambda: denied.start_automation_execution(DocumentName="AWS-CreateSnapshot"))
          == "AccessDeniedException", "the NoAutomation role may not start automations")

    status, listed = http("GET", endpoint + "/_aw/automations")
    check(status == 200 and len(listed.get("111111111111", [])) == 5, "GET /_aw/automations lists the account's", listed)
    _, calls = http("GET", endpoint + "/_aw/calls")
    check(len(calls["StartAutomationExecution"]) == 7 and calls["StartAutomationExecution"][0]["RoleArn"] == role
          and calls["StartAutomationExecution"][0]["Account"] == "111111111111", "StartAutomationExecution recorded",
          calls["StartAutomationExecution"])
    check(len(calls["StopAutomationExecution"]) == 2, "StopAutomationExecution recorded", calls)
    signals = calls["SendAutomationSignal"]
    check(len(signals) == 6 and signals[3]["RoleArn"] == role and signals[3]["Payload"] == {"Comment": ["ok"]},
          "SendAutomationSignal recorded with the role", signals)
    http("DELETE", endpoint + "/_aw/automation_outcomes")
    http("DELETE", endpoint + "/_aw/automations")


def run_session_checks(endpoint: str) -> None:
    """SSM Session Manager through assumed roles: start, describe, terminate, accounts, denial."""
    sts = client("sts", endpoint)

    def ssm_as(role_arn: str) -> Any:
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName="aw-sess")["Credentials"]
        return client("ssm", endpoint, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                      aws_session_token=c["SessionToken"])

    def error_code(call: Any) -> str:
        try:
            call()
        except ClientError as err:
            return err.response["Error"]["Code"]
        return "no error"

    role = "arn:aws:iam::111111111111:role/Sess"
    ssm = ssm_as(role)
    other = ssm_as("arn:aws:iam::222222222222:role/Sess")
    http("DELETE", endpoint + "/_aw/calls")
    http("DELETE", endpoint + "/_aw/sessions")
    started = ssm.start_session(Target="i-0abc", Reason="aw|inc1|me|disk")
    sid = started["SessionId"]
    check(sid.startswith("Sess-") and started["TokenValue"] and sid in started["StreamUrl"]
          and started["StreamUrl"].startswith("wss://ssmmessages."), "StartSession answers id, token, URL", started)
    second = ssm.start_session(Target="i-0def")["SessionId"]
    active = ssm.describe_sessions(State="Active")["Sessions"]
    check([s["SessionId"] for s in active] == [second, sid] and active[1]["Target"] == "i-0abc"
          and active[1]["Status"] == "Connected" and active[1]["Reason"] == "aw|inc1|me|disk"
          and active[1]["Owner"] == role, "DescribeSessions Active, newest first", active)
    only = ssm.describe_sessions(State="Active", Filters=[{"key": "SessionId", "value": sid}])["Sessions"]
    check([s["SessionId"] for s in only] == [sid], "DescribeSessions filters by SessionId", only)
    check(other.describe_sessions(State="Active")["Sessions"] == [], "another account sees no session")
    other.terminate_session(SessionId=sid)
    check(len(ssm.describe_sessions(State="Active")["Sessions"]) == 2, "another account cannot terminate it")
    check(ssm.terminate_session(SessionId=sid)["SessionId"] == sid, "TerminateSession answers the id")
    active = ssm.describe_sessions(State="Active")["Sessions"]
    history = ssm.describe_sessions(State="History")["Sessions"]
    check([s["SessionId"] for s in active] == [second] and [s["SessionId"] for s in history] == [sid]
          and history[0]["Status"] == "Terminated" and "EndDate" in history[0], "terminated: in History", history)
    check(ssm.terminate_session(SessionId=sid)["SessionId"] == sid, "TerminateSession is idempotent")
    check(error_code(lambda: ssm.describe_sessions(State="Active", Filters=[{"key": "Bogus", "value": "x"}]))
          == "ValidationException", "an unknown filter key is refused")
    denied = ssm_as("arn:aws:iam::111111111111:role/NoSession")
    check(error_code(lambda: denied.start_session(Target="i-0abc")) == "AccessDeniedException",
          "the NoSession role may not start sessions")
    status, shown = http("GET", endpoint + "/_aw/sessions")
    check(status == 200 and len(shown["111111111111"]) == 2, "GET /_aw/sessions", shown)
    status, calls = http("GET", endpoint + "/_aw/calls")
    check(len(calls["StartSession"]) == 3 and calls["StartSession"][0]["RoleArn"] == role
          and calls["StartSession"][0]["Account"] == "111111111111", "StartSession recorded", calls["StartSession"])
    check(len(calls["TerminateSession"]) == 3, "TerminateSession recorded", calls["TerminateSession"])
    status, _ = http("POST", endpoint + "/_aw/sessions/end", {"SessionId": second})
    check(status == 204 and ssm.describe_sessions(State="Active")["Sessions"] == []
          and ssm.describe_sessions(State="History")["Sessions"][0]["SessionId"] == second,
          "POST /_aw/sessions/end ends a session by itself", status)
    status, _ = http("POST", endpoint + "/_aw/sessions/end", {"SessionId": second})
    check(status == 404, "an ended session cannot end again", status)
    _, calls = http("GET", endpoint + "/_aw/calls")
    check(len(calls["TerminateSession"]) == 3, "ending by itself is no TerminateSession call", calls)
    http("DELETE", endpoint + "/_aw/sessions")
    check(ssm.describe_sessions(State="Active")["Sessions"] == [], "DELETE /_aw/sessions forgets them")


def run_run_command_checks(endpoint: str) -> None:
    """SSM Run Command through assumed roles: outcomes, polls, targets, cancel, accounts, calls."""
    sts = client("sts", endpoint)

    def ssm_as(role_arn: str) -> Any:
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName="aw-run")["Credentials"]
        return client("ssm", endpoint, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                      aws_session_token=c["SessionToken"])

    def error_of(call: Any) -> dict:
        try:
            call()
        except ClientError as err:
            return dict(err.response["Error"], HTTPStatusCode=err.response["ResponseMetadata"]["HTTPStatusCode"])
        return {"Code": "no error"}

    def invocation(command_id: str, instance_id: str) -> dict:
        return ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)

    def statuses(command_id: str) -> dict:
        listed = ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
        return {i["InstanceId"]: i["Status"] for i in listed}

    ssm = ssm_as(RC_ROLE)
    ssm_other = ssm_as(RC_OTHER_ROLE)
    ssm_denied = ssm_as(RC_DENIED_ROLE)
    statuses_of_resets = [http("DELETE", endpoint + "/_aw/calls")[0], http("DELETE", endpoint + "/_aw/commands")[0]]
    check(statuses_of_resets == [204, 204], "DELETE /_aw/calls and /_aw/commands answer 204", statuses_of_resets)
    _, commands = http("GET", endpoint + "/_aw/commands")
    check(commands == {}, "DELETE /_aw/commands forgets every command (incl. the first part's)", commands)
    check(http("POST", f"{endpoint}/_aw/instances?account={RC_ACCOUNT}", RC_INSTANCES)[0] == 204,
          "instances fixtures with Tags accepted")
    infos = ssm.describe_instance_information()["InstanceInformationList"]
    check(ids(infos) == ids(RC_INSTANCES) and all("Tags" not in i for i in infos),
          "DescribeInstanceInformation leaves Tags out", infos)

    # --- the outcome table ------------------------------------------------------------
    outcomes = {
        WEB_PROD: {"Status": "Success", "StandardOutputContent": "ok\n", "PendingPolls": 2},
        DB_PROD: {"Status": "Failed", "ResponseCode": 2, "StandardOutputContent": "partial",
                  "StandardErrorContent": "boom"},
        "*": {"Status": "InProgress"},
    }
    check(http("POST", endpoint + "/_aw/invocation_outcomes", outcomes)[0] == 204,
          "POST /_aw/invocation_outcomes answers 204")
    check(http("GET", endpoint + "/_aw/invocation_outcomes") == (200, outcomes), "GET /_aw/invocation_outcomes")
    for bad in ({"*": {"Stat": "Success"}}, {"*": {"Status": "Done"}}, {"*": {"ResponseCode": "0"}},
                {"*": {"PendingPolls": -1}}, ["not", "an", "object"]):
        status, _ = http("POST", endpoint + "/_aw/invocation_outcomes", bad)
        check(status == 400, f"POST /_aw/invocation_outcomes rejects {bad!r}", status)
    check(http("GET", endpoint + "/_aw/invocation_outcomes")[1] == outcomes, "a rejected table leaves the old one")

    # --- SendCommand by InstanceIds ---------------------------------------------------
    before = datetime.datetime.now(datetime.timezone.utc)
    sent = ssm.send_command(
        InstanceIds=[WEB_PROD, DB_PROD], DocumentName="AWS-RunShellScript", Comment="aw check",
        Parameters={"commands": ["uptime"], "executionTimeout": ["300"]}, TimeoutSeconds=600,
        MaxConcurrency="1", MaxErrors="1",
    )["Command"]
    cid = sent["CommandId"]
    check(bool(re.fullmatch(UUID4_RE, cid)), "SendCommand CommandId is a uuid4", cid)
    want = {"DocumentName": "AWS-RunShellScript", "DocumentVersion": "$DEFAULT", "Comment": "aw check",
            "Parameters": {"commands": ["uptime"], "executionTimeout": ["300"]}, "InstanceIds": [WEB_PROD, DB_PROD],
            "Targets": [], "Status": "Pending", "StatusDetails": "Pending", "TimeoutSeconds": 600,
            "MaxConcurrency": "1", "MaxErrors": "1", "TargetCount": 2, "CompletedCount": 0, "ErrorCount": 0,
            "DeliveryTimedOutCount": 0}
    check({k: sent.get(k) for k in want} == want, "SendCommand answers the model's Command", sent)
    requested = sent["RequestedDateTime"]
    check(isinstance(requested, datetime.datetime)
          and before - datetime.timedelta(seconds=2) <= requested <= before + datetime.timedelta(seconds=5)
          and sent["ExpiresAfter"] - requested == datetime.timedelta(seconds=600),
          "RequestedDateTime and ExpiresAfter are timestamps", (requested, sent.get("ExpiresAfter")))

    # WEB_PROD: the first 2 GetCommandInvocation calls answer InProgress (ListCommandInvocations doesn't count)
    for poll in (1, 2):
        check(statuses(cid)[WEB_PROD] == "InProgress", f"ListCommandInvocations before poll {poll}: InProgress")
        check(ssm.list_commands(CommandId=cid)["Commands"][0]["Status"] == "InProgress",
              f"the command is InProgress while an invocation is (before poll {poll})")
        got = invocation(cid, WEB_PROD)
        check((got["Status"], got["StatusDetails"], got["ResponseCode"], got["ExecutionEndDateTime"],
               got["StandardOutputContent"]) == ("InProgress", "InProgress", -1, "", ""),
              f"PendingPolls: GetCommandInvocation poll {poll} answers InProgress", got)
    check(statuses(cid)[WEB_PROD] == "Success", "ListCommandInvocations after the 2 polls: the outcome")
    got = invocation(cid, WEB_PROD)
    check((got["Status"], got["StatusDetails"], got["ResponseCode"], got["StandardOutputContent"],
           got["StandardErrorContent"]) == ("Success", "Success", 0, "ok\n", ""),
          "PendingPolls: poll 3 answers the outcome", got)
    check(all(isinstance(got[k], str) for k in ("ExecutionStartDateTime", "ExecutionEndDateTime",
                                                 "ExecutionElapsedTime"))
          and bool(re.fullmatch(ISO_MS_RE, got["ExecutionStartDateTime"]))
          and bool(re.fullmatch(ISO_MS_RE, got["ExecutionEndDateTime"]))
          and got["ExecutionStartDateTime"] <= got["ExecutionEndDateTime"]
          and bool(re.fullmatch(r"PT\d+\.\d{3}S", got["ExecutionElapsedTime"])),
          "GetCommandInvocation dates are ISO 8601 strings, elapsed a duration", got)
    check((got["CommandId"], got["InstanceId"], got["Comment"], got["DocumentName"], got["DocumentVersion"],
           got["PluginName"], got["StandardOutputUrl"], got["StandardErrorUrl"])
          == (cid, WEB_PROD, "aw check", "AWS-RunShellScript", "$DEFAULT", "aws:runShellScript", "", ""),
          "GetCommandInvocation fields", got)
    check(invocation(cid, WEB_PROD)["ExecutionEndDateTime"] == got["ExecutionEndDateTime"],
          "the end time stays put")
    failed = invocation(cid, DB_PROD)
    check((failed["Status"], failed["StatusDetails"], failed["ResponseCode"], failed["StandardOutputContent"],
           failed["StandardErrorContent"]) == ("Failed", "Failed", 2, "partial", "boom"),
          "Failed outcome with ResponseCode and stderr", failed)
    check(error_of(lambda: ssm.get_command_invocation(CommandId=cid, InstanceId=DB_PROD, PluginName="aws:runScript"))
          .get("Code") == "InvalidPluginName", "GetCommandInvocation with another PluginName: InvalidPluginName")
    command = ssm.list_commands(CommandId=cid)["Commands"][0]
    check((command["Status"], command["StatusDetails"], command["CompletedCount"], command["ErrorCount"],
           command["TargetCount"]) == ("Failed", "Failed", 2, 1, 2),
          "ListCommands: the command Failed as one invocation did", command)

    # ListCommandInvocations with and without Details, pages
    detailed = ssm.list_command_invocations(CommandId=cid, Details=True)["CommandInvocations"]
    check(ids(detailed) == [WEB_PROD, DB_PROD], "ListCommandInvocations lists the command's instances", detailed)
    db = detailed[1]
    check((db["InstanceName"], db["Status"], db["StatusDetails"], db["Comment"], db["DocumentName"],
           db["RequestedDateTime"]) == ("db-prod.acme.example", "Failed", "Failed", "aw check", "AWS-RunShellScript",
                                        requested), "CommandInvocation fields", db)
    plugin = db["CommandPlugins"][0] if len(db["CommandPlugins"]) == 1 else {}
    check((plugin.get("Name"), plugin.get("Status"), plugin.get("ResponseCode"), plugin.get("Output"))
          == ("aws:runShellScript", "Failed", 2, "partial\n----------ERROR-------\nboom")
          and isinstance(plugin.get("ResponseStartDateTime"), datetime.datetime)
          and isinstance(plugin.get("ResponseFinishDateTime"), datetime.datetime),
          "Details: one CommandPlugin with output and timestamps", plugin)
    check(detailed[0]["CommandPlugins"][0]["Output"] == "ok\n", "Details: stdout only without stderr", detailed[0])
    plain = ssm.list_command_invocations(CommandId=cid)["CommandInvocations"]
    check(all(i["CommandPlugins"] == [] for i in plain), "no Details: CommandPlugins empty", plain)
    page1 = ssm.list_command_invocations(CommandId=cid, MaxResults=1)
    page2 = ssm.list_command_invocations(CommandId=cid, MaxResults=1, NextToken=page1.get("NextToken", ""))
    check(ids(page1["CommandInvocations"]) == [WEB_PROD] and page1.get("NextToken") == "1"
          and ids(page2["CommandInvocations"]) == [DB_PROD] and "NextToken" not in page2,
          "ListCommandInvocations pages by MaxResults/NextToken", (page1, page2))
    one = ssm.list_command_invocations(CommandId=cid, InstanceId=DB_PROD)["CommandInvocations"]
    check(ids(one) == [DB_PROD], "ListCommandInvocations InstanceId narrows", one)

    # the waiter SDK users poll with: in progress for 2 polls, then Success
    http("POST", endpoint + "/_aw/invocation_outcomes", {"*": {"PendingPolls": 2, "StandardOutputContent": "x"}})
    waited = ssm.send_command(InstanceIds=[WEB_DEV], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    ssm.get_waiter("command_executed").wait(CommandId=waited, InstanceId=WEB_DEV,
                                            WaiterConfig={"Delay": 0, "MaxAttempts": 4})
    check(invocation(waited, WEB_DEV)["StandardOutputContent"] == "x", "command_executed waiter: Success after polls")

    # --- Targets by tags; InProgress until POST /_aw/invocations ------------------------
    http("POST", endpoint + "/_aw/invocation_outcomes", {"*": {"Status": "InProgress"}})
    targets = [{"Key": "tag:env", "Values": ["prod"]}, {"Key": "tag:role", "Values": ["web", "api"]}]
    tagged = ssm.send_command(Targets=targets, DocumentName="AWS-RunShellScript",
                              Parameters={"commands": ["true"]})["Command"]
    tid = tagged["CommandId"]
    check((tagged["TargetCount"], tagged["Targets"], tagged["InstanceIds"], tagged["Status"])
          == (1, targets, [], "Pending"), "SendCommand by two tag targets: both must hold", tagged)
    check(statuses(tid) == {WEB_PROD: "InProgress"}, "the tagged command's invocation is InProgress")
    running = invocation(tid, WEB_PROD)
    check(running["ExecutionEndDateTime"] == "" and re.fullmatch(ISO_MS_RE, running["ExecutionStartDateTime"])
          and running["ResponseCode"] == -1, "InProgress: started, no end time, ResponseCode -1", running)
    status, _ = http("POST", endpoint + "/_aw/invocations",
                     {"CommandId": tid, "InstanceId": WEB_PROD, "Status": "Success", "StandardOutputContent": "done"})
    check(status == 204, "POST /_aw/invocations answers 204", status)
    done = invocation(tid, WEB_PROD)
    check((done["Status"], done["StatusDetails"], done["ResponseCode"], done["StandardOutputContent"])
          == ("Success", "Success", 0, "done") and bool(re.fullmatch(ISO_MS_RE, done["ExecutionEndDateTime"])),
          "POST /_aw/invocations finishes the invocation", done)
    check(ssm.list_commands(CommandId=tid)["Commands"][0]["Status"] == "Success", "the tagged command Succeeded")
    for body, code in (({"CommandId": tid, "InstanceId": DB_PROD, "Status": "Success"}, 404),
                       ({"CommandId": "nope", "InstanceId": WEB_PROD}, 404),
                       ({"CommandId": tid, "InstanceId": WEB_PROD, "Status": "Finished"}, 400),
                       ({"InstanceId": WEB_PROD}, 400)):
        check(http("POST", endpoint + "/_aw/invocations", body)[0] == code,
              f"POST /_aw/invocations {body} answers {code}")
    every = ssm.send_command(Targets=[{"Key": "tag:env", "Values": ["prod", "dev"]}],
                             DocumentName="AWS-RunShellScript")["Command"]
    check(every["TargetCount"] == 3, "a tag target with two values (incl. AWS's Tags list form)", every)
    keyed = ssm.send_command(Targets=[{"Key": "tag-key", "Values": ["role"]}, {"Key": "InstanceIds",
                                                                            "Values": [WEB_DEV, "mi-unknown"]}],
                             DocumentName="AWS-RunShellScript")["Command"]
    check(keyed["TargetCount"] == 1, "tag-key and InstanceIds targets together", keyed)
    nothing = ssm.send_command(Targets=[{"Key": "tag:env", "Values": ["staging"]}],
                               DocumentName="AWS-RunShellScript")["Command"]
    check((nothing["TargetCount"], nothing["Status"]) == (0, "Success"), "no instance matches: Success at once",
          nothing)
    check(ssm.list_command_invocations(CommandId=nothing["CommandId"])["CommandInvocations"] == [],
          "no instance matches: no invocations")

    # --- CancelCommand ---------------------------------------------------------------------
    http("POST", endpoint + "/_aw/invocation_outcomes", {DB_PROD: {"Status": "Success"}, "*": {"Status": "Delayed"}})
    cancel = ssm.send_command(InstanceIds=[WEB_PROD, DB_PROD, WEB_DEV],
                              DocumentName="AWS-RunPowerShellScript")["Command"]["CommandId"]
    delayed = invocation(cancel, WEB_PROD)
    check((delayed["Status"], delayed["StatusDetails"], delayed["ExecutionStartDateTime"], delayed["PluginName"])
          == ("Delayed", "Delayed", "", "aws:runPowerShellScript"), "Delayed: not started; PowerShell plugin", delayed)
    ssm.cancel_command(CommandId=cancel, InstanceIds=[WEB_DEV])
    check(statuses(cancel) == {WEB_PROD: "Delayed", DB_PROD: "Success", WEB_DEV: "Cancelled"},
          "CancelCommand with InstanceIds cancels only those", statuses(cancel))
    answer = ssm.cancel_command(CommandId=cancel)
    check({k: v for k, v in answer.items() if k != "ResponseMetadata"} == {}, "CancelCommand answers {}", answer)
    check(statuses(cancel) == {WEB_PROD: "Cancelled", DB_PROD: "Success", WEB_DEV: "Cancelled"},
          "CancelCommand cancels what is not terminal, keeps the rest", statuses(cancel))
    gone = invocation(cancel, WEB_PROD)
    check((gone["StatusDetails"], gone["ResponseCode"]) == ("Cancelled", -1) and gone["ExecutionEndDateTime"] != "",
          "a cancelled invocation", gone)
    check(ssm.list_commands(CommandId=cancel)["Commands"][0]["Status"] == "Cancelled", "the command is Cancelled")
    check(error_of(lambda: ssm.cancel_command(CommandId="00000000-0000-4000-8000-000000000000")).get("Code")
          == "InvalidCommandId", "CancelCommand of an unknown command: InvalidCommandId")
    check(error_of(lambda: ssm.cancel_command(CommandId=cancel, InstanceIds=["mi-unknown"])).get("Code")
          == "InvalidInstanceId", "CancelCommand of an instance not targeted: InvalidInstanceId")

    # --- errors -----------------------------------------------------------------------------
    missing = error_of(lambda: ssm.get_command_invocation(CommandId="00000000-0000-4000-8000-000000000000",
                                                          InstanceId=WEB_PROD))
    check((missing.get("Code"), missing.get("HTTPStatusCode")) == ("InvocationDoesNotExist", 400),
          "GetCommandInvocation of an unknown command: InvocationDoesNotExist", missing)
    check(error_of(lambda: invocation(cid, WEB_DEV)).get("Code") == "InvocationDoesNotExist",
          "GetCommandInvocation of an instance not targeted: InvocationDoesNotExist")
    check(error_of(lambda: ssm.list_command_invocations(CommandId="00000000-0000-4000-8000-000000000000"))
          .get("Code") == "InvalidCommandId", "ListCommandInvocations of an unknown command: InvalidCommandId")
    for what, kwargs in (("neither InstanceIds nor Targets", {}),
                         ("both InstanceIds and Targets", {"InstanceIds": [WEB_PROD], "Targets": targets}),
                         ("an unsupported target key",
                          {"Targets": [{"Key": "resource-groups:Name", "Values": ["g"]}]})):
        err = error_of(lambda: ssm.send_command(DocumentName="AWS-RunShellScript", **kwargs))
        check((err.get("Code"), err.get("HTTPStatusCode")) == ("InvalidParameters", 400),
              f"SendCommand with {what}: InvalidParameters", err)
    check(error_of(lambda: ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[WEB_PROD, WEB_PROD]))
          .get("Code") == "DuplicateInstanceId", "SendCommand with a repeated instance: DuplicateInstanceId")

    # --- another account sees none of it; NoRunCommand is denied ---------------------------
    check(error_of(lambda: ssm_other.get_command_invocation(CommandId=cid, InstanceId=WEB_PROD)).get("Code")
          == "InvocationDoesNotExist", "another account: GetCommandInvocation InvocationDoesNotExist")
    check(error_of(lambda: ssm_other.list_command_invocations(CommandId=cid)).get("Code") == "InvalidCommandId",
          "another account: ListCommandInvocations InvalidCommandId")
    check(ssm_other.list_commands()["Commands"] == [] and ssm_other.list_command_invocations()["CommandInvocations"]
          == [], "another account lists no commands")
    check(error_of(lambda: ssm_other.cancel_command(CommandId=cid)).get("Code") == "InvalidCommandId",
          "another account: CancelCommand InvalidCommandId")
    denied = error_of(lambda: ssm_denied.send_command(InstanceIds=[WEB_PROD], DocumentName="AWS-RunShellScript"))
    check((denied.get("Code"), denied.get("HTTPStatusCode")) == ("AccessDeniedException", 400)
          and denied.get("Message", "").startswith(f"User: {RC_DENIED_ROLE} is not authorized to perform: "
                                                   "ssm:SendCommand on resource: "),
          "NoRunCommand role: AccessDeniedException", denied)

    # --- ListCommands, GET /_aw/commands --------------------------------------------------
    listed = ssm.list_commands()["Commands"]
    sent_ids = [cid, waited, tid, every["CommandId"], keyed["CommandId"], nothing["CommandId"], cancel]
    check(ids(listed, "CommandId") == sent_ids, "ListCommands: the account's commands in send order",
          ids(listed, "CommandId"))
    paged = [c for page in ssm.get_paginator("list_commands").paginate(PaginationConfig={"PageSize": 3})
             for c in ids(page["Commands"], "CommandId")]
    check(paged == sent_ids, "ListCommands paginator walks all pages", paged)
    check(ids(ssm.list_commands(InstanceId=DB_PROD)["Commands"], "CommandId") == [cid, every["CommandId"], cancel],
          "ListCommands InstanceId narrows")
    check(error_of(lambda: ssm.list_commands(CommandId="00000000-0000-4000-8000-000000000000")).get("Code")
          == "InvalidCommandId", "ListCommands of an unknown command: InvalidCommandId")
    _, commands = http("GET", endpoint + "/_aw/commands")
    mine = commands.get(RC_ACCOUNT, [])
    check(sorted(commands) == [RC_ACCOUNT] and ids(mine, "CommandId") == sent_ids,
          "GET /_aw/commands: only the account's commands (none for the denied call)", sorted(commands))
    first = mine[0] if mine else {}
    check(first.get("Status") == "Failed" and isinstance(first.get("RequestedDateTime"), (int, float))
          and first.get("Parameters") == want["Parameters"]
          and [(i["InstanceId"], i["Status"], i["ResponseCode"], i["PendingPolls"], i["InstanceName"])
               for i in first.get("Invocations", [])]
          == [(WEB_PROD, "Success", 0, 0, "web-prod.acme.example"), (DB_PROD, "Failed", 2, 0, "db-prod.acme.example")],
          "GET /_aw/commands shows the command and its invocations", first)

    # --- recorded calls ----------------------------------------------------------------------
    _, calls = http("GET", endpoint + "/_aw/calls")
    sends = calls.get("SendCommand", [])
    check(sends[:1] == [{
        "InstanceIds": [WEB_PROD, DB_PROD], "DocumentName": "AWS-RunShellScript", "Comment": "aw check",
        "Parameters": {"commands": ["uptime"], "executionTimeout": ["300"]}, "TimeoutSeconds": 600,
        "MaxConcurrency": "1", "MaxErrors": "1", "Account": RC_ACCOUNT, "RoleArn": RC_ROLE,
    }], "SendCommand recorded with its body, Account and RoleArn", sends[:1])
    check(sends[-1] == {"InstanceIds": [WEB_PROD], "DocumentName": "AWS-RunShellScript", "Account": RC_ACCOUNT,
                        "RoleArn": RC_DENIED_ROLE}, "the denied SendCommand is recorded too", sends[-1:])
    gci = calls.get("GetCommandInvocation", [])
    check(gci[:1] == [{"CommandId": cid, "InstanceId": WEB_PROD, "Account": RC_ACCOUNT}]
          and {"CommandId": cid, "InstanceId": WEB_PROD, "Account": RC_OTHER_ACCOUNT} in gci,
          "GetCommandInvocation recorded with Account", gci[:1])
    check(calls.get("ListCommandInvocations", [])[:1] == [{"CommandId": cid, "Account": RC_ACCOUNT}]
          and {"CommandId": cid, "Details": True, "Account": RC_ACCOUNT} in calls["ListCommandInvocations"],
          "ListCommandInvocations recorded", calls.get("ListCommandInvocations", [])[:2])
    check(calls.get("ListCommands", [])[:1] == [{"CommandId": cid, "Account": RC_ACCOUNT}],
          "ListCommands recorded", calls.get("ListCommands", [])[:1])
    check(calls.get("CancelCommand", [])[:2] == [
        {"CommandId": cancel, "InstanceIds": [WEB_DEV], "Account": RC_ACCOUNT},
        {"CommandId": cancel, "Account": RC_ACCOUNT}], "CancelCommand recorded", calls.get("CancelCommand", [])[:2])
    http("DELETE", endpoint + "/_aw/calls")
    _, calls = http("GET", endpoint + "/_aw/calls")
    check(all(calls.get(op) == [] for op in ("SendCommand", "GetCommandInvocation", "ListCommandInvocations",
                                             "ListCommands", "CancelCommand")),
          "DELETE /_aw/calls resets the Run Command calls", calls)

    # --- resets ----------------------------------------------------------------------------------
    resets = [http("DELETE", endpoint + "/_aw/invocation_outcomes")[0], http("DELETE", endpoint + "/_aw/commands")[0]]
    check(resets == [204, 204] and http("GET", endpoint + "/_aw/invocation_outcomes")[1] == {}
          and http("GET", endpoint + "/_aw/commands")[1] == {} and ssm.list_commands()["Commands"] == [],
          "DELETE /_aw/invocation_outcomes and /_aw/commands reset", resets)
    fresh = ssm.send_command(InstanceIds=[WEB_PROD], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    default = invocation(fresh, WEB_PROD)
    check((default["Status"], default["ResponseCode"], default["StandardOutputContent"],
           default["StandardErrorContent"]) == ("Success", 0, "", ""), "no outcome table: Success, code 0", default)
    http("DELETE", endpoint + "/_aw/commands")
    http("DELETE", f"{endpoint}/_aw/instances?account={RC_ACCOUNT}")


def main() -> int:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "aw_moto.py"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr_lines: List[str] = []
    threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]

    ready: List[str] = []
    reader = threading.Thread(target=lambda: ready.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(60)
    expected = f"aw_moto ready on 127.0.0.1:{port}"
    if not ready or ready[0].strip() != expected:
        proc.kill()
        print(f"FAIL aw_moto did not print {expected!r}; got {ready!r}", file=sys.stderr)
        print("".join(stderr_lines), file=sys.stderr)
        return 1
    print("ok   " + expected)

    try:
        run_checks(f"http://127.0.0.1:{port}")
        run_account_checks(f"http://127.0.0.1:{port}")
        run_quicksight_checks(f"http://127.0.0.1:{port}")
        run_run_command_checks(f"http://127.0.0.1:{port}")
        run_automation_checks(f"http://127.0.0.1:{port}")
        run_session_checks(f"http://127.0.0.1:{port}")
    except Exception as err:  # an unexpected exception is a failure too
        import traceback

        traceback.print_exc()
        failures.append(f"exception: {err!r}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(15)
            check(rc == 0, "aw_moto exits 0 on SIGTERM", rc)
        except subprocess.TimeoutExpired:
            proc.kill()
            check(False, "aw_moto exits on SIGTERM", "timed out")
    if failures:
        print("aw_moto log:\n" + "".join(stderr_lines[-40:]), file=sys.stderr)
    print(f"aw_moto: {len(passes)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
