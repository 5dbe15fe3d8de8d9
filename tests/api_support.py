"""Helpers for the API tests: tokens made through the service, JSON requests with a Bearer."""

from __future__ import annotations

import json

from sqlalchemy import select

from wiki.extensions import db
from wiki.models import User
from wiki.tokens import service as tokens


def make_token(app, username: str, scope: str = "write", days: int | None = None) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        _token, raw = tokens.create_token(user, f"{scope} token", scope, days)
        db.session.remove()
    return raw


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def put_page(client, title: str, token: str | None, payload, *, headers: dict | None = None):
    """PUT a page as JSON (``payload`` a dict, or bytes sent as they are)."""
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers.update(bearer(token))
    return client.put(f"/api/v1/pages/{title}", data=data, headers=all_headers)


def assert_problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem with ``status``; returns the document."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    doc = response.get_json(force=True)
    assert doc["status"] == status and doc["title"] and isinstance(doc["detail"], str)
    return doc
