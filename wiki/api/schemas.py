"""The API's request and response shapes (pydantic v2): the views validate with them, and
the OpenAPI document is generated from them, so the two cannot drift apart.

Request bodies forbid unknown fields and are strict about types (``"3"`` is not a revision
number); query strings are text by nature, so their models convert ``"3"`` to 3.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TITLE = 200
MAX_REV = 999_999_999


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Out(BaseModel):
    # from_attributes: built straight from the services' rows (history rows, diff hunks).
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)


# -- requests -------------------------------------------------------------------------------


class PageWrite(_Body):
    """A save, as the edit form sends it."""

    body: str = Field(description="The page's Markdown (at most 1 MiB as UTF-8).")
    summary: str = Field("", max_length=500, description="What changed, for the history.")
    base_rev: int | None = Field(
        None,
        ge=0,
        le=MAX_REV,
        description="The revision the text was based on (0 or null: a new page). When the page "
        "has moved on since, the save is three-way merged, or refused with 409.",
    )


class PageWriteQuery(_Query):
    replace_redirect: bool = Field(
        False,
        description="Create a new page at a renamed page's old title, replacing the redirect "
        "left there; without it such a save is refused (409) or, with a base_rev, redirected "
        "(308) to the page's new title.",
    )


class PageListQuery(_Query):
    page: int = Field(1, ge=1, le=100_000, description="Page of the list, from 1.")
    per_page: int = Field(100, ge=1, le=500, description="Titles per page.")
    prefix: str = Field("", max_length=MAX_TITLE, description="Only titles starting with this.")
    tag: str = Field("", max_length=64, description="Only pages with this tag.")


class PageQuery(_Query):
    rev: int | None = Field(
        None, ge=1, le=MAX_REV, description="A revision number; default: current."
    )


class RevisionsQuery(_Query):
    page: int = Field(1, ge=1, le=100_000, description="Page of the history, newest first.")


class DiffQuery(_Query):
    from_rev: int | None = Field(
        None, alias="from", ge=0, le=MAX_REV, description="Older revision (0: the empty page)."
    )
    to_rev: int | None = Field(
        None, alias="to", ge=1, le=MAX_REV, description="Newer revision; default: current."
    )


class SearchQuery(_Query):
    q: str = Field(min_length=1, max_length=500, description="The search (see /search syntax).")
    page: int = Field(1, ge=1, le=500, description="Page of the results.")


# -- responses ------------------------------------------------------------------------------


class PageOut(_Out):
    title: str
    revision: int
    body: str
    html: str = Field(description="The rendered, sanitized HTML.")
    tags: list[str]
    updated_at: datetime = Field(description="When this revision was saved (UTC).")
    author: str | None
    protected: bool


class PageList(_Out):
    titles: list[str]
    page: int
    per_page: int
    total: int
    has_next: bool


class PageSaved(_Out):
    title: str
    revision: int = Field(description="The page's current revision after the save.")
    changed: bool = Field(description="False when the text was unchanged (no revision added).")
    created: bool
    merged: bool = Field(description="True when the save was three-way merged.")
    merged_with: int | None = Field(description="The newer revision it was merged with.")


class PageMoved(_Out):
    """The body of a 308: the page was renamed; repeat the request at ``location``."""

    title: str = Field(description="The old title, asked for.")
    moved_to: str = Field(description="The page's title now.")
    location: str = Field(description="The same request's URL under the new title.")


class RevisionOut(_Out):
    number: int
    summary: str
    kind: str
    created_at: datetime
    size: int
    size_delta: int
    author: str | None


class RevisionList(_Out):
    title: str
    revisions: list[RevisionOut]
    page: int
    pages: int
    total: int


class DiffLineOut(_Out):
    kind: Literal["equal", "insert", "delete"]
    old_no: int | None
    new_no: int | None
    text: str


class HunkOut(_Out):
    skipped_before: int
    lines: list[DiffLineOut]


class DiffOut(_Out):
    title: str
    from_rev: int = Field(serialization_alias="from")
    to_rev: int = Field(serialization_alias="to")
    added: int
    removed: int
    simplified: bool
    skipped_after: int
    hunks: list[HunkOut]
    lines_left_out: int = Field(
        0,
        description="Lines of a very large diff not included in `hunks` (it stops there): "
        "compare the two revisions' bodies for the rest.",
    )


class SearchHitOut(_Out):
    title: str
    snippet: str = Field(description="Plain text (no HTML) around the matches.")
    updated_at: datetime
    author: str


class SearchOut(_Out):
    query: str
    total: int
    page: int
    pages: int
    corrected_query: str | None
    results: list[SearchHitOut]


class Problem(_Out):
    """An RFC 9457 problem document; every error under /api/ is one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class FieldError(_Out):
    loc: list[str | int]
    msg: str


class ValidationProblem(Problem):
    errors: list[FieldError] = []


class MovedProblem(Problem):
    """A new page refused at a renamed page's old title (see ``replace_redirect``)."""

    moved_to: str = Field(description="The renamed page's title now.")
    location: str = Field(description="Its URL: save there to edit it.")


class ConflictProblem(Problem):
    current_rev: int = Field(description="Send this as base_rev with the resolved text.")
    merged_body: str = Field(
        description="The three-way merge with both sides of each overlapping change marked."
    )
