"""Jinja filters, globals and the ``title`` URL converter."""

import threading
from datetime import UTC, datetime

from cachetools import LRUCache
from flask import Flask, current_app, has_request_context, request
from markupsafe import Markup
from werkzeug.routing import PathConverter

from wiki.text.titles import path_to_title, title_to_path


class TitleConverter(PathConverter):
    """``/wiki/Django_REST_Framework`` <-> title ``Django REST Framework``."""

    def to_python(self, value: str) -> str:
        return path_to_title(value)

    def to_url(self, value: str) -> str:
        return title_to_path(value)


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    """'3 minutes ago', 'yesterday', '5 days ago'… for a UTC datetime."""
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = int((now - when).total_seconds())
    if seconds < 45:
        return "just now"
    for limit, size, unit in (
        (3600, 60, "minute"),
        (86400, 3600, "hour"),
        (86400 * 30, 86400, "day"),
        (86400 * 365, 86400 * 30, "month"),
    ):
        if seconds < limit:
            n = max(1, round(seconds / size))
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    n = max(1, round(seconds / (86400 * 365)))
    return f"{n} year{'s' if n != 1 else ''} ago"


def format_datetime(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else ""


def size_delta(delta: int) -> Markup:
    """A coloured "+120" / "−3" for history rows."""
    cls = "delta-plus" if delta > 0 else "delta-minus" if delta < 0 else "delta-zero"
    text = f"+{delta:,}" if delta > 0 else f"−{abs(delta):,}" if delta < 0 else "0"
    return Markup('<span class="delta {}">{}</span>').format(cls, text)


def timetag(when: datetime | None) -> Markup:
    """``<time>`` with the UTC ISO instant and "YYYY-MM-DD HH:MM UTC" as its text: readers
    without JavaScript see UTC, site.js shows it in the reader's time zone."""
    if when is None:
        return Markup("")
    instant = when if when.tzinfo else when.replace(tzinfo=UTC)
    iso = instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return Markup('<time datetime="{}">{}</time>').format(iso, format_datetime(when))


URLS_REMEMBERED = 4096  # per app: every endpoint with its usual arguments, and more


def remembered_url_for(app: Flask):
    """Templates' ``url_for``: ``app.url_for``, each URL built once. A page asks for the same
    few dozen URLs on every render (the header's and footer's links, the static files), at
    ~25 µs a build by the URL map. A URL depends only on the endpoint, its arguments and the
    request's script root, all in the key; relative endpoints, ``_external`` and friends, and
    calls outside a request (e-mails: absolute URLs) are built each time.
    tests/test_templating.py checks both agree."""
    build = app.url_for
    urls: LRUCache = LRUCache(maxsize=URLS_REMEMBERED)
    lock = threading.Lock()

    def url_for(endpoint: str, **values) -> str:
        if endpoint[:1] == "." or not has_request_context() or any(k[:1] == "_" for k in values):
            return build(endpoint, **values)
        # The type too: url_for(…, rev=1) and rev=True are equal keys but different URLs.
        key = (endpoint, request.script_root, *sorted((k, type(v), v) for k, v in values.items()))
        try:
            with lock:
                return urls[key]
        except KeyError:
            pass
        except TypeError:  # an argument that cannot be a key (a list of values)
            return build(endpoint, **values)
        url = build(endpoint, **values)
        with lock:
            urls[key] = url
        return url

    return url_for


def register_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        title_url=title_to_path,
        reltime=relative_time,
        datetime=format_datetime,
        size_delta=size_delta,
        timetag=timetag,
    )
    from wiki.structure.freshness import page_learning_meta  # the page metadata card (issue 7)

    app.jinja_env.filters["learning_meta"] = page_learning_meta
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    # "/wiki/" from the rule itself, so the route stays defined in one place.
    view_prefix = next(app.url_map.iter_rules("pages.view")).rule.split("<", 1)[0]

    def page_url(title: str) -> str:
        """``url_for('pages.view', title=title)`` as a string join: lists of page links (the
        tree beside a page has up to ~90) paid ~25 µs a link for the URL map's general
        build. tests/test_templating.py checks that both agree."""
        return request.script_root + view_prefix + title_to_path(title)

    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["url_for"] = remembered_url_for(app)

    @app.context_processor
    def wiki_globals():
        return {"wiki_name": current_app.config["WIKI_NAME"]}
