"""Markdown to sanitized HTML: the pure core (``markdown``, ``sanitize``, ``pieces``,
``html_diff``), the time-limited guard, and the per-revision render cache."""
