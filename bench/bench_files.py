"""Serving a 100 KB attachment vs Flask's send_file of the same bytes, under the same gunicorn.

    .venv/bin/python bench/bench_files.py [--duration 5] [--rounds 3] [--database-url postgresql://…]

A fresh wiki (SQLite under a temp dir; with --database-url, a scratch database
``nexus_bench_files`` created on that PostgreSQL server and dropped afterwards) gets a page
with a 100 KB attachment; the same bytes are written to a temp file. gunicorn (2 sync workers)
serves the wiki built by :func:`bench_app`, which adds one bench-only route, ``/__sendfile``,
returning that temp file with ``send_file``. ``wrk`` (8 connections) then measures, in
interleaved rounds (the best round of each route is reported):

* ``/__sendfile`` — the yardstick (target: attachments within 2x, i.e. ratio >= 0.50);
* ``/files/Bench/data.bin`` — the current version (metadata query, bytes via the blob cache);
* ``/files/Bench/data.bin?version=1`` — the versioned URL (same work, long cache headers).

It also fetches a page without diagrams or math, one with a diagram and one with a formula,
and counts the ``<script>``/``<link>`` tags that load Mermaid or KaTeX on each.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
SIZE = 100 * 1024
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.serving import start_gunicorn, wrk  # noqa: E402


def bench_app():
    """The wiki plus ``/__sendfile`` (the file named by BENCH_FILE); gunicorn calls this."""
    from flask import send_file

    from wiki import create_app

    app = create_app()
    path = os.environ["BENCH_FILE"]

    @app.route("/__sendfile")
    def sendfile():
        return send_file(path, mimetype="application/octet-stream", as_attachment=True)

    return app


def seed(env: dict, data: bytes) -> None:
    """A user, three pages and the attachment, through the same services the views use."""
    from wiki import create_app
    from wiki.auth import accounts
    from wiki.extensions import db
    from wiki.files import service as attachments
    from wiki.lookup import find_page
    from wiki.pages import editing

    app = create_app(
        SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"],
        SEARCH_INDEX_DIR=env["SEARCH_INDEX_DIR"],
        SECRET_KEY="bench",
    )
    with app.app_context():
        user = accounts.create_user("bencher", "bench-password-1")
        db.session.commit()
        editing.save_edit("Bench", "Has a file: [data](data.bin)", "", None, user)
        editing.save_edit("Plain", "Just **text**, a [[Bench]] link and `code`.", "", None, user)
        editing.save_edit("Diagram", "```mermaid\ngraph TD; A-->B\n```\n", "", None, user)
        editing.save_edit("Formula", "Euler: $e^{i\\pi} + 1 = 0$", "", None, user)
        attachments.store_upload(find_page("Bench"), "data.bin", data, user.id, max_bytes=SIZE)
        db.engine.dispose()


def scratch_database(server_url: str, *, create: bool) -> str:
    """(Re)create, or drop, the bench's own database on the server of ``server_url``."""
    from urllib.parse import urlsplit, urlunsplit

    from sqlalchemy import create_engine, text

    parts = urlsplit(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(urlunsplit(parts), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "nexus_bench_files" WITH (FORCE)'))
        if create:
            conn.execute(text('CREATE DATABASE "nexus_bench_files"'))
    admin.dispose()
    return urlunsplit(parts._replace(path="/nexus_bench_files"))


def library_tags(html: str) -> dict[str, int]:
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    return {lib: sum(lib in tag for tag in tags) for lib in ("mermaid", "katex")}


def measure(args, tmp: str, data: bytes, servers: list) -> tuple[list, dict]:
    """Set up the wiki, start gunicorn (appended to ``servers``), run wrk; returns the figures."""
    env = dict(os.environ, PATH=VENV_BIN + ":" + os.environ["PATH"])
    env.update(
        DATABASE_URL=scratch_database(args.database_url, create=True)
        if args.database_url
        else f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=f"{tmp}/index",
        SECRET_KEY="bench",
        BENCH_FILE=os.path.join(tmp, "data.bin"),
    )
    cmd = ["flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
    os.environ.update(env)
    seed(env, data)
    server, base = start_gunicorn("bench.bench_files:bench_app()", env, ROOT, "/__sendfile")
    servers.append(server)
    served = urllib.request.urlopen(base + "/files/Bench/data.bin").read()
    assert served == data, "the attachment differs from the uploaded bytes"
    routes = [
        ("send_file of a temp file", "/__sendfile"),
        ("attachment, current", "/files/Bench/data.bin"),
        ("attachment, ?version=1", "/files/Bench/data.bin?version=1"),
    ]
    # Interleaved rounds, best of each: other work on a shared machine hits all routes alike.
    results: dict[str, list[dict]] = {name: [] for name, _ in routes}
    for _ in range(args.rounds):
        for name, path in routes:
            results[name].append(wrk(base + path, args.duration))
    rows = [(name, max(runs, key=lambda r: r["rps"])) for name, runs in results.items()]
    pages = {
        title: library_tags(urllib.request.urlopen(f"{base}/wiki/{title}").read().decode())
        for title in ("Plain", "Bench", "Diagram", "Formula")
    }
    return rows, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per route")
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    tmp = tempfile.mkdtemp(prefix="nexus-bench-files-")
    data = os.urandom(SIZE)
    with open(os.path.join(tmp, "data.bin"), "wb") as fh:
        fh.write(data)
    servers: list[subprocess.Popen] = []
    try:
        rows, pages = measure(args, tmp, data, servers)
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
        if args.database_url:
            scratch_database(args.database_url, create=False)

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\n100 KB file, gunicorn 2 workers, wrk 8 connections, {backend}, best of {args.rounds}")
    print(f"{'route':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name, r in rows:
        print(f"{name:<28}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['non2xx']:>9}")
    yardstick = rows[0][1]["rps"]
    for name, r in rows[1:]:
        print(f"{name}: {r['rps'] / yardstick:.2f} x send_file (target >= 0.50)")
    print("\nlibrary tags per page (script + stylesheet links):")
    for title, counts in pages.items():
        print(f"  {title:<8} mermaid={counts['mermaid']} katex={counts['katex']}")
    assert pages["Plain"] == pages["Bench"] == {"mermaid": 0, "katex": 0}


if __name__ == "__main__":
    main()
