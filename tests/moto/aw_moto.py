#!/usr/bin/env python3
"""moto's server plus the pieces Alert Whisperer's tests need that moto 5.2 lacks.

Usage:  python tests/moto/aw_moto.py --host 127.0.0.1 --port N

Serves every moto service on one port, exactly like ``moto_server`` (moto's own
``DomainDispatcherApplication`` routes each request by its SigV4 credential
scope / Host / X-Amz-Target), behind a small WSGI middleware that adds:

* a control API under ``/_aw/`` (moto routes nothing there):
    POST   /_aw/instances  JSON array of SSM managed instances (AWS field names)
                           -> replaces the DescribeInstanceInformation fixtures; 204
    GET    /_aw/instances  -> the fixture list (200, JSON array)
    GET    /_aw/calls      -> {"AssumeRole": [...], "CreateActivation": [...],
                               "DescribeInstanceInformation": [...]}, in arrival order
    DELETE /_aw/calls      -> forgets the recorded calls; 204
* SSM DescribeInstanceInformation (answers the fixtures; MaxResults/NextToken
  honoured, the token being the next index as a decimal string; Filters and
  InstanceInformationFilterList are recorded but NOT applied).
* SSM CreateActivation (fresh uuid4 ActivationId, 20-char alphanumeric code).
* STS AssumeRole: recorded, then handed to moto unchanged; a RoleArn containing
  "Denied" answers STS's AccessDenied (HTTP 403) instead.

The interception is done in the WSGI middleware, before moto sees the request:
SSM calls are recognised by the X-Amz-Target header, STS AssumeRole by
Action=AssumeRole in the form body (or query string). moto itself is not patched.

Prints "aw_moto ready on HOST:PORT" (the real port, so --port 0 works) once the
socket listens; exits 0 on SIGTERM/SIGINT.
"""

import argparse
import datetime
import io
import json
import os
import re
import secrets
import signal
import string
import sys
import threading
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs
from xml.sax.saxutils import escape as xml_escape

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

CONTROL_PREFIX = "/_aw/"
SSM_TARGET_PREFIX = "AmazonSSM."
DEFAULT_PAGE_SIZE = 10  # AWS's documented default for DescribeInstanceInformation
DATE_FIELDS = ("LastPingDateTime", "RegistrationDate")
ALNUM = string.ascii_letters + string.digits

Json = Any
StartResponse = Callable[..., Any]


class State:
    """Fixtures and recorded calls, shared by the server's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.instances: List[Dict[str, Json]] = []
        self.calls: Dict[str, List[Dict[str, Json]]] = self._empty_calls()

    @staticmethod
    def _empty_calls() -> Dict[str, List[Dict[str, Json]]]:
        return {"AssumeRole": [], "CreateActivation": [], "DescribeInstanceInformation": []}

    def record(self, operation: str, params: Dict[str, Json]) -> None:
        with self.lock:
            self.calls[operation].append(params)

    def snapshot_calls(self) -> Dict[str, List[Dict[str, Json]]]:
        with self.lock:
            return {k: list(v) for k, v in self.calls.items()}

    def reset_calls(self) -> None:
        with self.lock:
            self.calls = self._empty_calls()

    def set_instances(self, instances: List[Dict[str, Json]]) -> None:
        with self.lock:
            self.instances = instances

    def get_instances(self) -> List[Dict[str, Json]]:
        with self.lock:
            return list(self.instances)


def _epoch(value: Json) -> Json:
    """Dates are epoch seconds on the wire; accept ISO 8601 strings in fixtures too."""
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return parsed.timestamp()
    return value


def _read_body(environ: Dict[str, Any]) -> bytes:
    """Read the request body and put it back so that moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _credential_scope(environ: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """(access key id, signing service) from a SigV4 Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/aws4_request", auth)
    if not match:
        return None, None
    return match.group(1), match.group(2).lower()


class AwMoto:
    """WSGI middleware in front of moto's DomainDispatcherApplication."""

    def __init__(self, moto_app: Callable[..., Any], state: State) -> None:
        self.moto_app = moto_app
        self.state = state

    # ---- WSGI entry -------------------------------------------------------
    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
            return self.control(environ, start_response, path)

        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target == SSM_TARGET_PREFIX + "DescribeInstanceInformation":
            return self.describe_instance_information(environ, start_response)
        if target == SSM_TARGET_PREFIX + "CreateActivation":
            return self.create_activation(environ, start_response)

        if not target and environ.get("REQUEST_METHOD") in ("POST", "GET"):
            params = self.query_params(environ)
            if params.get("Action") == "AssumeRole":
                _, service = _credential_scope(environ)
                if service in (None, "sts"):
                    denied = self.assume_role(environ, params)
                    if denied is not None:
                        return self.respond(start_response, *denied)

        return self.moto_app(environ, start_response)

    # ---- helpers ----------------------------------------------------------
    @staticmethod
    def respond(
        start_response: StartResponse,
        status: str,
        body: bytes,
        content_type: str,
        extra_headers: Optional[List[Tuple[str, str]]] = None,
    ) -> List[bytes]:
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        headers.extend(extra_headers or [])
        start_response(status, headers)
        return [body]

    def json_response(self, start_response: StartResponse, payload: Json) -> List[bytes]:
        request_id = str(uuid.uuid4())
        return self.respond(
            start_response,
            "200 OK",
            json.dumps(payload).encode(),
            "application/x-amz-json-1.1",
            [("x-amzn-RequestId", request_id)],
        )

    def json_error(
        self, start_response: StartResponse, status: str, code: str, message: str
    ) -> List[bytes]:
        body = json.dumps({"__type": code, "message": message}).encode()
        return self.respond(
            start_response,
            status,
            body,
            "application/x-amz-json-1.1",
            [("x-amzn-RequestId", str(uuid.uuid4())), ("x-amzn-ErrorType", code)],
        )

    @staticmethod
    def json_params(environ: Dict[str, Any]) -> Dict[str, Json]:
        body = _read_body(environ)
        if not body.strip():
            return {}
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {}

    @staticmethod
    def query_params(environ: Dict[str, Any]) -> Dict[str, str]:
        """Query-protocol parameters from the query string and a form body."""
        params: Dict[str, str] = {}
        for key, values in parse_qs(environ.get("QUERY_STRING", "")).items():
            params[key] = values[-1]
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = _read_body(environ).decode("utf-8", "replace")
            for key, values in parse_qs(body, keep_blank_values=True).items():
                params[key] = values[-1]
        return params

    # ---- control API ------------------------------------------------------
    def control(self, environ: Dict[str, Any], start_response: StartResponse, path: str) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        route = path[len(CONTROL_PREFIX):].strip("/")

        def send(status: str, payload: Json = None) -> List[bytes]:
            body = b"" if payload is None else json.dumps(payload).encode()
            return self.respond(start_response, status, body, "application/json")

        if route == "instances" and method == "POST":
            try:
                instances = json.loads(_read_body(environ) or b"null")
            except ValueError as err:
                return send("400 Bad Request", {"error": f"invalid JSON: {err}"})
            if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
                return send("400 Bad Request", {"error": "expected a JSON array of objects"})
            normalised = []
            for item in instances:
                item = dict(item)
                for field in DATE_FIELDS:
                    if field in item:
                        item[field] = _epoch(item[field])
                normalised.append(item)
            self.state.set_instances(normalised)
            return send("204 No Content")
        if route == "instances" and method == "GET":
            return send("200 OK", self.state.get_instances())
        if route == "calls" and method == "GET":
            return send("200 OK", self.state.snapshot_calls())
        if route == "calls" and method == "DELETE":
            self.state.reset_calls()
            return send("204 No Content")
        return send("404 Not Found", {"error": f"no control endpoint {method} {path}"})

    # ---- SSM ----------------------------------------------------------------
    def describe_instance_information(
        self, environ: Dict[str, Any], start_response: StartResponse
    ) -> Any:
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        self.state.record("DescribeInstanceInformation", params)

        instances = self.state.get_instances()
        start = 0
        token = params.get("NextToken")
        if token not in (None, ""):
            if not (isinstance(token, str) and token.isdigit()) or int(token) > len(instances):
                return self.json_error(
                    start_response, "400 Bad Request", "InvalidNextToken", "The specified token isn't valid."
                )
            start = int(token)
        max_results = params.get("MaxResults")
        page_size = DEFAULT_PAGE_SIZE
        if max_results is not None:
            if not isinstance(max_results, int) or max_results < 1:
                return self.json_error(
                    start_response,
                    "400 Bad Request",
                    "ValidationException",
                    f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy constraint",
                )
            page_size = max_results  # AWS's 5..50 range is deliberately not enforced
        page = instances[start:start + page_size]
        payload: Dict[str, Json] = {"InstanceInformationList": page}
        if start + page_size < len(instances):
            payload["NextToken"] = str(start + page_size)
        return self.json_response(start_response, payload)

    def create_activation(self, environ: Dict[str, Any], start_response: StartResponse) -> Any:
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        self.state.record("CreateActivation", params)
        if not params.get("IamRole"):
            return self.json_error(
                start_response,
                "400 Bad Request",
                "ValidationException",
                "1 validation error detected: Value null at 'iamRole' failed to satisfy constraint: "
                "Member must not be null",
            )
        return self.json_response(
            start_response,
            {
                "ActivationId": str(uuid.uuid4()),
                "ActivationCode": "".join(secrets.choice(ALNUM) for _ in range(20)),
            },
        )

    # ---- STS ----------------------------------------------------------------
    def assume_role(
        self, environ: Dict[str, Any], params: Dict[str, str]
    ) -> Optional[Tuple[str, bytes, str, List[Tuple[str, str]]]]:
        """Record the call; answer AccessDenied for a "Denied" role, else None (moto answers)."""
        duration: Json = params.get("DurationSeconds")
        if duration is not None:
            try:
                duration = int(duration)
            except ValueError:
                pass
        role_arn = params.get("RoleArn", "")
        self.state.record(
            "AssumeRole",
            {
                "RoleArn": params.get("RoleArn"),
                "RoleSessionName": params.get("RoleSessionName"),
                "ExternalId": params.get("ExternalId"),
                "DurationSeconds": duration,
            },
        )
        if "Denied" not in role_arn:
            return None

        caller_arn = self.caller_arn(environ)
        request_id = str(uuid.uuid4())
        message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
            "  <Error>\n"
            "    <Type>Sender</Type>\n"
            "    <Code>AccessDenied</Code>\n"
            f"    <Message>{xml_escape(message)}</Message>\n"
            "  </Error>\n"
            f"  <RequestId>{request_id}</RequestId>\n"
            "</ErrorResponse>\n"
        ).encode()
        return ("403 Forbidden", body, "text/xml", [("x-amzn-RequestId", request_id)])

    @staticmethod
    def caller_arn(environ: Dict[str, Any]) -> str:
        """The caller's ARN as moto's GetCallerIdentity would report it."""
        access_key, _ = _credential_scope(environ)
        try:
            from moto.core import DEFAULT_ACCOUNT_ID
            from moto.sts.models import sts_backends

            backend = sts_backends[DEFAULT_ACCOUNT_ID]["aws"]
            _, arn, _ = backend.get_caller_identity(access_key or "", "us-east-1")
            return arn
        except Exception:  # pragma: no cover - best effort only
            return "arn:aws:iam::123456789012:user/moto"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("-p", "--port", type=int, default=5000, help="port to bind; 0 picks a free one")
    args = parser.parse_args(argv)

    state = State()
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = AwMoto(moto_app, state)
    server = make_server(args.host, args.port, app, threaded=True)
    host, port = server.server_address[:2]
    # moto sends some requests to itself through MOTO_PORT
    os.environ.setdefault("MOTO_PORT", str(port))

    def stop(signum: int, frame: Any) -> None:
        # shutdown() blocks until serve_forever returns, so call it from another thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print(f"aw_moto ready on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
