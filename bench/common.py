"""Shared measuring helpers: figures are printed, never compared with a budget in code."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(settings="config.settings.bench", *, fresh_sqlite: str = ""):
    """Configure Django for a benchmark; with `fresh_sqlite`, start from an empty SQLite file
    of that name in var/ (unless DATABASE_URL points elsewhere, e.g. at PostgreSQL)."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    (ROOT / "var").mkdir(exist_ok=True)
    if fresh_sqlite and "DATABASE_URL" not in os.environ:
        db_file = ROOT / "var" / fresh_sqlite
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    import django

    django.setup()


def percentile(values, pct):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(fn, *, runs=50, warmup=5):
    """Return (median wall ms, p95 wall ms, median CPU ms, queries of the last run)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            w0, c0 = time.perf_counter(), time.thread_time()
            fn()
            c1, w1 = time.thread_time(), time.perf_counter()
        walls.append((w1 - w0) * 1000)
        cpus.append((c1 - c0) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(walls), percentile(walls, 95), statistics.median(cpus), queries
