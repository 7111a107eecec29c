"""Queue a task so that it leaves with the caller's transaction (docs/operations.md, "RQ").

The database backend (django-tasks-db) writes its task row in the caller's transaction, so a
rollback takes the task with it. Any other backend (RQ in Redis) sends at once, which would queue
work for a booking that then rolled back, or let a worker look for a row not yet committed; for
those, the task is sent when the transaction commits, and never if it rolls back.
"""

from datetime import datetime
from functools import partial

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend


def enqueue_on_commit(task, *args, when: datetime | None = None) -> None:
    """Queue `task(*args)` (ids only), now or not before `when`, as part of the caller's
    transaction. Outside a transaction it is queued at once."""
    bound = task if when is None else task.using(run_after=when)
    if isinstance(bound.get_backend(), DatabaseBackend):
        bound.enqueue(*args)
    else:
        # robust: a Redis hiccup after the commit must not turn a made booking into an error
        # page; the scheduler's sweep gives a waiting email with no task a new one.
        transaction.on_commit(partial(bound.enqueue, *args), robust=True)
