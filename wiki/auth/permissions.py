"""Who may do what: the rules every view, service and API call asks, in one place."""

from __future__ import annotations

from wiki.models import Page


def can_edit(user, page: Page | None) -> bool:
    """Editors edit unprotected pages; admins edit everything; anonymous users nothing.

    ``page`` None asks whether ``user`` may create pages.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if page is not None and page.protected and not user.is_admin:
        return False
    return True
