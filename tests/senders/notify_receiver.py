"""Real receivers for the notification tests (tests/it/notifications.rs).

An SMTP server (aiosmtpd) that requires STARTTLS and AUTH (user "aw",
password "s3cret"), and an HTTP server:

- /webhook/...  checks the Standard Webhooks signature with the official
                `standardwebhooks` library against the secret in DIR/secret,
                and checks that the same body with one byte added fails;
- /down/...     answers 500 while the file DIR/down exists, else 200;
- /hang/...     answers only after 30 s;
- anything else answers 200 (202 with PagerDuty's body under /pagerduty);
- a path ending in /slow answers 300 ms after it was recorded (a receiver
  that is mid-answer when the server is killed).

Each request or message is printed as one JSON line. The first line is
"ready <smtp port> <http port>".

usage: notify_receiver.py CERT KEY DIR
"""

import email
import email.policy
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from standardwebhooks.webhooks import Webhook

CERT, KEY, DIR = sys.argv[1:4]
LOCK = threading.Lock()


def emit(record):
    with LOCK:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


class Mail:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        emit(
            {
                "kind": "smtp",
                "from": envelope.mail_from,
                "to": sorted(envelope.rcpt_tos),
                "subject": message["subject"],
                "text": message.get_content(),
                "tls": session.ssl is not None,
                "authenticated": bool(session.authenticated),
            }
        )
        return "250 2.0.0 queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"aw"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok, handled=False)


class Http(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = {"kind": "http", "path": self.path, "headers": headers, "body": body.decode("utf8", "replace")}
        status, answer = 200, b'{"ok":true}'
        if self.path.startswith("/webhook"):
            with open(os.path.join(DIR, "secret")) as f:
                secret = f.read().strip()
            try:
                Webhook(secret).verify(body, headers)
                record["verified"] = True
            except Exception as error:  # noqa: BLE001 - the verifier's verdict is the record
                record["verified"] = False
                record["error"] = str(error)
            try:
                Webhook(secret).verify(body + b" ", headers)
                record["tampered_verified"] = True
            except Exception:  # noqa: BLE001
                record["tampered_verified"] = False
        elif self.path.startswith("/down") and os.path.exists(os.path.join(DIR, "down")):
            status, answer = 500, b'{"error":"down for the test"}'
        elif self.path.startswith("/hang"):
            time.sleep(30)
        elif self.path.startswith("/pagerduty"):
            status, answer = 202, b'{"status":"success","message":"Event processed"}'
        record["status"] = status
        emit(record)
        if self.path.endswith("/slow"):
            time.sleep(0.3)
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT, KEY)
    smtp_port = free_port()
    controller = Controller(
        Mail(),
        hostname="127.0.0.1",
        port=smtp_port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Http)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print(f"ready {smtp_port} {http.server_address[1]}", flush=True)
    # Until the test closes stdin (or dies).
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
