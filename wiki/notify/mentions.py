"""``@username`` mentions: who is named, and which of them may hear about it."""

from __future__ import annotations

import re

from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page, User

# The username rule of wiki.auth.accounts, not preceded by a word character, "@" or "/" (so
# e-mail addresses and URL paths are no mentions); a trailing "." ends a sentence.
MENTION_RE = re.compile(r"(?<![\w@/])@([A-Za-z0-9][A-Za-z0-9_.-]{1,39})")
# Past this many different names an event notifies nobody more: a 10,000-mention comment
# cannot flood the wiki (the first names still count).
MAX_MENTIONS = 20


def mentioned_names(text: str) -> list[str]:
    """Distinct lower-cased names mentioned in ``text``, in order, at most MAX_MENTIONS."""
    names: list[str] = []
    if "@" not in text:  # most pages: no scan of the whole text (the fan-out reads two a save)
        return names
    seen: set[str] = set()
    for match in MENTION_RE.finditer(text):
        name = match.group(1).rstrip(".").lower()
        if name and name not in seen:
            seen.add(name)
            names.append(name)
            if len(names) == MAX_MENTIONS:
                break
    return names


def new_mentions(old_text: str, new_text: str) -> list[str]:
    """Names mentioned in ``new_text`` that ``old_text`` did not mention already."""
    before = set(mentioned_names(old_text))
    return [name for name in mentioned_names(new_text) if name not in before]


def can_read(user: User, page: Page) -> bool:
    """Whether ``user`` may read ``page`` now: active accounts, live pages.

    The one place notifications ask; a per-page read rule added later belongs here.
    """
    return bool(user.active) and not page.deleted


def mentioned_readers(names: list[str], page: Page) -> list[User]:
    """Known, active users among ``names`` who can read ``page``; unknown names are ignored."""
    if not names:
        return []
    users = db.session.scalars(select(User).where(User.username_key.in_(names))).all()
    return [user for user in users if can_read(user, page)]
