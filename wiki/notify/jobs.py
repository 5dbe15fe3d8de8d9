"""The notification job: fan out new events, queue due digests, send due deliveries."""

from __future__ import annotations

from wiki.jobs.runner import job
from wiki.notify import delivery, fanout, service


@job("notify.process")
def process() -> float | None:
    """Runs until the queue is empty; returns when the next retry is due."""
    while fanout.fan_out_pending():
        pass
    service.queue_due_digests()
    while fanout.fan_out_pending():
        pass
    return delivery.deliver_due()
