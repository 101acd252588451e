#!/usr/bin/env python3
"""Self-check of tests/moto/aw_moto.py through boto3 (installed with moto[server]).

Starts aw_moto on a free 127.0.0.1 port, exercises STS AssumeRole (recorded,
and the "Denied" role's AccessDenied), SSM DescribeInstanceInformation with the
assumed credentials (fixtures, pagination), CreateActivation and the control
API, stops the server and exits non-zero on any failure.

Run with the venv's python:  /var/tmp/aw-moto-venv/bin/python tests/moto/check_aw_moto.py
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
    check(bool(cmd["Command"]["CommandId"]), "moto SSM SendCommand passthrough", cmd)

    # --- recorded calls --------------------------------------------------------
    status, calls = http("GET", endpoint + "/_aw/calls")
    check(status == 200, "GET /_aw/calls answers 200", status)
    check(sorted(calls) == ["AssumeRole", "CreateActivation", "DescribeInstanceInformation"], "calls keys", calls)
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
