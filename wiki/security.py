"""Response headers that make injected content harmless even if the sanitizer missed it."""

from flask import Flask, Response, request
from flask_login import current_user

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Mermaid writes <style> into its SVG; scripts stay strictly same-origin files.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register_security(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        policy = headers.setdefault("Content-Security-Policy", CSP)
        if "frame-ancestors" not in policy:  # a route's own policy (served files) too
            headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/static/"):
            headers.add("Vary", "Cookie")
            # Keep a view's stricter "no-store" (drafts, search) instead of weakening it, and a
            # versioned file's "immutable" (its URL never serves other bytes).
            own = headers.get("Cache-Control", "")
            if current_user.is_authenticated and not ("no-store" in own or "immutable" in own):
                headers["Cache-Control"] = "private, no-cache"
        return response
