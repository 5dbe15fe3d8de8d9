"""The after-response queue: work a request sets off that its user should not wait for.

A service calls :func:`defer` with a callable, for example search indexing of a long page
(``wiki.search.service.sync_after_response``) or index segment merging. During a request the
callable is queued, and once the response has been sent (``response.call_on_close``, hooked up
by :func:`init_app` in ``create_app``) the same worker runs the queue in order, each action in
an app context of its own; a failure is logged and never reaches the user. Outside a request
(CLI, import, a job) the action runs at once.

Whatever a deferred action does must be safe to lose if the process dies first: search
indexing is, because the stale-page record is committed with the revision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, g, has_request_context

log = logging.getLogger(__name__)

_QUEUE = "nexus_after_response"  # flask.g key


def defer(action: Callable[[], object]) -> None:
    """Run ``action`` after the current response is sent (now, when there is no request).

    Queuing the same callable twice in one request runs it once.
    """
    if not has_request_context():
        _run(current_app._get_current_object(), [action])  # type: ignore[attr-defined]
        return
    queue = g.setdefault(_QUEUE, [])
    if action not in queue:
        queue.append(action)


def init_app(app: Flask) -> None:
    """Run each request's queue once its response has been sent."""

    @app.after_request
    def _run_queue_after_response(response: Response) -> Response:
        queue = g.pop(_QUEUE, None)
        if queue:
            owner = current_app._get_current_object()  # type: ignore[attr-defined]
            response.call_on_close(lambda: _run(owner, queue))
        return response


def _run(app: Flask, actions: list[Callable[[], object]]) -> None:
    for action in actions:
        with app.app_context():
            try:
                action()
            except Exception:  # the response is gone: log it, the next request retries
                log.exception("after-response work failed: %r", action)
