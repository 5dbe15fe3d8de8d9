"""Tests for wiki.search.query and wiki.search.query_ast: the query parser and synonym expansion."""

from datetime import UTC, datetime

import pytest

from wiki.search.query import (
    MAX_QUERY_LENGTH,
    Clause,
    Filter,
    ParsedQuery,
    Phrase,
    Prefix,
    Term,
    parse_query,
    parse_synonyms,
    replace_words,
)

# Queries a person (or a fuzzer) may type; none may raise, whatever they parse to.
HOSTILE_QUERIES = [
    "NOT NOT NOT",
    "NOT",
    "foo~99",
    "foo~",
    "[a TO z]",
    "{a TO z}",
    '"unbalanced',
    'a "b c',
    '""',
    '"',
    "((",
    ")",
    "(a OR b",
    "*",
    "**",
    "a*",
    "*a",
    "fo*o",
    "title:",
    "title:*",
    "tag:",
    "under:/",
    "OR",
    "OR OR",
    "AND AND",
    "a OR",
    "- -",
    "-",
    "--x",
    "x" * 10_000,
    "word " * 2_000,
    "\x00",
    "a\x00b",
    "\u202egnp.exe",
    "\u200b\u200d",
    "🦄 emoji 👩\u200d💻",
    "\\",
    "\\\\",
    "^2",
    "foo^2",
    "field:value:more",
    "updated:>garbage",
    "updated:>2026-13-45",
    "updated:>99999-01-01",
    "updated:",
    "-updated:>2026-01-01",
    "author:\x07",
    'tag:"unbalanced',
    'title:"a b',
    "'; DROP TABLE pages; --",
    "<script>alert(1)</script>",
    "%s %d {0}",
    "\ud800",
    "ﬁle",
    "\t\n\r",
    "",
    "   ",
]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_parse_without_raising(q: str) -> None:
    parsed = parse_query(q)
    assert isinstance(parsed, ParsedQuery)
    assert len(parsed.original) <= MAX_QUERY_LENGTH
    for text in parsed.text_terms + (parsed.title_text,):
        assert "\x00" not in text and "\u202e" not in text


def test_plain_words_are_and_clauses() -> None:
    parsed = parse_query("django  orm")
    assert parsed.clauses == (Clause((Term("django"),)), Clause((Term("orm"),)))
    assert parsed.title_text == "django orm"
    assert not parsed.truncated and parsed.original == "django  orm"


def test_phrase_or_and_negation() -> None:
    parsed = parse_query('"task queue" celery OR rq -draft NOT beta')
    assert parsed.clauses == (
        Clause((Phrase(("task", "queue")),)),
        Clause((Term("celery"), Term("rq"))),
    )
    assert parsed.excluded == (Term("draft"), Term("beta"))
    assert parsed.title_text == ""  # OR makes an exact title match meaningless


def test_or_chains_and_binds_only_neighbours() -> None:
    parsed = parse_query("a OR b OR c d")
    assert parsed.clauses == (Clause((Term("a"), Term("b"), Term("c"))), Clause((Term("d"),)))


def test_prefix_needs_two_characters() -> None:
    assert parse_query("deploy*").clauses == (Clause((Prefix("deploy"),)),)
    assert parse_query("De*").clauses == (Clause((Prefix("de"),)),)
    assert parse_query("a*").clauses == (Clause((Term("a*"),)),)
    assert parse_query("a*").text_terms == ("a",)
    assert parse_query("fo*o").clauses == (Clause((Term("fo*o"),)),)


def test_field_queries_and_filters() -> None:
    parsed = parse_query("title:Django tag:Python author:Bob under:Django_REST/ -tag:old x")
    assert parsed.clauses == (Clause((Term("Django", "title"),)), Clause((Term("x"),)))
    assert parsed.filters == (
        Filter("tag", "python"),
        Filter("author", "bob"),
        Filter("under", "django rest"),
        Filter("tag", "old", negated=True),
    )
    assert parse_query('under:"Django REST"').filters == (Filter("under", "django rest"),)
    assert parse_query('title:"a b"').clauses == (Clause((Phrase(("a", "b"), "title"),)),)
    assert parse_query("NOT author:eve").filters == (Filter("author", "eve", negated=True),)


@pytest.mark.parametrize(
    ("q", "after", "before"),
    [
        ("updated:>2026-01-01", datetime(2026, 1, 2, tzinfo=UTC), None),
        ("updated:>=2026-01-01", datetime(2026, 1, 1, tzinfo=UTC), None),
        ("updated:<2026-01-01", None, datetime(2026, 1, 1, tzinfo=UTC)),
        ("updated:<=2026-01-01", None, datetime(2026, 1, 2, tzinfo=UTC)),
        ("updated:2026-01-01", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)),
        (
            "updated:>2025-01-01 updated:>2025-06-01 updated:<2026-01-01",
            datetime(2025, 6, 2, tzinfo=UTC),
            datetime(2026, 1, 1, tzinfo=UTC),
        ),
    ],
)
def test_updated_filter_bounds(q: str, after: datetime | None, before: datetime | None) -> None:
    parsed = parse_query(q)
    assert (parsed.updated_after, parsed.updated_before) == (after, before)
    assert not parsed.clauses and not parsed.is_empty


@pytest.mark.parametrize(
    ("q", "clauses"),
    [
        ("NOT NOT NOT", (Clause((Term("NOT"),)),) * 3),
        ("OR OR", (Clause((Term("OR"),)), Clause((Term("OR"),)))),
        ("foo~99", (Clause((Term("foo~99"),)),)),
        ("[a TO z]", (Clause((Term("a"),)), Clause((Term("TO"),)), Clause((Term("z"),)))),
        ('"unbalanced words', (Clause((Term("unbalanced"),)), Clause((Term("words"),)))),
        ("title:", (Clause((Term("title:"),)),)),
        ("field:value:more", (Clause((Term("field:value:more"),)),)),
        ("updated:>garbage", (Clause((Term("updated:>garbage"),)),)),
        ("tag:", (Clause((Term("tag:"),)),)),
    ],
)
def test_nonsense_falls_back_to_plain_words(q: str, clauses: tuple[Clause, ...]) -> None:
    parsed = parse_query(q)
    assert parsed.clauses == clauses
    assert not parsed.filters and not parsed.excluded


def test_long_queries_are_cut() -> None:
    assert not parse_query("x" * MAX_QUERY_LENGTH).truncated
    parsed = parse_query("y" * (MAX_QUERY_LENGTH + 1))
    assert parsed.truncated and parsed.original == "y" * MAX_QUERY_LENGTH


def test_control_and_bidi_characters_are_dropped() -> None:
    parsed = parse_query("ce\x00lery \u202eevil\u202c")
    assert parsed.clauses == (
        Clause((Term("ce"),)),
        Clause((Term("lery"),)),
        Clause((Term("evil"),)),
    )


def test_empty_and_negation_only_queries_are_empty() -> None:
    assert parse_query("").is_empty
    assert parse_query("  ((  ").is_empty
    assert parse_query("-draft").is_empty
    assert not parse_query("tag:x").is_empty


def test_synonyms_expand_words_phrases_and_runs() -> None:
    synonyms = parse_synonyms("k8s = Kubernetes\nML = machine learning")
    assert parse_query("K8S deploy", synonyms).clauses[0] == Clause(
        (Term("K8S"), Term("kubernetes"))
    )
    assert parse_query("kubernetes", synonyms).clauses[0] == Clause(
        (Term("kubernetes"), Term("k8s"))
    )
    run = parse_query("machine learning rocks", synonyms)
    assert run.clauses[0] == Clause((Phrase(("machine", "learning")), Term("ml")))
    assert parse_query('"Machine Learning"', synonyms).clauses[0].alternatives[1] == Term("ml")
    assert parse_query("ml", synonyms).clauses[0].alternatives[1] == Phrase(("machine", "learning"))
    assert parse_query("-k8s x", synonyms).excluded == (Term("k8s"), Term("kubernetes"))
    assert "kubernetes" in parse_query("k8s", synonyms).text_terms


def test_corrected_replaces_plain_words() -> None:
    parsed = parse_query("Celary tasks title:x")
    assert parsed.correctable_words == ("celary", "tasks")
    fixed = parsed.corrected({"celary": "celery"})
    assert fixed.original == "celery tasks title:x"
    assert fixed.clauses[0] == Clause((Term("celery"),))
    assert fixed.text_terms[0] == "celery"
    assert replace_words("a celary-b celaryx", {"celary": "celery"}) == "a celery-b celaryx"
