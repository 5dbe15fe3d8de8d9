"""Tests for wiki.search.text: identifier splitting, title keys, synonyms lists."""

import pytest

from wiki.search.text import (
    WORD_RE,
    clean_text,
    parse_synonyms,
    replace_words,
    split_identifier,
    title_key,
)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("getElementById", ["getelementbyid", "get", "element", "by", "id"]),
        ("select_related", ["select_related", "select", "related"]),
        ("CELERY_BROKER_URL", ["celery_broker_url", "celery", "broker", "url"]),
        (
            "rest_framework.permissions",
            ["rest_framework.permissions", "rest_framework", "permissions", "rest", "framework"],
        ),
        ("docker-compose.yml", ["docker-compose.yml", "docker", "compose", "yml"]),
        ("@shared_task", ["@shared_task", "shared_task", "shared", "task"]),
        ("HTMLParser", ["htmlparser", "html", "parser"]),
        ("celery", ["celery"]),
        ("Straße_Weg", ["straße_weg", "straße", "weg"]),
        ("@@", []),
        ("N+1", ["n+1", "n", "1"]),
        ("C++", ["c++", "c"]),
        ("C#", ["c#", "c"]),
        (".NET", [".net", "net"]),
        ("Node.js", ["node.js", "node", "js"]),
        ("OAuth2", ["oauth2", "o", "auth", "2", "oauth"]),
        ("HTTP/2", ["http/2", "http", "2"]),
        ("i18n", ["i18n", "i", "18", "n"]),
        ("k8s", ["k8s", "k", "8", "s"]),
        ("@login_required", ["@login_required", "login_required", "login", "required"]),
        ("__init__", ["__init__", "init"]),
        ("__init__.py", ["__init__.py", "__init__", "py", "init"]),
        ("word+word", ["word+word", "word"]),
        ("word#", ["word#", "word"]),
        (".word", [".word", "word"]),
        ("word.js", ["word.js", "word", "js"]),
        ("word/2", ["word/2", "word", "2"]),
        ("(C++),", ["c++", "c"]),
    ],
)
def test_split_identifier(token: str, words: list[str]) -> None:
    assert split_identifier(token) == words


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("N+1 queries", ["N+1", "queries"]),
        ("C++ and C# on .NET", ["C++", "and", "C#", "on", ".NET"]),
        ("Use Node.js.", ["Use", "Node.js"]),
        ("HTTP/2 and HTTP/1.1", ["HTTP/2", "and", "HTTP/1.1"]),
        ("-std=c++20 with g++", ["std", "c++20", "with", "g++"]),
        ("e.g. .NET or ASP.NET", ["e.g", ".NET", "or", "ASP.NET"]),
        ("bob@example.com", ["bob", "example.com"]),
        ("path/to/file", ["path", "to", "file"]),
        ("CI/CD", ["CI", "CD"]),
        ("## Heading #tag", ["Heading", "tag"]),
        ("+++ ### ... / @", []),
    ],
)
def test_word_re_keeps_symbols_inside_terms(text: str, tokens: list[str]) -> None:
    assert [m.group() for m in WORD_RE.finditer(text)] == tokens


def test_parse_synonyms_both_ways_and_groups() -> None:
    text = "K8s = Kubernetes\n- Postgres = PostgreSQL = pg\n# ignored = line\nno equals sign\n = \n"
    assert parse_synonyms(text) == {
        "k8s": ["kubernetes"],
        "kubernetes": ["k8s"],
        "postgres": ["postgresql", "pg"],
        "postgresql": ["postgres", "pg"],
        "pg": ["postgres", "postgresql"],
    }


def test_title_key() -> None:
    assert title_key("  Django_REST   Framework ") == "django rest framework"


def test_replace_words_is_whole_word_and_case_insensitive() -> None:
    assert replace_words("Celary x-celary", {"celary": "celery"}) == "celery x-celery"
    assert replace_words("unchanged", {}) == "unchanged"


def test_clean_text_drops_control_and_bidi_characters() -> None:
    assert clean_text("a\x00b\u202ec\u200bd") == "a b c d"
    assert clean_text("ｆｕｌｌ") == "full"


def test_relaxed_query_asks_for_any_word() -> None:
    from wiki.search.query import parse_query

    parsed = parse_query("Cross-Origin Request Blocked -draft tag:web")
    loose = parsed.relaxed()
    assert loose is not None and loose.any_clause and not parsed.any_clause
    assert loose.clauses == parsed.clauses and len(loose.clauses) == 3 and not loose.title_text
    assert loose.relaxed() is None
    assert loose.excluded == parsed.excluded and loose.filters == parsed.filters
    assert parse_query("celery").relaxed() is None


def test_query_syntax_keeps_symbols_inside_terms() -> None:
    from wiki.search.query import Term, parse_query

    for q in ("C++", "C#", ".NET", "N+1", "HTTP/2", "Node.js", "@login_required", "word#"):
        parsed = parse_query(q)
        assert parsed.clauses[0].alternatives == (Term(q),) and not parsed.excluded
    assert parse_query("N+1 -C#").excluded == (Term("C#"),)
