"""The notification job: fan out new events, queue due digests, send due deliveries, and
once an hour drop old events whose deliveries are done."""

from __future__ import annotations

import time

from wiki.jobs.runner import job
from wiki.notify import delivery, fanout, service

PRUNE_EVERY = 3600.0
_last_prune = [0.0]


@job("notify.process")
def process() -> float | None:
    """Runs until the queue is empty; returns when the next retry is due."""
    # A short batch emptied the queue (each save wakes the job again): one query, not two.
    while fanout.fan_out_pending():
        pass
    if service.queue_due_digests():
        while fanout.fan_out_pending():
            pass
    if time.monotonic() - _last_prune[0] > PRUNE_EVERY:
        _last_prune[0] = time.monotonic()
        service.prune_events()
    return delivery.deliver_due()
