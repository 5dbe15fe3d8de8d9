"""Database models (SQLAlchemy 2.0 typed style). Tables are created only by migrations."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    false,
    func,
    select,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship
from werkzeug.security import check_password_hash

from wiki.extensions import db

ROLE_EDITOR = "editor"
ROLE_ADMIN = "admin"


def now_utc() -> datetime:
    """Timezone-aware UTC now; a callable so each row gets its own time."""
    return datetime.now(UTC)


class UTCDateTime(db.TypeDecorator):
    """Stores naive UTC, always hands back aware UTC (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    # Usernames are unique case-insensitively; the lower-cased copy carries the constraint.
    username_key: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_EDITOR)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # System accounts (the starter-content loader) never count as "the first user".
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at log-in and load
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    # The token of the request's session (wiki.auth.sessions): what the cookies carry.
    session_token = None
    # Unread notifications, read with the session (wiki.auth.sessions.load) for the header.
    unread_notifications = 0

    def get_id(self) -> str:
        return self.session_token or ""

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class LazyUser(UserMixin):
    """A request's Flask-Login user known from a cheap query (its id, perhaps more), whose
    :class:`User` row is loaded only when something asks for what it lacks. Subclasses: the
    web session's reader (wiki.auth.sessions.SessionUser), an API token's owner
    (wiki.tokens.service.TokenOwner)."""

    id: int
    _user: User | None = None

    def _load(self) -> User:
        return db.session.get(User, self.id)

    @property
    def user(self) -> User:
        if self._user is None:
            self._user = self._load()
        return self._user

    def __getattr__(self, name: str):  # only for what the instance and its class lack
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.user, name)


class Page(db.Model):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    # For the case-insensitive "did you mean this page" redirect of the view.
    title_key: Mapped[str] = mapped_column(String(200), index=True)
    current_rev: Mapped[int] = mapped_column(Integer, default=0)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Bumped with any change that can alter the page view (wiki/pages/generations.py).
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Its unresolved discussion threads, for the "Discussion (N open)" tab: recounted by the
    # discussion service whenever a thread opens or is resolved (wiki/discuss/service.py).
    open_threads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    revisions: WriteOnlyMapped[Revision] = relationship(
        back_populates="page", order_by="Revision.number", passive_deletes=True
    )
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])

    @classmethod
    def named(cls, title: str) -> Page | None:
        """The page titled exactly ``title``, deleted or not; None when there is none."""
        return db.session.scalar(_PAGE_NAMED, {"title": title})


# Built once: every view and every save looks its page up by title, and SQLAlchemy works out a
# cache key for a statement built anew each time it runs one.
_PAGE_NAMED = select(Page).where(Page.title == bindparam("title"))

# A-Z lists (all pages, the page tree) read pages in this order and stop early.
Index("ix_pages_title_lower", func.lower(Page.title))


class SiteGeneration(db.Model):
    """Counters of site-wide changes that views show beside a page: ``structure`` is bumped
    with any page created, deleted, restored or renamed (wiki/pages/generations.py), as the
    page tree beside every page lists its neighbours."""

    __tablename__ = "site_generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


STRUCTURE = "structure"


class Revision(db.Model):
    """An immutable saved version of a page; numbers are 1, 2, 3… per page without gaps."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("page_id", "number", name="uq_revisions_page_id_number"),
        Index("ix_revisions_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # The page's title when this revision was saved (pages can be renamed later).
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(500), default="")
    # create, edit, merge, revert, rename, delete, restore, import
    kind: Mapped[str] = mapped_column(String(16), default="edit")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)  # bytes of body, UTF-8
    size_delta: Mapped[int] = mapped_column(Integer, default=0)
    # The attachment versions its ```openapi blocks named when it was saved, as JSON
    # ({"api.yaml": 3}); NULL when they name none, or for revisions saved before migration
    # c24 (wiki/rendering/openapi_sources.py).
    openapi_sources: Mapped[str | None] = mapped_column(Text)

    page: Mapped[Page] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()

    @classmethod
    def current_of(cls, page: Page | type[Page]) -> ColumnElement[bool]:
        """Whether this revision is ``page``'s current one: the one way to its current text.

        With the ``Page`` class it is a join condition (``Revision.current_of(Page)``); with a
        loaded page, a filter (``where(Revision.current_of(page))``).
        """
        return and_(cls.page_id == page.id, cls.number == page.current_rev)


class RenderCache(db.Model):
    """Rendered HTML of a revision, so viewing a page does not re-run Markdown.

    Keyed by renderer version and by which linked pages were missing, because red links change
    when other pages are created or deleted.
    """

    __tablename__ = "render_cache"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True
    )
    renderer_version: Mapped[int] = mapped_column(Integer)
    # JSON lists of the link targets seen when rendering, and which of them were missing.
    links_json: Mapped[str] = mapped_column(Text, default="[]")
    missing_json: Mapped[str] = mapped_column(Text, default="[]")
    html: Mapped[str] = mapped_column(Text)
    toc_html: Mapped[str] = mapped_column(Text, default="")
    meta_json: Mapped[str] = mapped_column(Text, default="{}")
    flags: Mapped[str] = mapped_column(String(64), default="")  # "mermaid,math"
    # The page's generation the HTML was rendered at; any other value means stale.
    generation: Mapped[int] = mapped_column(Integer, default=-1, server_default="-1")


class BlameCache(db.Model):
    """Blame of a revision as compact JSON, built incrementally from the previous one."""

    __tablename__ = "blame_cache"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[str] = mapped_column(Text)


class Link(db.Model):
    """An outgoing wiki link of a page's current revision (target may not exist yet)."""

    __tablename__ = "links"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    target_title: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class Redirect(db.Model):
    """An old title left behind by a rename, pointing at the page that now carries it."""

    __tablename__ = "redirects"

    title: Mapped[str] = mapped_column(String(200), primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class PageTag(db.Model):
    __tablename__ = "page_tags"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Draft(db.Model):
    """An editor's autosaved, unsaved text: private to its author, one per user and title."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("user_id", "page_title", name="uq_drafts_user_id_page_title"),
        Index("ix_drafts_page_updated", "page_title", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    page_title: Mapped[str] = mapped_column(String(200))
    base_rev: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship()


class PageVisit(db.Model):
    """The last revision a user viewed as current, for "changed since your last visit"."""

    __tablename__ = "page_visits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    rev: Mapped[int] = mapped_column(Integer)


class SearchStale(db.Model):
    """Pages whose search entry is behind the database.

    Written in the same transaction as the revision and cleared only after the index commit,
    so a crash between the two is repaired at the next write or start-up.
    """

    __tablename__ = "search_stale"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SearchMiss(db.Model):
    """Searches that found nothing, for the "wanted pages" board."""

    __tablename__ = "search_misses"

    query_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    query: Mapped[str] = mapped_column(String(500))
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    searchers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # distinct
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SearchMissSearcher(db.Model):
    """Who made a missed search (a user id, or a keyed hash of an address), counted once."""

    __tablename__ = "search_miss_searchers"

    query_key: Mapped[str] = mapped_column(
        ForeignKey("search_misses.query_key", ondelete="CASCADE"), primary_key=True
    )
    searcher: Mapped[str] = mapped_column(String(64), primary_key=True)


class SearchDocument(db.Model):
    """Plain-text copy of each live page for the PostgreSQL search backend.

    On PostgreSQL the migration adds a generated, weighted ``tsv`` column with a GIN index.
    """

    __tablename__ = "search_documents"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(String(200))
    title_terms: Mapped[str] = mapped_column(Text, default="", server_default="")
    headings: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(40), default="")
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    rev: Mapped[int] = mapped_column(Integer, default=0)


class Blob(db.Model):
    """Attachment bytes, content-addressed so identical files are stored once."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Attachment(db.Model):
    """One version of a file attached to a page; re-uploading a name adds a version."""

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("page_id", "name", "version", name="uq_attachments_page_name_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    blob_sha: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    # A resized copy for display of large images, if one was made.
    display_sha: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    uploader: Mapped[User | None] = relationship()
