"""Cost of loading the logged-in user per request: the server-side session lookup
(:func:`wiki.auth.sessions.load`, one primary-key query joined to ``users``) against the old
``db.session.get(User, id)``. Each call runs in a fresh SQLAlchemy session, as a request does.

Prints microseconds per call (median of 5 runs of N calls), on a migrated SQLite file in a
temporary folder with 201 sessions stored. Run: ``.venv/bin/python -m bench.bench_session_load``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from flask_migrate import upgrade

from wiki import create_app
from wiki.auth import sessions
from wiki.auth.accounts import create_user
from wiki.extensions import db
from wiki.models import User

N = 2000


def _timed(fn) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(N):
            fn()
            db.session.remove()
        runs.append((time.perf_counter() - start) / N * 1e6)
    return statistics.median(runs)


def main() -> None:
    folder = tempfile.mkdtemp()
    app = create_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(folder, 'bench.db')}",
        SEARCH_INDEX_DIR=os.path.join(folder, "ix"),
        SECRET_KEY="bench",
        WIKI_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    with app.app_context():
        upgrade()
        user = create_user("bencher", "bench-password")
        for n in range(200):  # other users' sessions in the table
            other = create_user(f"other{n}", "bench-password")
            sessions.start_session(other, user_agent="bench", remember=False)
        token = sessions.start_session(user, user_agent="bench", remember=True)
        db.session.commit()
        user_id = user.id
        with app.test_request_context("/"):
            session_us = _timed(lambda: sessions.load(token))
            plain_us = _timed(lambda: db.session.get(User, user_id))
    print(f"sessions.load (session row + user): {session_us:7.1f} µs per call")
    print(f"db.session.get(User, id) (before):  {plain_us:7.1f} µs per call")


if __name__ == "__main__":
    main()
