"""The OpenAPI document, the /api/docs page, and the documented Python example, run for real."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.api_support import make_token
from tests.app_server import running
from tests.conftest import AuthActions, CSRFClient
from wiki.api import schemas

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_openapi_document_is_generated_from_the_models(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    operations = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    assert operations == {
        ("GET", "/api/v1/pages"),
        ("GET", "/api/v1/pages/{title}"),
        ("PUT", "/api/v1/pages/{title}"),
        ("GET", "/api/v1/pages/{title}/revisions"),
        ("GET", "/api/v1/pages/{title}/diff"),
        ("GET", "/api/v1/search"),
    }
    components = doc["components"]["schemas"]
    # The very schema the PUT view validates with.
    assert components["PageWrite"] == schemas.PageWrite.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    assert components["PageWrite"]["additionalProperties"] is False
    put = doc["paths"]["/api/v1/pages/{title}"]["put"]
    assert {"200", "201", "400", "401", "403", "409", "413", "415", "429"} <= set(put["responses"])
    assert put["security"] == [{"bearerAuth": []}]
    conflict = put["responses"]["409"]["content"]["application/problem+json"]["schema"]
    assert conflict == {
        "anyOf": [
            {"$ref": "#/components/schemas/ConflictProblem"},
            {"$ref": "#/components/schemas/MovedProblem"},  # a create at an old title
        ]
    }
    assert {"title", "moved_to", "location"} <= set(components["PageMoved"]["required"])
    assert put["responses"]["308"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PageMoved"
    }
    replace = [p for p in put["parameters"] if p["name"] == "replace_redirect"]
    assert replace and replace[0]["in"] == "query" and replace[0]["schema"]["type"] == "boolean"
    assert {"from", "to"} <= {
        p["name"] for p in doc["paths"]["/api/v1/pages/{title}/diff"]["get"]["parameters"]
    }
    assert "GetSavedPage" in put["responses"]["201"]["links"]


def test_docs_page_uses_vendored_files_and_no_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
        assert os.path.getsize(os.path.join(ROOT, "static", "vendor", "swagger-ui", name)) > 0
    assert client.get("/static/js/api_docs.js").status_code == 200


def _example() -> str:
    with open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8") as fh:
        text = fh.read()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_documented_example_runs(app, app_config, tmp_path):
    app.test_client_class = CSRFClient
    AuthActions(app.test_client()).register("alice")
    token = make_token(app, "alice", "write")
    script = tmp_path / "example.py"
    script.write_text(_example(), encoding="utf-8")
    with running(app_config) as (server,):
        env = {
            **os.environ,
            "WIKI_URL": f"http://127.0.0.1:{server.port}",
            "WIKI_TOKEN": token,
        }
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
        )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "created revision 1 new page: True" in out
    assert "Conflict:" in out and "edited by A" in out  # the marked merge was shown
    assert "saved revision 3" in out and out.rstrip().endswith("First line, edited by B.")
