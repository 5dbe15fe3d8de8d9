"""The wiki plus a bare route rendering a 10 KB Jinja template, served by the same gunicorn.

The yardstick of bench_page_views.py. The template is a file (bench/templates/bench_bare.html)
rendered with Flask's ``render_template``, so it is compiled once and cached like every real
template. Requests under ``/__nocache`` are served with the whole-page cache switched off
(sync workers serve one request at a time, so flipping the switch per request is safe).
"""

import os
import time

from flask import Blueprint, render_template

from wiki import create_app

app = create_app()
bench = Blueprint(
    "bench", __name__, template_folder=os.path.join(os.path.dirname(__file__), "templates")
)


@bench.route("/__bare")
def bare():
    return render_template("bench_bare.html", title="Bare route", now=time.time())


@bench.route("/__caches")
def caches():
    """This worker's pid and the bytes each of its caches holds (bench_memory.py)."""
    held = {}
    for name, value in app.extensions.items():
        entries = getattr(value, "entries", value)  # page_cache.ByteCache, or a cachetools one
        if hasattr(entries, "currsize") and hasattr(entries, "maxsize"):
            held[name] = [entries.currsize, entries.maxsize]
    return {"pid": os.getpid(), "caches": held}


app.register_blueprint(bench)
_wiki = app.wsgi_app
NOCACHE = "/__nocache"


def _switch(environ, start_response):
    path = environ.get("PATH_INFO", "")
    cached = not path.startswith(NOCACHE)
    app.config["WIKI_PAGE_CACHE"] = cached
    if not cached:
        environ["PATH_INFO"] = path[len(NOCACHE) :]
    return _wiki(environ, start_response)


app.wsgi_app = _switch
