"""Seeding the live wiki for the browser tests, through the app's own forms (a test client).

Saving through a test client instead of the browser keeps the browser time for what only a
browser can check. The browser then logs in with :func:`login`.
"""

from __future__ import annotations

import base64
import io

from tests.conftest import CSRFClient, save_page
from wiki.text.titles import title_to_path

PASSWORD = "password123"
RICH = "Rich page"
RICH_V1 = """---
tags: [python, queues]
level: beginner
---
# Rich page

[TOC]

## Code

```python
def greet(name: str) -> str:
    return f"Hello {name}"
```

## Diagram

```mermaid
graph TD; Browser --> Wiki; Wiki --> Database
```

## Maths

Euler: $e^{i\\pi} + 1 = 0$ and

$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$

## Table

| Tool | Use |
|------|-----|
| Celery | task queue |
| Redis | broker |

- [x] done
- [ ] to do

A footnote[^1] and a link to [[Home]] and a missing [[Nowhere yet]].

[^1]: The footnote.
"""
RICH_V2 = RICH_V1.replace("task queue", "distributed task queue") + "\n## More\n\nA new section.\n"
# A 1x1 PNG, for the files list.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def client_for(app) -> CSRFClient:
    app.test_client_class = CSRFClient
    return app.test_client()


def register_user(client: CSRFClient, name: str) -> None:
    data = {"username": name, "password": PASSWORD, "confirm": PASSWORD}
    response = client.post("/register", data=data)
    assert response.status_code == 302, response.status_code


def save(client: CSRFClient, title: str, body: str, summary: str = "") -> None:
    response = save_page(client, title, body, summary=summary)
    assert response.status_code == 302, (title, response.status_code)


def seed_rich_wiki(app) -> CSRFClient:
    """alice (admin) and bob (editor); Home, a page with code, Mermaid, maths, a table and
    two revisions, a sub-page and an attachment. Returns alice's client."""
    alice = client_for(app)
    register_user(alice, "alice")
    save(alice, "Home", "# Welcome\n\nStart at [[Rich page]].\n", "start")
    save(alice, RICH, RICH_V1, "first version")
    save(alice, RICH, RICH_V2, "more detail")
    save(alice, f"{RICH}/Sub page", "A sub-page of [[Rich page]].\n", "sub")
    upload = alice.post(
        f"/files/{title_to_path(RICH)}",
        data={"file": (io.BytesIO(PNG), "dot.png"), "name": "dot.png"},
        content_type="multipart/form-data",
    )
    assert upload.status_code in (201, 302), upload.status_code
    bob = client_for(app)
    register_user(bob, "bob")
    return alice


def login(page, username: str = "alice") -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
