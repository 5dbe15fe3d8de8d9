"""Account writes racing on a live server: 50 registrations, then 50 password changes, all
released at once, answer no 5xx; exactly one account becomes admin (#20 point 2).

A real threaded server in a child process on a file SQLite database (and PostgreSQL when
TEST_DATABASE_URL is set), one thread per browser.
"""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text

from tests.app_server import running

USERS = 50
PASSWORD = "password123"


def _race(clients, work) -> list:
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def run(i: int, client) -> None:
        barrier.wait()
        try:
            results[i] = work(i, client)
        except Exception as error:  # reported by the assertions below
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def _statuses(results) -> list:
    return [r.status if hasattr(r, "status") else repr(r) for r in results]


def test_many_registrations_and_password_changes_at_once(app_config, database_url):
    config = {**app_config, "RATELIMIT_ENABLED": False}
    with running(config) as (server,):
        clients = [server.client() for _ in range(USERS)]
        for client in clients:
            assert client.get("/register").status == 200  # each has its form token

        def register(i, client):
            form = {"username": f"learner{i}", "password": PASSWORD, "confirm": PASSWORD}
            return client.post("/register", form)

        registered = _statuses(_race(clients, register))
        assert not [s for s in registered if not isinstance(s, int) or s >= 500], registered
        assert all(s == 302 for s in registered), registered

        for client in clients:
            assert client.get("/profile").status == 200

        def change(i, client):
            new = f"changed-{i}-password"
            form = {"current": PASSWORD, "password": new, "confirm": new}
            return client.post("/profile", form)

        changed = _statuses(_race(clients, change))
        assert not [s for s in changed if not isinstance(s, int) or s >= 500], changed
        assert all(s == 302 for s in changed), changed
        assert server.client().login("learner7", "changed-7-password").status == 302

    engine = create_engine(database_url)
    with engine.connect() as conn:
        roles = conn.execute(text("SELECT role, count(*) FROM users GROUP BY role")).all()
    engine.dispose()
    assert dict(roles) == {"admin": 1, "editor": USERS - 1}
