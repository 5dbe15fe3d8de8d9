"""Real servers for the collaboration tests (issue 16): an HTTP endpoint that records webhook
deliveries and can answer 500, redirect or hang; an aiosmtpd SMTP server on a free port. Also
the helpers that read the database and record the statements a request sends."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.conftest import save_page
from wiki.jobs.runner import run_jobs


class Receiver:
    """Records every POST: path, headers (lower-cased), raw body."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.hang = threading.Event()  # set: /hang returns at once (used to release it)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                if self.path.startswith("/hang"):
                    receiver.hang.wait(30)
                if self.path.startswith("/fail"):
                    self.send_response(500)
                elif self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def json_bodies(self, path_prefix: str = "/") -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["path"].startswith(path_prefix)]

    def close(self) -> None:
        self.hang.set()
        self.server.shutdown()
        self.server.server_close()


class _Collect:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    """aiosmtpd on 127.0.0.1 and a free port; ``messages`` are parsed EmailMessages."""

    def __init__(self) -> None:
        self.handler = _Collect()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self):
        return self.handler.messages

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.controller.stop()


def drain(app) -> None:
    """Run the jobs until nothing is due now (the manual worker of the tests)."""
    for _ in range(20):
        delay = run_jobs(app)
        if delay is None or delay > 0.5:
            return
        time.sleep(delay)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll until ``predicate()`` is truthy; returns its value. :raises AssertionError:"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def users(auth, *names: str) -> None:
    """Register ``names`` (the first one becomes the admin), leaving nobody logged in."""
    for name in names:
        auth.register(name)
        auth.logout()


def save_as(auth, client, name: str, title: str, body: str, summary: str = ""):
    auth.login(name)
    response = save_page(client, title, body, summary=summary)
    auth.logout()
    assert response.status_code == 302, response.data[:500]
    return response


def scalar(app, stmt):
    """One value from the database, read in a short app context of its own (no stale reads)."""
    from wiki.extensions import db

    with app.app_context():
        try:
            return db.session.scalar(stmt)
        finally:
            db.session.remove()


def scalars(app, stmt) -> list:
    from wiki.extensions import db

    with app.app_context():
        try:
            return list(db.session.scalars(stmt))
        finally:
            db.session.remove()


def statements_of(app, action) -> tuple[object, list[str]]:
    """What ``action()`` returned, and the statements and commits its request sent."""
    from sqlalchemy import event

    from wiki.extensions import db

    with app.app_context():
        engine = db.engine
    here = threading.get_ident()  # the test client runs the request in this thread
    seen: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:
        if threading.get_ident() == here:
            seen.append(" ".join(sql.split()))

    def commit(_conn) -> None:
        if threading.get_ident() == here:
            seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        return action(), seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
