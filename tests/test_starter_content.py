"""The starter knowledge base: its files (no app needed) and ``flask content init``."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from wiki.content.importing import STARTER_DIR
from wiki.rendering.markdown import split_front_matter
from wiki.text.titles import normalize_title, title_to_path

AREAS = {
    "Key technologies": [
        "Python",
        "Django",
        "Django REST Framework",
        "GraphQL",
        "Docker and Docker Compose",
        "CI and CD with GitHub Actions",
        "Celery and RabbitMQ",
    ],
    "Core concepts": [
        "Database design and optimization",
        "Asynchronous programming",
        "Caching with Redis and Memcached",
        "Authentication and authorization",
        "System design principles",
        "API versioning and pagination",
    ],
    "Challenges and solutions": [
        "Scalable APIs with DRF and Graphene",
        "Background jobs with Celery and RabbitMQ",
        "Deployment with Docker and GitHub Actions",
        "Caching with Redis",
        "API security with JWT and roles",
    ],
    "Best practices": [
        "Clean modular architecture",
        "Environment variables and .env",
        "Test-driven development",
        "API documentation with Swagger and Postman",
        "CI and CD",
        "Version control with Git",
    ],
    "Collaboration": ["Sharing API docs", "Coordinating backend and frontend work"],
}
REFERENCE_PAGES = [f"{area}/{leaf}" for area, leaves in AREAS.items() for leaf in leaves]
TEMPLATES = ["Templates/Challenge and solution", "Templates/Concept", "Templates/Technology"]
# Red links on purpose: "wanted" pages that invite learners to write them.
DELIBERATE_RED_LINKS = {
    "Key technologies/PostgreSQL",
    "Key technologies/FastAPI",
    "Core concepts/Observability and logging",
    "Core concepts/Database transactions and isolation",
    "Challenges and solutions/Zero-downtime database migrations",
}
_FENCE = re.compile(r"^(`{3,})(\w*)[^\n]*\n(.*?)^\1[ \t]*$", re.S | re.M)
_WIKILINK = re.compile(r"\[\[([^\[\]\n|#]+)(?:[#|][^\[\]\n]*)?\]\]")


def _starter_files() -> dict[str, str]:
    return {
        path.relative_to(STARTER_DIR).as_posix()[: -len(".md")]: path.read_text(encoding="utf-8")
        for path in sorted(STARTER_DIR.rglob("*.md"))
    }


STARTER = _starter_files()


def _prose(body: str) -> str:
    """The body without fenced code and inline code, where wiki links are real links."""
    return re.sub(r"`[^`\n]*`", "", _FENCE.sub("", body))


def test_every_required_page_exists():
    for title in ["Home", *AREAS, *REFERENCE_PAGES, *TEMPLATES, "Nexus/Search synonyms"]:
        assert title in STARTER, title


def test_file_names_are_valid_titles():
    for title in STARTER:
        assert normalize_title(title) == title


def test_home_explains_contributing_and_links_every_area():
    home = STARTER["Home"]
    assert "How to contribute" in home
    for area in AREAS:
        assert f"[[{area}]]" in home


def test_each_area_index_links_all_its_pages():
    for area, leaves in AREAS.items():
        links = set(_WIKILINK.findall(_prose(STARTER[area])))
        assert {f"{area}/{leaf}" for leaf in leaves} <= links, area


@pytest.mark.parametrize("title", REFERENCE_PAGES)
def test_reference_pages_are_complete(title):
    meta, text = split_front_matter(STARTER[title])
    assert meta["level"] in ("beginner", "intermediate", "advanced")
    assert meta["verified_with"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["last_verified"])
    assert meta["tags"], "tags: must not be empty"
    assert _FENCE.search(text), "needs a fenced code example"
    assert re.search(r"^## (Pitfalls|Lessons)", text, re.M), "needs pitfalls or lessons"
    assert len(set(_WIKILINK.findall(_prose(text)))) >= 3, "needs links to related pages"
    assert len(text) > 1500, "a short reference, not a placeholder"


def test_challenge_pages_follow_the_template_structure():
    for leaf in AREAS["Challenges and solutions"]:
        text = STARTER[f"Challenges and solutions/{leaf}"]
        for heading in ("Problem", "Context", "What we tried", "The solution", "Code", "Lessons"):
            assert f"\n## {heading}\n" in text, (leaf, heading)


def test_wiki_links_resolve_except_deliberate_red_links():
    targets = set()
    for body in STARTER.values():
        targets |= {normalize_title(t) for t in _WIKILINK.findall(_prose(body))}
    assert targets - set(STARTER) == DELIBERATE_RED_LINKS


@pytest.mark.parametrize("title", sorted(STARTER))
def test_every_wiki_link_renders_as_a_link(title):
    """No ``[[...]]`` left as text, e.g. a labelled link whose ``|`` split a table cell."""
    from wiki.rendering.markdown import render

    html = render(STARTER[title], existing=frozenset(STARTER), page_title=title).html
    prose = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert "[[" not in prose and "]]" not in prose


@pytest.mark.parametrize("title", sorted(STARTER))
def test_code_examples_parse(title):
    for _fence, lang, code in _FENCE.findall(split_front_matter(STARTER[title])[1]):
        if lang == "python":
            ast.parse(code)
        elif lang == "yaml":
            yaml.safe_load(code)
        elif lang == "json":
            json.loads(code)


def test_search_synonyms_are_pairs():
    lines = [line for line in STARTER["Nexus/Search synonyms"].splitlines() if " = " in line]
    pairs = dict(line.split(" = ", 1) for line in lines)
    assert pairs["DRF"] == "Django REST Framework"
    assert pairs["k8s"] == "Kubernetes"
    assert pairs["JWT"] == "JSON Web Token"
    assert all(k.strip() and v.strip() and "=" not in v for k, v in pairs.items())


def test_templates_have_empty_metadata_to_fill_in():
    for title in TEMPLATES:
        meta, text = split_front_matter(STARTER[title])
        assert set(meta) >= {"tags", "level", "verified_with", "last_verified"}
        assert meta["last_verified"] is None and meta["tags"] == []
        assert "## Related pages" in text


# --- flask content init, on a real database ------------------------------------------------


def _count(model) -> int:
    from wiki.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_content_init_loads_once_as_the_system_account(app, runner):
    from wiki.extensions import db
    from wiki.models import Page, Revision, User

    result = runner.invoke(args=["content", "init"])
    assert result.exit_code == 0, result.output
    assert f"{len(STARTER)} created" in result.output
    with app.app_context():
        assert _count(Page) == len(STARTER) == _count(Revision)
        authors = set(db.session.scalars(select(User.username).join(Revision.author)))
        assert authors == {"nexus-bot"}
        assert db.session.scalar(select(User.is_system).where(User.username == "nexus-bot"))
        body = db.session.scalar(
            select(Revision.body).join(Revision.page).where(Page.title == "Key technologies/Django")
        )
        assert body == STARTER["Key technologies/Django"]
    again = runner.invoke(args=["content", "init"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    with app.app_context():
        assert _count(Revision) == len(STARTER)


def test_content_init_never_loads_over_an_existing_wiki(app, runner, client, editor):
    from tests.conftest import save_page

    save_page(client, "Home", "Our own home page")
    assert runner.invoke(args=["content", "init"]).exit_code == 0
    assert client.get("/raw/Home").get_data(as_text=True) == "Our own home page"
    assert client.get("/wiki/Key_technologies").status_code == 404


def test_starter_pages_render_without_unexpected_red_links(app, runner, client):
    from wiki.extensions import db
    from wiki.models import Link
    from wiki.rendering.markdown import MISSING_PAGE_TITLE

    runner.invoke(args=["content", "init"])
    red = {}
    for title in STARTER:
        response = client.get(f"/wiki/{title_to_path(title)}")
        assert response.status_code == 200, title
        body = response.get_data(as_text=True).split('class="markdown-body"', 1)[1]
        assert "tags: [" not in body.split("<pre", 1)[0], "front matter shown as text"
        if body.count(f'title="{MISSING_PAGE_TITLE}"'):
            red[title] = body.count(f'title="{MISSING_PAGE_TITLE}"')
    assert red == {"Key technologies": 2, "Core concepts": 2, "Challenges and solutions": 1}
    with app.app_context():
        targets = set(db.session.scalars(select(Link.target_title)))
    assert targets - set(STARTER) == DELIBERATE_RED_LINKS


def test_home_shows_the_starter_home(runner, client):
    runner.invoke(args=["content", "init"])
    home = client.get("/").get_data(as_text=True)
    assert "How to contribute" in home and 'href="/wiki/Key_technologies"' in home


def test_reference_page_shows_learning_card(runner, client):
    runner.invoke(args=["content", "init"])
    page = client.get("/wiki/Key_technologies/Django").get_data(as_text=True)
    assert "learning-card" in page and "Django 5.2 LTS" in page and "Beginner" in page
    assert "may be out of date" not in page


def test_template_titles_lists_the_templates(app, runner):
    from wiki.pages.page_templates import template_body, template_titles

    runner.invoke(args=["content", "init"])
    with app.app_context():
        assert template_titles() == TEMPLATES
        assert "## What we tried" in template_body("Templates/Challenge and solution")
        assert template_body("Home") is None
        assert template_body("Templates/Nope") is None


def test_content_init_help_is_documented(runner):
    result = runner.invoke(args=["content", "init", "--help"])
    assert result.exit_code == 0 and "empty wiki" in result.output


def test_starter_folder_is_the_one_shipped_with_the_package():
    assert Path(STARTER_DIR).name == "starter" and (Path(STARTER_DIR) / "Home.md").is_file()
