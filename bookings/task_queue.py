"""Queue a task so that it leaves with the caller's transaction, and see which tasks are still
waiting or running, on either task backend (docs/operations.md, "RQ" and "The sweeper").

The database backend (django-tasks-db) writes its task row in the caller's transaction, so a
rollback takes the task with it. Any other backend (RQ in Redis) sends at once, which would queue
work for a booking that then rolled back, or let a worker look for a row not yet committed; for
those, the task is sent when the transaction commits, and never if it rolls back.
"""

from datetime import UTC, datetime
from functools import partial

import django_rq
from django.db import transaction
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from django_tasks_rq.backend import RQBackend
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry


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


def live_task_ids(task_path: str, *, now: datetime, backend: str = "default") -> set[int]:
    """The first argument (an outbox row's id) of every task at `task_path` that is waiting to
    run, scheduled for later, or running, in the backend that holds the queue.

    Database backend: task rows READY or RUNNING. RQ: jobs in the queue (and in RQ's hand-over
    list to a worker), in the scheduled registry, and in the started registry while their
    worker's heartbeat is alive (a SIGKILLed worker's job stops counting when its heartbeat
    expires, as RQ's own cleanup decides). Any other backend cannot be seen: nothing counts as
    live, so the sweeper may queue a duplicate, which delivery ignores.
    """
    queue_backend = task_backends[backend]
    if isinstance(queue_backend, DatabaseBackend):
        live = DBTaskResult.objects.filter(task_path=task_path, status__in=("READY", "RUNNING"))
        return {row["args"][0] for row in live.values_list("args_kwargs", flat=True) if row.get("args")}
    if isinstance(queue_backend, RQBackend):
        return _rq_live_ids(queue_backend, task_path, now)
    return set()


def _rq_live_ids(queue_backend: RQBackend, task_path: str, now: datetime) -> set[int]:
    ids: set[int] = set()
    for name in sorted(queue_backend.queues):
        queue = django_rq.get_queue(name)
        redis = queue.connection
        job_ids = set(queue.get_job_ids())
        job_ids.update(_text(i) for i in redis.lrange(queue.intermediate_queue_key, 0, -1))
        # cleanup=False: reading the registries must not change them.
        job_ids.update(ScheduledJobRegistry(queue=queue).get_job_ids(cleanup=False))
        started = StartedJobRegistry(queue=queue)
        # Entries are "<job id>:<execution id>", scored with their heartbeat's expiry time.
        alive = redis.zrangebyscore(started.key, now.astimezone(UTC).timestamp(), "+inf")
        job_ids.update(started.parse_job_id(_text(entry)) for entry in alive)
        for job in Job.fetch_many(sorted(job_ids), connection=redis, serializer=queue.serializer):
            if job is not None and job.func_name == task_path and job.args:
                ids.add(job.args[0])
    return ids


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
