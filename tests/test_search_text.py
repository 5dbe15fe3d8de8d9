"""Tests for wiki.search.text: identifier splitting, title keys, synonyms lists."""

import pytest

from wiki.search.text import clean_text, parse_synonyms, replace_words, split_identifier, title_key


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("getElementById", ["getelementbyid", "get", "element", "by", "id"]),
        ("select_related", ["select_related", "select", "related"]),
        ("CELERY_BROKER_URL", ["celery_broker_url", "celery", "broker", "url"]),
        (
            "rest_framework.permissions",
            ["rest_framework.permissions", "rest", "framework", "permissions"],
        ),
        ("docker-compose.yml", ["docker-compose.yml", "docker", "compose", "yml"]),
        ("@shared_task", ["shared_task", "shared", "task"]),
        ("HTMLParser", ["htmlparser", "html", "parser"]),
        ("celery", ["celery"]),
        ("Straße_Weg", ["straße_weg", "straße", "weg"]),
        ("@@", []),
    ],
)
def test_split_identifier(token: str, words: list[str]) -> None:
    assert split_identifier(token) == words


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
