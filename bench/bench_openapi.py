"""Benchmark API reference pages (issue #18): render on save, page views, API-changes view.

Run from the repository root: ``.venv/bin/python bench/bench_openapi.py [operations]``
(default 200). Builds a fresh SQLite wiki in a temporary directory, then prints in ms:

* ``render on save``: ``render_for_save`` (the render worker process, as a save runs it) of
  a page holding an N-operation YAML document, each run with a different document (an edited
  description) so no cache helps; the document's own HTML, and what the page's sanitizer
  would cost on it (the reference passes it as a trusted fragment, wiki/rendering/sanitize.py);
  median of 5.
* ``page view``: GET of the saved page (HTML from the per-revision cache) against the same
  page with the document as plain ```yaml code; median of 30.
* ``API changes view``: GET ``/diff/…?mode=api`` between two revisions that differ by a few
  breaking changes, first (uncached comparison) and warm; and the pure comparison alone.

Targets: < 500 ms on save, nothing extra on views, < 300 ms for the API-changes view.
"""

from __future__ import annotations

import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from tests.openapi_docs import document  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.history import api_changes  # noqa: E402
from wiki.models import User  # noqa: E402
from wiki.pages import editing  # noqa: E402
from wiki.rendering.cache import render_for_save  # noqa: E402
from wiki.rendering.markdown import render  # noqa: E402
from wiki.rendering.openapi import compare_bodies, render_block  # noqa: E402
from wiki.rendering.sanitize import sanitize_html  # noqa: E402


def body_of(doc: dict, lang: str = "openapi") -> str:
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    return f"# API\n\nThe reference.\n\n```{lang}\n{text}```\n"


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cpu_timed(action) -> float:
    """CPU seconds of this process: on a busy machine, closer to what a quiet one takes."""
    started = time.process_time()
    action()
    return time.process_time() - started


def main() -> None:
    operations = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    tmp = tempfile.mkdtemp(prefix="bench-openapi-")
    app = create_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=f"{tmp}/ix",
        SECRET_KEY="bench",
        WIKI_RENDER_TIMEOUT=60.0,
    )
    doc = document(operations)
    body = body_of(doc)
    print(f"{operations} operations, {len(body):,} characters of YAML")
    with app.app_context():
        upgrade()
        user = User(username="bench", username_key="bench", password_hash="-", role="editor")
        db.session.add(user)
        db.session.commit()
        render_for_save("warm up", "API")  # start the render worker
        saves, blocks, gates, cpu = [], [], [], []
        for run in range(5):
            variant = copy.deepcopy(doc)
            variant["info"]["description"] = f"Run {run} of the benchmark."
            text = body_of(variant)
            saves.append(timed(lambda text=text: render_for_save(text, "API")))
            cpu.append(cpu_timed(lambda text=text: render(text + " ", existing=())))
            block_source = text.split("```openapi\n", 1)[1].rsplit("```", 1)[0] + f"#{run}"
            started = time.perf_counter()
            html = render_block(block_source)
            blocks.append(time.perf_counter() - started)
            started = time.perf_counter()
            sanitize_html(html)
            gates.append(time.perf_counter() - started)
        print(f"render on save (worker, whole page):   {median_ms(saves)} wall")
        print(f"same render in this process:           {median_ms(cpu)} CPU time")
        print(f"  of which the document's HTML:        {median_ms(blocks)}")
        print(  # no longer on the save path: the reference is a trusted fragment
            f"  (sanitizer on its HTML, now skipped:{median_ms(gates)}, {len(html):,} chars)"
        )

        editing.save_edit("API", body, "first", None, user)
        changed = copy.deepcopy(doc)
        del changed["paths"]["/things1"]
        changed["components"]["schemas"]["Book"]["properties"].pop("tags")
        changed["paths"]["/things0"]["get"]["parameters"].append(
            {"name": "sort", "in": "query", "required": True, "schema": {"type": "string"}}
        )
        editing.save_edit("API", body_of(changed), "second", 1, user)
        editing.save_edit("Plain", body_of(doc, "yaml"), "plain", None, user)
        changed_body = body_of(changed)
        compares = [cpu_timed(lambda: compare_bodies(body, changed_body)) for _ in range(5)]
        print(f"comparison alone (pure, uncached):     {median_ms(compares)} CPU time")

    client = app.test_client()
    for path in ("/wiki/API", "/wiki/Plain"):
        client.get(path)
    views: dict[str, list[float]] = {"/wiki/API": [], "/wiki/Plain": []}
    for _ in range(60):  # interleaved, so a busy moment hits both alike
        for path, samples in views.items():
            samples.append(timed(lambda path=path: client.get(path)))
    print(f"page view, API reference (cached):     {median_ms(views['/wiki/API'])} wall")
    print(f"page view, same YAML as code:          {median_ms(views['/wiki/Plain'])} wall")
    url = "/diff/API?from=1&to=2&mode=api"
    first_wall = timed(lambda: client.get(url))
    api_changes._cache.clear()  # noqa: SLF001 - measure an uncached comparison again
    first_cpu = cpu_timed(lambda: client.get(url))
    warm = [timed(lambda: client.get(url)) for _ in range(10)]
    response = client.get(url)
    assert b"breaking" in response.data, response.status
    print(
        f"API changes view, first (uncached):    {first_wall * 1000:7.1f} ms wall,"
        f" {first_cpu * 1000:.1f} ms CPU time"
    )
    print(f"API changes view, warm:                {median_ms(warm)} wall")


if __name__ == "__main__":
    main()
