"""A client nobody here wrote: Schemathesis fuzzes every operation of /api/openapi.json on a
live server (with a write token, following the document's links statefully) and checks that
no response is a 500 and every response matches the document."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from tests.api_support import make_token
from tests.app_server import running
from tests.conftest import AuthActions, CSRFClient
from wiki.extensions import db
from wiki.models import Revision

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "use_after_free",
        "allow_header_conformance",
    ]
)
MAX_EXAMPLES = os.environ.get("API_FUZZ_EXAMPLES", "15")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_schemathesis_finds_no_500_and_no_mismatch(app, app_config, tmp_path):
    app.test_client_class = CSRFClient
    client = app.test_client()
    AuthActions(client).register("alice")  # the first account: an admin
    token = make_token(app, "alice", "write")
    config = {
        **app_config,
        # Fuzzing sends hundreds of requests in a few seconds: limits are tested elsewhere.
        "WIKI_API_RATE": "100000 per minute",
        "WIKI_SAVE_RATE": "100000 per minute",
    }
    with running(config) as (server,):
        url = f"http://127.0.0.1:{server.port}/api/openapi.json"
        command = [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"),
            "run",
            url,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            MAX_EXAMPLES,
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--seed",
            "17",
            "--workers",
            "1",
            "--max-failures",
            "20",
            "--request-timeout",
            "20",
            "--suppress-health-check",
            "too_slow,filter_too_much",
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=300, cwd=str(tmp_path)
        )
    report = result.stdout[-20000:] + result.stderr[-5000:]
    assert result.returncode == 0, report
    # It really exercised the API: all six operations, the stateful phase, real saves.
    assert "6 selected / 6 total" in result.stdout and "Tested: 6" in result.stdout, report
    assert "Stateful" in result.stdout and "No issues found" in result.stdout, report
    with app.app_context():
        saved = db.session.scalar(select(func.count()).select_from(Revision))
    assert saved > 0, "no PUT with the write token succeeded"
