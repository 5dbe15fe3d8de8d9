"""A real app server in a child process, and a small cookie-keeping HTTP client for it.

Tests that prove "app servers keep no state of their own" need servers that share nothing
but the database and Redis: separate processes, so no module-level state (the rate limiter,
caches, the render pool) can be shared by accident.

Run as ``python -m tests.app_server`` with the app's overrides as JSON in ``NEXUS_APP_CONFIG``;
it prints ``port <n>`` once it listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from http.cookies import SimpleCookie

from wiki.text.titles import title_to_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRF_RE = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"'
)
BASE_REV_RE = re.compile(r'name="base_rev" type="hidden" value="(\d*)"')


class AppServer:
    """A threaded werkzeug server for ``create_app(**config)`` in a child process.

    ``with running(config_a, config_b) as (a, b):`` starts several at once.
    """

    def __init__(self, config: dict):
        env = {**os.environ, "NEXUS_APP_CONFIG": json.dumps(config)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.app_server"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: stop() ends its render workers too
        )
        self.port = 0

    def wait_ready(self) -> None:
        line = self.process.stdout.readline()  # blocks until the server listens (or dies)
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"the app server did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        """End the server and everything it started (the render pool's forkserver)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self.process.stdout.close()

    def client(self, cookies: dict[str, str] | None = None) -> WebClient:
        return WebClient(self.port, cookies)


@contextlib.contextmanager
def running(*configs: dict) -> Iterator[list[AppServer]]:
    """Start one server per config (in parallel), stop them all afterwards."""
    servers = [AppServer(config) for config in configs]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            if server.process.returncode is None:
                server.stop()


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class WebClient:
    """One browser: keeps its cookies, does not follow redirects, sends CSRF tokens.

    ``cookies`` may be shared with another client to carry one session across servers.
    """

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = cookies if cookies is not None else {}
        self.token = ""

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        *,
        body=None,
        headers: dict | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            for value in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)
        finally:
            conn.close()
        if response.headers.get("content-type", "").startswith("text/html"):
            found = CSRF_RE.search(response.text)
            if found:
                self.token = found.group(1) or found.group(2)
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict | None = None, **kwargs) -> Response:
        """POST ``form`` with the CSRF token of the last page that had one."""
        form = dict(form or {})
        form.setdefault("csrf_token", self.token)
        return self.request("POST", path, form, **kwargs)

    def login(self, username: str, password: str) -> Response:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})

    def register(self, username: str, password: str) -> Response:
        self.get("/register")
        return self.post(
            "/register", {"username": username, "password": password, "confirm": password}
        )

    def save_page(self, title: str, body: str, summary: str = "") -> Response:
        """Edit ``title`` the way a browser does: open the editor, then post the form."""
        path = "/edit/" + urllib.parse.quote(title_to_path(title))
        editor = self.get(path)
        base = BASE_REV_RE.search(editor.text)
        form = {"body": body, "summary": summary, "save": "Save"}
        form["base_rev"] = base.group(1) if base else ""
        return self.post(path, form)

    def upload(self, path: str, name: str, data: bytes) -> Response:
        boundary = "nexus-test-boundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{self.token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self.request(
            "POST",
            path,
            body=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )


def _serve() -> None:
    import logging

    from werkzeug.serving import make_server

    from wiki import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    app = create_app(**json.loads(os.environ["NEXUS_APP_CONFIG"]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    _serve()
