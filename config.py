"""Configuration read from environment variables (PRODUCT.md lists them; all are optional).

Defaults that live under ``instance/`` (the SQLite file, the search index, the secret key) are
resolved in ``create_app`` once the instance folder is known.
"""

import os


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    SEARCH_INDEX_DIR = _env("SEARCH_INDEX_DIR")
    SEARCH_BACKEND = _env("SEARCH_BACKEND", "whoosh")
    # "background": a save in a request wakes the process's indexer thread and answers at once
    # (searches see it a moment later); "request": index before answering.
    SEARCH_SYNC = _env("SEARCH_SYNC", "background")
    WIKI_REGISTRATION = _env("WIKI_REGISTRATION", "open")
    WIKI_READ_ACCESS = _env("WIKI_READ_ACCESS", "anonymous")
    WIKI_HTTPS = _env("WIKI_HTTPS", "0") == "1"
    WIKI_STALE_AFTER_DAYS = int(_env("WIKI_STALE_AFTER_DAYS", "365"))
    WIKI_MAX_UPLOAD_MB = int(_env("WIKI_MAX_UPLOAD_MB", "10"))
    WIKI_NAME = _env("WIKI_NAME", "Nexus Wiki")
    # Page bodies over 1 MiB are refused with 413; the request cap leaves room for the form.
    WIKI_MAX_BODY_BYTES = 1024 * 1024
    WIKI_RENDER_TIMEOUT = float(_env("WIKI_RENDER_TIMEOUT", "5"))
    # Live previews: a shorter time limit than a save and a per-user rate.
    WIKI_PREVIEW_TIMEOUT = float(_env("WIKI_PREVIEW_TIMEOUT", "2"))
    WIKI_PREVIEW_RATE = _env("WIKI_PREVIEW_RATE", "60 per minute")
    # Previews, saves and diffs or blame of huge revisions: at most WIKI_RENDER_SLOTS at once
    # per host (keep it below the number of workers); one waits this long for a slot, then 503.
    WIKI_RENDER_SLOTS = int(_env("WIKI_RENDER_SLOTS", "1"))
    WIKI_RENDER_WAIT = float(_env("WIKI_RENDER_WAIT", "3"))
    # Revisions larger than this are "huge": their diffs and blame are for logged-in readers
    # only, and computing one takes a render slot.
    WIKI_ANON_DIFF_MAX_BYTES = int(_env("WIKI_ANON_DIFF_MAX_BYTES", str(256 * 1024)))
    # Computed diffs kept per worker (they never change): budget in bytes of HTML.
    WIKI_DIFF_CACHE_BYTES = int(_env("WIKI_DIFF_CACHE_BYTES", str(16 * 1024 * 1024)))
    # Saves per user: PRODUCT.md promises at least 120 a minute.
    WIKI_SAVE_RATE = _env("WIKI_SAVE_RATE", "300 per minute")
    # Caches of page views (wiki/pages/page_cache.py, wiki/rendering/cache.py), per worker.
    WIKI_PAGE_CACHE = _env("WIKI_PAGE_CACHE", "1") == "1"
    WIKI_PAGE_CACHE_BYTES = int(_env("WIKI_PAGE_CACHE_BYTES", str(32 * 1024 * 1024)))
    WIKI_HTML_CACHE_BYTES = int(_env("WIKI_HTML_CACHE_BYTES", str(32 * 1024 * 1024)))
    # The page tree and footer parts of page views (wiki/pages/fragments.py), per worker.
    WIKI_FRAGMENT_CACHE_BYTES = int(_env("WIKI_FRAGMENT_CACHE_BYTES", str(8 * 1024 * 1024)))
    # Missed searches join the wanted pages once this many people made them.
    WIKI_WANTED_MIN_SEARCHERS = int(_env("WIKI_WANTED_MIN_SEARCHERS", "3"))
    # JSON API calls per token (per address without one); saves also count in WIKI_SAVE_RATE.
    WIKI_API_RATE = _env("WIKI_API_RATE", "600 per minute")
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "process-memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Said outright: Flask-Limiter's one Limiter keeps the last app's setting as the default
    # for the next app in the process (an app built with limits off would switch them off
    # for every later one).
    RATELIMIT_ENABLED = True
    # Proxies (load balancers) in front that set X-Forwarded-For/-Proto; without this, every
    # client behind a load balancer has its address, and the per-address limits become global.
    WIKI_PROXY_HOPS = int(_env("WIKI_PROXY_HOPS", "0"))
    # Absolute URLs (feeds, e-mails, webhooks, API) start with this, e.g.
    # "https://wiki.example.org"; else with the request's host only if it is trusted.
    WIKI_BASE_URL = _env("WIKI_BASE_URL")
    # Comma-separated host names this wiki answers to (".example.org" = any subdomain); any
    # other Host header is refused with 400. Unset: every host is served, none trusted in URLs.
    WIKI_TRUSTED_HOSTS = _env("WIKI_TRUSTED_HOSTS")
    # Images over this many pixels are refused from their header, before decoding.
    WIKI_MAX_IMAGE_PIXELS = int(_env("WIKI_MAX_IMAGE_PIXELS", str(40_000_000)))
    # A "remember me" log-in lasts this long (its server-side session ends after 30 idle days).
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    # Discussions, notifications, mail and webhooks (issue 16; PRODUCT.md "Second wave").
    WIKI_WEBHOOK_ALLOW_HOSTS = _env("WIKI_WEBHOOK_ALLOW_HOSTS")
    MAIL_URL = _env("MAIL_URL")
    MAIL_FROM = _env("MAIL_FROM")
    CELERY_BROKER_URL = _env("CELERY_BROKER_URL")

    # No pool_pre_ping: PostgreSQL's pooled connections are pinged only after sitting idle
    # (wiki.db.configure_engines); a SQLite file never drops a connection.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a long edit must not lose its token
    PREFERRED_URL_SCHEME = "http"
