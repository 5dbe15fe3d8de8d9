"""Save and log-in limits (PRODUCT.md "Limits")."""

from tests.conftest import CSRFClient, save_page
from wiki import create_app


def _client(app_config, **overrides):
    app = create_app(**{**app_config, **overrides})
    app.test_client_class = CSRFClient
    return app.test_client()


def test_130_saves_a_minute_are_allowed(client, editor):
    for i in range(130):
        response = save_page(client, "Busy", f"version {i}", base_rev=i or "")
        assert response.status_code == 302, (i, response.status_code)


def test_saves_beyond_the_limit_get_429_with_text_kept(app_config):
    client = _client(app_config, WIKI_SAVE_RATE="3 per minute")
    client.post(
        "/register", data={"username": "al", "password": "password123", "confirm": "password123"}
    )
    for i in range(3):
        assert save_page(client, "P", f"v{i}", base_rev=i or "").status_code == 302
    limited = save_page(client, "P", "one more unsaved line", base_rev=3)
    assert limited.status_code == 429
    assert b"Too many" in limited.data and b"kept as a draft" in limited.data
    editor_page = client.get("/edit/P")
    assert b"Restore" in editor_page.data  # the refused text is offered back
    assert b"one more unsaved line" in client.get("/draft/P").data


def test_failed_logins_per_address_are_limited(app_config):
    client = _client(app_config)
    for i in range(30):
        response = client.post("/login", data={"username": f"user{i}", "password": "x" * 8})
        assert response.status_code == 200
    assert (
        client.post("/login", data={"username": "someone", "password": "x" * 8}).status_code == 429
    )
    assert client.get("/login").status_code == 200  # reading the form is not an attempt


def test_the_reads_spared_the_limiter_have_no_limits(app):
    """pages.views.UNLIMITED_READS skips Flask-Limiter for page views: true only while no
    limit applies to them."""
    from wiki.extensions import limiter
    from wiki.pages.views import UNLIMITED_READS

    for endpoint in UNLIMITED_READS:
        view = app.view_functions[endpoint]
        name = f"{view.__module__}.{view.__name__}"
        assert name not in limiter._marked_for_limiting, endpoint
        defaults, decorated = limiter.limit_manager.resolve_limits(
            app, endpoint, endpoint.split(".")[0], name, True, False
        )
        assert not defaults and not decorated, endpoint


def test_page_views_do_not_run_the_limiter_and_other_routes_do(client, editor, monkeypatch):
    from flask_limiter._manager import LimitManager

    resolved = []
    real = LimitManager.resolve_limits
    monkeypatch.setattr(
        LimitManager,
        "resolve_limits",
        lambda self, app, ep, *a: resolved.append(ep) or real(self, app, ep, *a),
    )
    assert client.get("/wiki/Home").status_code in (200, 404)
    assert client.get("/").status_code in (200, 404)
    assert resolved == []
    assert client.get("/recent").status_code == 200
    assert len(resolved) == 1 and resolved[0].endswith(".recent")


def test_an_app_with_rate_limits_off_starts_and_serves(app_config):
    app = create_app(**{**app_config, "RATELIMIT_ENABLED": False})
    assert app.test_client().get("/wiki/Home").status_code in (200, 404)
    # ... and an app built after it in the same process still limits (config.py says so).
    client = _client(app_config, WIKI_PREVIEW_RATE="1 per minute")
    assert (
        client.post(
            "/register",
            data={"username": "bob", "password": "password123", "confirm": "password123"},
        ).status_code
        == 302
    )
    assert client.post("/preview", data={"body": "# Hi", "title": "Scratch"}).status_code == 200
    assert client.post("/preview", data={"body": "# Hi", "title": "Scratch"}).status_code == 429
