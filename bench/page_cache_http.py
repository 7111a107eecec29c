"""A page-cache hit over HTTP next to a trivial WSGI app serving the same bytes, side by side.

    .venv/bin/python bench/page_cache_http.py [--requests 1000] [--rounds 3] [--clients 4] [--url /]

A throwaway PostgreSQL database with the demo content, config.settings.production with Redis as
the cache (BENCH_REDIS_URL, database 5 by default, emptied at the end) and the page cache on.
Two gunicorns with the same sync workers (2, as docs/deploy.md runs them): the project, and
`trivial` below, which returns the status, headers and body the project's cache hit returned
(checked byte for byte). One client for both: a bounded pool of threads, each request on a new
http.client connection to 127.0.0.1 carrying the proxy headers docs/deploy.md describes. The
rounds alternate between the two servers, so background load on a shared machine falls on
both alike.

Printed for each: server CPU ms per request (utime + stime of the gunicorn workers from
/proc/PID/stat, before and after, over the requests) and client latency p50/p95; then the
ratio. Last, a page is published from another process and the next request to each worker
must show it. Loopback only; every loop is bounded; everything is stopped at the end.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from services import BIN, PG, PY, ROOT, Processes, free_port, production_env, psql

HOP_BY_HOP = {"date", "server", "connection", "transfer-encoding", "keep-alive"}
VISITOR = "192.0.2.44"  # the address a proxy says the visitor has (a documentation range)


def _load_response():
    path = os.environ.get("TRIVIAL_RESPONSE")
    if not path:
        return None
    saved = json.loads(Path(path).read_text())
    return saved["status"], [tuple(h) for h in saved["headers"]], bytes.fromhex(saved["body"])


_RESPONSE = _load_response()


def trivial(environ, start_response):
    """The ceiling: a WSGI app that only hands gunicorn the stored bytes."""
    status, headers, body = _RESPONSE
    start_response(status, headers)
    return [body]


def get(port, url, *, keep_headers=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "GET",
        url,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": VISITOR, "Connection": "close"},
    )
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    headers = resp.getheaders() if keep_headers else None
    return resp.status, resp.reason, resp.getheader("X-Page-Cache", ""), body, headers


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def cpu_seconds(pids) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def batch(port, master, url, pids, *, requests, clients, expect_hit):
    def one(_):
        t0 = time.perf_counter()
        status, _, hit, _, _ = get(port, url)
        return (time.perf_counter() - t0) * 1000, status, hit

    before = cpu_seconds(pids)
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(requests)))
    cpu = cpu_seconds(pids) - before
    assert worker_pids(master) == pids, "a worker was restarted: its CPU time is lost"
    bad = [r for r in results if r[1] != 200 or (expect_hit and r[2] != "hit")]
    assert not bad, f"{len(bad)} answers were not 200 {'cache hits' if expect_hit else ''}: {bad[:3]}"
    return cpu, [r[0] for r in results]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000, help="per server per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", default="/")
    args = parser.parse_args()

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    db_name = f"page_cache_http_{os.getpid()}"
    app_port, trivial_port = free_port(), free_port()
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"https://127.0.0.1:{app_port}",
        DATABASE_URL=f"{PG}/{db_name}",
        REDIS_URL=redis_url,
        TRUSTED_PROXY_COUNT="1",
        DEMO_EDITOR_PASSWORD=os.urandom(12).hex(),
    )
    services = Processes()
    response_file = services.logs / "response.json"
    psql(f"CREATE DATABASE {db_name}")
    try:
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=900)
        subprocess.run(
            [PY, "manage.py", "load_demo_content", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=900,
            stdout=subprocess.DEVNULL,
        )
        gunicorn = [str(BIN / "gunicorn"), "--workers", str(args.workers), "--log-level", "warning"]
        app = services.start(
            "project", [*gunicorn, "--bind", f"127.0.0.1:{app_port}", "config.wsgi:application"], env
        )
        services.wait_port(app_port, app)
        for _ in range(4 * args.workers):  # each worker stores or finds the page
            get(app_port, args.url)
        status, reason, hit, body, headers = get(app_port, args.url, keep_headers=True)
        assert status == 200 and hit == "hit", (status, hit)
        kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        saved = {"status": f"{status} {reason}", "headers": kept, "body": body.hex()}
        response_file.write_text(json.dumps(saved))
        trivial_env = {**env, "TRIVIAL_RESPONSE": str(response_file)}
        ceiling = services.start(
            "trivial",
            [*gunicorn, "--bind", f"127.0.0.1:{trivial_port}", "--chdir", str(ROOT / "bench")]
            + ["page_cache_http:trivial"],
            trivial_env,
        )
        services.wait_port(trivial_port, ceiling)
        t_status, _, _, t_body, t_headers = get(trivial_port, args.url, keep_headers=True)
        same = [(k, v) for k, v in t_headers if k.lower() not in HOP_BY_HOP]
        assert (t_status, t_body, same) == (status, body, kept), "the trivial app's answer differs"
        print(
            f"{args.url}: {len(body):,} bytes, {len(kept)} headers, byte for byte the same from both; "
            f"{args.workers} sync workers each, {args.clients} client threads, {args.requests} requests "
            f"per server per round, {args.rounds} rounds"
        )

        sides = {
            "page cache hit (project)": (app_port, app.pid, True),
            "trivial WSGI, same bytes": (trivial_port, ceiling.pid, False),
        }
        pids = {port: worker_pids(master) for port, master, _ in sides.values()}
        assert all(len(p) == args.workers for p in pids.values()), pids
        for port, master, _ in sides.values():  # warm every worker of both
            batch(port, master, args.url, pids[port], requests=50, clients=args.clients, expect_hit=False)
        totals = {name: [0.0, []] for name in sides}
        for round_no in range(args.rounds):
            order = list(sides.items()) if round_no % 2 == 0 else list(reversed(sides.items()))
            for name, (port, master, expect_hit) in order:
                cpu, latencies = batch(
                    port,
                    master,
                    args.url,
                    pids[port],
                    requests=args.requests,
                    clients=args.clients,
                    expect_hit=expect_hit,
                )
                totals[name][0] += cpu
                totals[name][1] += latencies
                print(
                    f"  round {round_no + 1} {name:<26} CPU {cpu * 1000 / args.requests:.3f} ms/request, "
                    f"p50 {statistics.median(latencies):.2f} ms"
                )
        print(f"\n{'server':<28} {'CPU ms/request':>15} {'p50 ms':>8} {'p95 ms':>8}")
        per_request = {}
        for name, (cpu, latencies) in totals.items():
            per_request[name] = cpu * 1000 / len(latencies)
            ordered = sorted(latencies)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            print(f"{name:<28} {per_request[name]:>15.3f} {statistics.median(latencies):>8.2f} {p95:>8.2f}")
        hit_cpu, ceiling_cpu = per_request.values()
        print(f"ratio, server CPU per request: {hit_cpu / ceiling_cpu:.2f}× the trivial WSGI app")

        publish_check(args, app_port, env)
    except BaseException:
        services.show_logs()
        raise
    finally:
        services.stop_all()
        subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], capture_output=True)
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db_name}"], timeout=120)


def publish_check(args, port, env):
    """A publish from another process (an editor in the admin) shows on the very next request,
    whichever worker answers it: the new token is in the shared cache."""
    marker = os.urandom(4).hex()
    script = (
        "from wagtail.models import Page\n"
        f"page = next(p for p in Page.objects.live().specific() if p.get_url() == {args.url!r})\n"
        f"page.title = page.title + ' (republished {marker})'\n"
        "page.save_revision().publish()\n"
    )
    subprocess.run([PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, timeout=300)
    answers = [get(port, args.url) for _ in range(2 * args.workers)]
    shown = sum(marker.encode() in body for _, _, _, body, _ in answers)
    first = answers[0][2]
    print(
        f"after a publish from another process: the next request was a {first!r}, and "
        f"{shown} of {len(answers)} requests showed the new title"
    )
    assert first == "miss" and shown == len(answers), (first, shown)


if __name__ == "__main__":
    main()
