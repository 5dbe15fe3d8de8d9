"""Simulated wiki users for bench_load.py: threads that read, search and edit over HTTP.

Each user logs in through the real form, then loops until the deadline: page views,
history, raw source, recent changes, searches, and edits of a small set of shared ("hot")
pages through the editor form (GET /edit for the CSRF token, ``base_rev`` and text, then
POST). An edit inserts one line ``marker <id>`` at a random place and uses ``<id>`` as the
summary, so each acknowledged save (302) can be found in the history afterwards. Overlapping
edits are merged by the wiki or refused with 409; both are fine, the record says which.
"""

from __future__ import annotations

import html
import http.client
import random
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BASE_RE = re.compile(r'name="base_rev" type="hidden" value="(\d*)"')
BODY_RE = re.compile(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', re.S)
WORDS = (
    "alpaca basalt cobalt dynamo ember fjord granite harbor indigo juniper kelp lagoon "
    "meadow nebula obsidian prairie quartz reef sierra tundra umber valley willow xenon"
).split()


@dataclass
class Sample:
    kind: str
    status: int  # 0: no HTTP response (connection refused, reset, timeout)
    start: float
    seconds: float


@dataclass
class Save:
    title: str
    marker: str
    outcome: str  # "acked" (302), "conflict" (409), "limited" (429), "failed" (other/none)
    at: float


@dataclass
class Record:
    """Everything the users saw; lists are appended under ``lock``."""

    samples: list[Sample] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Session:
    """One browser: cookies, no redirects followed, a new connection per request (gunicorn's
    sync workers close each connection anyway)."""

    def __init__(self, port: int, record: Record):
        self.port = port
        self.record = record
        self.cookies: dict[str, str] = {}

    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        """(status, body text); status 0 when no response came."""
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.time()
        status, text = 0, ""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        with self.record.lock:
            self.record.samples.append(Sample(kind, status, start, time.time() - start))
        return status, text

    def login(self, username: str, password: str) -> bool:
        for _ in range(20):  # the server may be restarting; keep trying for a while
            status, page = self.request("login", "GET", "/login")
            token = CSRF_RE.search(page)
            if status == 200 and token:
                form = {"username": username, "password": password, "csrf_token": token[1]}
                if self.request("login", "POST", "/login", form)[0] == 302:
                    return True
            time.sleep(0.5)
        return False


def path_of(title: str) -> str:
    return urllib.parse.quote(title.replace(" ", "_"))


@dataclass
class Plan:
    """What every user shares: where, what, and when the timed phase starts and ends."""

    port: int
    pages: list[str]
    hot: list[str]
    password: str
    think: tuple[float, float]
    tag: str
    ready: threading.Barrier
    deadline: float = 0.0  # set once every user has logged in


class User(threading.Thread):
    """One simulated person: logs in, waits for the others, then works until the deadline."""

    def __init__(self, number: int, plan: Plan, record: Record):
        super().__init__(name=f"user{number}", daemon=True)
        self.number, self.plan, self.record = number, plan, record
        self.pages, self.hot = plan.pages, plan.hot
        self.session = Session(plan.port, record)
        self.random = random.Random()
        self.edits = 0

    def run(self) -> None:
        logged_in = self.session.login(f"loaduser{self.number}", self.plan.password)
        self.plan.ready.wait()
        if not logged_in:
            return
        actions = [self.view] * 3 + [self.search] * 2 + [self.history] + [self.edit] * 3
        while time.time() < self.plan.deadline:
            self.random.choice(actions)()
            time.sleep(self.random.uniform(*self.plan.think))

    def view(self) -> None:
        title = self.random.choice(self.pages)
        kind = self.random.choice(["view", "view", "raw"])
        self.session.request(
            kind, "GET", f"/{'wiki' if kind == 'view' else 'raw'}/{path_of(title)}"
        )

    def history(self) -> None:
        if self.random.random() < 0.3:
            self.session.request("recent", "GET", "/recent")
        else:
            self.session.request(
                "history", "GET", f"/history/{path_of(self.random.choice(self.hot))}"
            )

    def search(self) -> None:
        query = urllib.parse.urlencode({"q": " ".join(self.random.sample(WORDS, 2))})
        self.session.request("search", "GET", f"/search?{query}")

    def edit(self) -> None:
        title = self.random.choice(self.hot)
        status, page = self.session.request("edit form", "GET", f"/edit/{path_of(title)}")
        token, base, text = CSRF_RE.search(page), BASE_RE.search(page), BODY_RE.search(page)
        if status != 200 or not (token and base and text):
            return
        self.edits += 1
        marker = f"{self.plan.tag}-u{self.number}-e{self.edits}-{self.random.getrandbits(32):08x}"
        lines = html.unescape(text[1]).removeprefix("\r\n").removeprefix("\n").split("\n")
        lines.insert(self.random.randint(0, len(lines)), f"marker {marker}")
        form = {
            "body": "\n".join(lines),
            "summary": marker,
            "base_rev": base[1],
            "csrf_token": token[1],
            "save": "Save",
        }
        at = time.time()
        status, _ = self.session.request("save", "POST", f"/edit/{path_of(title)}", form)
        outcome = {302: "acked", 409: "conflict", 429: "limited"}.get(status, "failed")
        with self.record.lock:
            self.record.saves.append(Save(title, marker, outcome, at))


def run_users(
    port: int,
    users: int,
    pages: list[str],
    hot: list[str],
    duration: float,
    password: str,
    *,
    think: tuple[float, float] = (0.05, 0.25),
    tag: str = "run",
    on_start=None,
) -> tuple[Record, float]:
    """Log ``users`` threads in, then let them work for ``duration`` seconds.

    ``on_start()`` is called when the timed phase begins (to schedule faults). Returns what
    the users saw and when the timed phase began; log-ins are samples of kind ``login``.
    """
    record = Record()

    def start_clock() -> None:  # runs once, before any thread passes the barrier
        plan.deadline = time.time() + duration

    plan = Plan(port, pages, hot, password, think, tag, threading.Barrier(users + 1, start_clock))
    threads = [User(n, plan, record) for n in range(users)]
    for thread in threads:
        thread.start()
    plan.ready.wait()
    started = plan.deadline - duration
    if on_start is not None:
        on_start()
    for thread in threads:
        thread.join(timeout=duration + 120)
    return record, started
