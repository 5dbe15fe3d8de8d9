"""The review mark of each page: every revision up to ``rev`` has been reviewed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wiki.extensions import db
from wiki.models import User, UTCDateTime, now_utc


class ReviewMark(db.Model):
    """Marking revision N reviewed marks the earlier ones too, so one number per page is enough."""

    __tablename__ = "review_marks"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    rev: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    reviewer: Mapped[User | None] = relationship()
