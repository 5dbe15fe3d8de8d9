"""Terms with symbols as PostgreSQL lexemes: shared by the rows and the queries."""

from __future__ import annotations

# Longer terms get no lexeme of their own (their parts are still indexed and searched).
MAX_SYMBOL_TERM_CHARS = 64


def symbol_lexeme(token: str) -> str:
    """A term with symbols (``c++``, ``n+1``, ``select_related``) as one lexeme that
    PostgreSQL's parser keeps whole, unstemmed, in both configurations: ``zq`` and the hex
    of its lower-cased UTF-8 (letters and digits only, so it needs no escaping)."""
    return "zq" + token.lower().encode("utf-8").hex()


def has_lexeme(token: str) -> bool:
    """Whether ``token`` (a WORD_RE token) is stored as a :func:`symbol_lexeme` too."""
    return not token.isalnum() and len(token) <= MAX_SYMBOL_TERM_CHARS
