"""Ranking through the app, on every database and search backend: sub-page titles, pages
named by a synonym of the query, generated API reference text below prose, and relaxed
searches (no page has every word) with the pages matching the most words first."""

from __future__ import annotations

import pytest

from tests.search_support import app_config, backend, search_case, titles, wiki_of  # noqa: F401
from wiki.search import service as search_service
from wiki.search.postgres.sql import page_names
from wiki.search.query import parse_query

MANY = " ".join(["Authentication with a bearer token."] * 12)
PAGES = {
    "Nexus/Search synonyms": "DRF = Django REST Framework",
    "Core concepts/Authentication and authorization": "Who you are, and what you may do.",
    "Books reference": f"Every call of the books API. {MANY}",
    "Key technologies/Django REST Framework": "A toolkit for web APIs on Django.",
    "Scalable APIs with DRF and Graphene": "DRF serializers, DRF viewsets, DRF routers.",
    "Secrets manager": "A command line client for a hosted service.",
    "Deploy notes": "Where secrets live: the vault holds them, never the repository.",
}


@pytest.fixture
def wiki(app, editor):
    with wiki_of(app, PAGES):
        yield


def test_words_of_a_sub_page_title_rank_as_title_words(wiki):
    # PostgreSQL's parser read "concepts/Authentication" as one file path.
    assert titles("authentication")[0] == "Core concepts/Authentication and authorization"
    assert titles("authorization concepts")[0] == ("Core concepts/Authentication and authorization")


def test_a_page_named_by_a_synonym_of_the_query_comes_first(wiki):
    found = titles("DRF")
    assert found[0] == "Key technologies/Django REST Framework"
    assert "Scalable APIs with DRF and Graphene" in found


def test_relaxed_search_ranks_pages_with_more_of_the_words_first(wiki):
    outcome = search_service.search("secrets vault zzqxw")
    assert outcome.results.relaxed
    found = [hit.title for hit in outcome.results.hits]
    # Two of the words in the prose beat one of them in the title.
    assert found[:2] == ["Deploy notes", "Secrets manager"]


def test_page_names_are_the_query_and_its_whole_synonyms():
    synonyms = {"drf": ["Django REST Framework"], "django rest framework": ["DRF"]}
    assert page_names(parse_query("DRF", synonyms)) == ["drf", "django rest framework"]
    assert page_names(parse_query("Django  REST Framework", synonyms)) == [
        "django rest framework",
        "drf",
    ]
    assert page_names(parse_query("DRF tips", synonyms)) == ["drf tips"]
    assert page_names(parse_query("celery OR rq")) == ["celery", "rq"]
    assert page_names(parse_query("title:celery")) == ["celery"]
