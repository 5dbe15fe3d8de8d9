"""Nexus Wiki: a server-rendered, collaborative Markdown wiki."""

import os
import secrets

from flask import Flask

from config import Config
from wiki import extensions

# Domains that keep their own tables in a models module (the core ones are in wiki.models).
MODEL_MODULES = (
    "wiki.auth.models",
    "wiki.discuss.models",
    "wiki.notify.models",
    "wiki.review.models",
    "wiki.tokens.models",
)
BLUEPRINTS = ("auth", "admin", "pages", "history", "search", "structure", "files")
BLUEPRINTS += ("discuss", "notify", "review", "tokens", "api")
# The modules whose routes register on each domain's blueprint.
VIEW_MODULES = {
    "pages": ("views", "drafts_views", "site_views"),
    "notify": ("views", "admin_views"),
}


def create_app(config_class: type = Config, **overrides) -> Flask:
    """Build the app. Templates and static files live at the repository's top level."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    _resolve_instance_defaults(app)

    from wiki.templating import TitleConverter

    app.url_map.converters["title"] = TitleConverter
    # "a//b" is an invalid title (400), not a silent redirect to "a/b".
    app.url_map.merge_slashes = False
    if app.config.get("WIKI_PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["WIKI_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    register_extensions(app)
    register_blueprints(app)
    from wiki import after_response

    after_response.init_app(app)
    from wiki.errors import register_error_handlers
    from wiki.security import register_security

    register_error_handlers(app)
    register_security(app)
    from wiki.cli import register_cli
    from wiki.templating import register_templating

    register_cli(app)
    register_templating(app)
    return app


def _resolve_instance_defaults(app: Flask) -> None:
    """Fill the settings whose defaults live under instance/ (SQLite file, index, secret,
    the render slots' lock file)."""
    cfg = app.config
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "wiki.db")
    uri = cfg["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # Heroku-style URLs
        uri = "postgresql://" + uri[len("postgres://") :]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    cfg["SQLALCHEMY_DATABASE_URI"] = uri
    if not cfg.get("SEARCH_INDEX_DIR"):
        cfg["SEARCH_INDEX_DIR"] = os.path.join(app.instance_path, "search-index")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(app.instance_path)
    if not cfg.get("WIKI_RENDER_SLOTS_FILE"):  # shared by every worker of the host
        cfg["WIKI_RENDER_SLOTS_FILE"] = os.path.join(app.instance_path, "render-slots.lock")
    cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg.get("WIKI_HTTPS"))
    # The biggest request is an upload; page bodies are checked against their own 1 MiB limit.
    cfg.setdefault("MAX_CONTENT_LENGTH", (cfg["WIKI_MAX_UPLOAD_MB"] + 2) * 1024 * 1024)


def _instance_secret(instance_path: str) -> str:
    """Read instance/secret_key, creating it once, so sessions survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        return key
    except FileExistsError:  # another worker created it first
        return _instance_secret(instance_path)


def register_extensions(app: Flask) -> None:
    # ``wiki.db`` is the database-helpers module, so the extension is reached through
    # ``extensions`` here: a bare ``db`` name in this package would be shadowed by it.
    import importlib

    from wiki.db import close_sessions_at_teardown, configure_engines

    for name in MODEL_MODULES:  # every table is mapped before the first request
        importlib.import_module(name)
    db = extensions.db
    db.init_app(app)
    close_sessions_at_teardown(app)
    extensions.migrate.init_app(
        app, db, directory=os.path.join(app.root_path, "..", "migrations"), render_as_batch=True
    )
    from wiki.auth.cookies import RememberedCookieSessions

    app.session_interface = RememberedCookieSessions()
    login_manager = extensions.login_manager
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    with app.app_context():
        configure_engines(db.engine)


def register_blueprints(app: Flask) -> None:
    import importlib

    for name in BLUEPRINTS:
        package = importlib.import_module(f"wiki.{name}")
        for module in VIEW_MODULES.get(name, ("views",)):
            importlib.import_module(f"wiki.{name}.{module}")
        app.register_blueprint(package.bp)
