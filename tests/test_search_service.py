"""wiki.search.service through the app: ranking, code identifiers, typos, synonyms, filters,
rebuild = incremental, misses; on every (database, search backend) pair."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import search_support
from tests.search_support import put, titles, user
from wiki.extensions import db
from wiki.models import SearchMiss
from wiki.search import misses as search_misses
from wiki.search import service as search_service
from wiki.structure import service as structure_service

# Every test here runs on each (database, search backend) pair.
search_case, backend, app_config = (
    search_support.search_case,
    search_support.backend,
    search_support.app_config,
)

CODE_PAGES = {
    "Django ORM tips": "Use select_related for foreign keys.",
    "Celery settings": "```python\nCELERY_BROKER_URL = 'redis://localhost'\n```",
    "DRF auth": "Configure rest_framework.permissions in settings.",
    "Compose files": "```yaml\n# docker-compose.yml\nservices: {}\n```",
    "DOM lookups": "Call `document.getElementById('app')` once.",
    "Periodic jobs": "```python\n@shared_task\ndef cleanup():\n    pass\n```",
    "Unrelated": "Nothing about code here, just prose on gardening.",
}


@pytest.fixture
def wiki(app, editor):
    with app.app_context():
        yield app
        search_service.close()


def test_exact_title_ranks_first_and_title_beats_body(wiki):
    put("Docker Compose", "Docker docker docker: compose many docker containers with docker.")
    put("Containers", "docker " * 30)
    put("Docker", "A container runtime.")
    put("Kubernetes basics", "Pods and services.")
    put("Cluster notes", "kubernetes kubernetes kubernetes kubernetes kubernetes in the body.")
    outcome = search_service.search("docker")
    assert outcome.results.exact_title == "Docker"
    assert [h.title for h in outcome.results.hits][:2] == ["Docker", "Docker Compose"]
    assert titles("kubernetes") == ["Kubernetes basics", "Cluster notes"]
    assert titles("DOCKER")[0] == "Docker"  # case-insensitive exact match


@pytest.mark.parametrize(
    ("whole", "part", "page"),
    [
        ("select_related", "related", "Django ORM tips"),
        ("CELERY_BROKER_URL", "broker", "Celery settings"),
        ("rest_framework.permissions", "permissions", "DRF auth"),
        ("docker-compose.yml", "compose", "Compose files"),
        ("getElementById", "element", "DOM lookups"),
        ("@shared_task", "shared_task", "Periodic jobs"),
    ],
)
def test_code_identifiers_are_found_whole_and_by_a_part(wiki, whole, part, page):
    for title, body in CODE_PAGES.items():
        put(title, body)
    assert titles(whole)[:1] == [page]
    assert page in titles(part)
    assert "Unrelated" not in titles(whole) + titles(part)


def test_a_typo_is_corrected_and_says_so(wiki):
    put("Celery", "A distributed task queue for Python.")
    put("Redis", "An in-memory store, often the Celery broker.")
    outcome = search_service.search("celary")
    assert outcome.results.corrected_query == "celery"
    assert [h.title for h in outcome.results.hits][0] == "Celery"
    exact = search_service.search("celary", correct=False).results
    assert exact.total == 0 and exact.suggestion == "celery"
    assert search_service.search("celery").results.corrected_query is None


def test_synonyms_from_the_wiki_page_work_both_ways(wiki):
    put("Kubernetes", "Pods, deployments and services.")
    put("Cluster cheat sheet", "k8s commands: kubectl get pods.")
    put("Serializers", "How Django REST Framework turns models into JSON.")
    assert titles("k8s") == ["Cluster cheat sheet"]
    put(search_service.SYNONYMS_TITLE, "- k8s = Kubernetes\n- DRF = Django REST Framework\n")
    found = {q: set(titles(q)) - {search_service.SYNONYMS_TITLE} for q in ("k8s", "kubernetes")}
    assert found == {q: {"Kubernetes", "Cluster cheat sheet"} for q in ("k8s", "kubernetes")}
    assert "Serializers" in titles("drf")
    put(search_service.SYNONYMS_TITLE, "nothing here")  # edits apply at once
    assert titles("k8s") == ["Cluster cheat sheet"]


def test_filters(wiki):
    put("Django", "---\ntags: [python, web]\n---\nThe web framework.", author="alice")
    put("Django/ORM", "---\ntags: [python]\n---\nThe ORM of the framework.")
    put("Django/ORM/Migrations", "Migrations for the framework.")
    put("Flask", "---\ntags: [python, web]\n---\nA micro framework.")
    today = datetime.now(UTC).date()
    expectations = {
        "framework tag:web": {"Django", "Flask"},
        "tag:python tag:web": {"Django", "Flask"},
        "framework -tag:web": {"Django/ORM", "Django/ORM/Migrations"},
        "framework author:alice": {"Django"},
        "framework author:ALICE": {"Django"},
        "framework author:bob": {"Django/ORM", "Django/ORM/Migrations", "Flask"},
        "under:Django": {"Django", "Django/ORM", "Django/ORM/Migrations"},
        "framework under:django/orm": {"Django/ORM", "Django/ORM/Migrations"},
        "framework -under:Django": {"Flask"},
        f"framework updated:{today}": {"Django", "Django/ORM", "Django/ORM/Migrations", "Flask"},
        f"framework updated:>{today}": set(),
        f"framework updated:<{today - timedelta(days=1)}": set(),
        "updated:>2000-01-01 tag:web": {"Django", "Flask"},
    }
    for q, expected in expectations.items():
        assert set(titles(q)) == expected, q


def test_query_language(wiki):
    put("Celery", "Celery runs background tasks with a broker.")
    put("RQ", "RQ runs background jobs with Redis.")
    put("Drafts", "A draft about background tasks.")
    assert set(titles("celery OR rq")) == {"Celery", "RQ"}
    assert set(titles("background -draft")) == {"Celery", "RQ"}
    assert set(titles("background NOT draft")) == {"Celery", "RQ"}
    assert titles('"background jobs"') == ["RQ"]
    assert set(titles("back*")) == {"Celery", "RQ", "Drafts"}
    assert titles("title:rq") == ["RQ"]


def test_deleted_pages_vanish_renamed_pages_move_restored_pages_return(wiki):
    put("Gunicorn", "A WSGI server with worker processes.")
    put("Uvicorn", "An ASGI server.")
    alice = user("alice")
    structure_service.delete_page("Gunicorn", alice)
    assert titles("server") == ["Uvicorn"]
    structure_service.restore_page("Gunicorn", alice)
    assert set(titles("server")) == {"Gunicorn", "Uvicorn"}
    structure_service.rename_page("Uvicorn", "ASGI/Uvicorn", alice)
    assert titles("asgi") == ["ASGI/Uvicorn"]
    assert search_service.search("Uvicorn").results.exact_title is None
    assert search_service.suggest("uvi") == ["ASGI/Uvicorn"]


def _summary(q: str) -> tuple:
    """What a person sees of a search (scores may differ: deleted entries count in BM25)."""
    r = search_service.search(q).results
    hits = {h.title: (h.snippet_html, h.author, h.updated) for h in r.hits}
    top = r.hits[0].title if r.hits else None
    return r.total, top, hits, r.corrected_query, r.exact_title


def test_full_rebuild_gives_the_same_results_as_incremental(wiki):
    put("Celery", "Celery runs tasks. `CELERY_BROKER_URL` sets the broker.")
    put("Celery", "Celery runs background tasks. `CELERY_BROKER_URL` sets the broker.")
    put("Redis", "---\ntags: [db]\n---\nA broker and cache for Celery tasks.")
    put("Old page", "Celery notes nobody reads.")
    put("Queues/RQ", "Simple tasks with Redis.", author="alice")
    structure_service.delete_page("Old page", user("alice"))
    structure_service.rename_page("Redis", "Databases/Redis", user("alice"))
    queries = ["celery", "broker", "tasks", "tag:db", "author:alice", "under:queues", "celary"]
    before = {q: _summary(q) for q in queries}
    assert search_service.rebuild() == 3
    assert {q: _summary(q) for q in queries} == before
    assert search_service.check().ok


def test_searches_that_find_nothing_are_counted(wiki):
    put("Celery", "A task queue.")
    for q in ["Quantum  flux", "quantum flux", "celery"]:
        search_service.search(q)
    assert db.session.execute(select(SearchMiss)).first() is None  # not on the request
    assert search_misses.flush()
    db.session.rollback()  # a new read transaction sees what the flush committed
    misses = db.session.execute(select(SearchMiss)).scalars().all()
    assert [(m.query_key, m.query, m.count) for m in misses] == [
        ("quantum flux", "Quantum flux", 2)
    ]
    assert datetime.now(UTC) - misses[0].last_at < timedelta(minutes=5)


def test_suggest_prefix_first_then_words(wiki):
    for title in ["Git", "Git/Rebase", "GitHub Actions", "Using git bisect", "Gitea", "Go"]:
        put(title, "text")
    assert search_service.suggest("git")[:3] == ["Git", "Gitea", "Git/Rebase"]
    assert "Using git bisect" in search_service.suggest("git")
    assert search_service.suggest("bis") == ["Using git bisect"]
    assert len(search_service.suggest("g", limit=3)) == 3
    assert search_service.suggest("  ") == []
