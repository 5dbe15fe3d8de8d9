"""Flask's signed-cookie sessions, with each cookie's check remembered by the worker.

A reader's browser sends the same session cookie with every request until the session
changes, and reads never change it; checking it — HMAC, base64, zlib, JSON — is ~7 % of a
logged-in page view. A cookie that passed is remembered with its signing time, so Flask's
age limit (``PERMANENT_SESSION_LIFETIME``) still applies to it exactly as before, and with its
values, which must all be plain (a pending flash message, a list, is checked every time, as
a view may change it in place). A cookie that fails is never remembered.
"""

from __future__ import annotations

import threading
import time

from cachetools import LRUCache
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

COOKIES_REMEMBERED = 1024  # per worker: a class of readers, several browsers each
_PLAIN = (str, int, float, bool, type(None))


class RememberedCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._passed: LRUCache = LRUCache(maxsize=COOKIES_REMEMBERED)
        self._lock = threading.Lock()

    def open_session(self, app, request):
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie or not app.secret_key:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        # The keys are part of what passed: a new SECRET_KEY checks every cookie again.
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), cookie)
        with self._lock:
            passed = self._passed.get(key)
        if passed is not None:
            values, signed_at = passed
            if 0 <= int(time.time()) - signed_at <= max_age:  # itsdangerous's own rule
                return self.session_class(values)
        serializer = self.get_signing_serializer(app)
        try:
            values, signed = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(v, _PLAIN) for v in values.values()):
            with self._lock:
                self._passed[key] = (dict(values), int(signed.timestamp()))
        return self.session_class(values)
