"""Under runserver (`make run`), request lines of refused requests carry no feed or manage token.

runserver logs every request line through the `django.server` logger. The server runs in a
subprocess with the development settings, so Django applies the real LOGGING to a real stderr,
and requests reach runserver's own request handler (django.core.servers.basehttp).
"""

import http.client
import os
import re
import secrets
import subprocess
import sys
import threading
import time

from tests.support.ical_parsers import REPO_ROOT

SERVER = """
import sys
import django
django.setup()
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
server.set_app(WSGIHandler())
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def request(port: int, method: str, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_runserver_request_lines_are_logged_with_tokens_redacted(tmp_path):
    feed_token = secrets.token_urlsafe(24)
    manage_token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LOG_LEVEL": "INFO",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    lines: list[str] = []
    with subprocess.Popen(  # fixed argv, no shell
        [sys.executable, "-c", SERVER],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        reader = threading.Thread(target=lambda: lines.extend(server.stderr), daemon=True)
        reader.start()
        try:
            port = int(server.stdout.readline())
            # Neither needs the database: the feed refuses POST, the manage page refuses DELETE.
            statuses = [
                request(port, "POST", f"/partners/feed/{feed_token}.ics"),
                request(port, "DELETE", f"/bookings/manage/{manage_token}/"),
            ]
            # The server logs a request line after sending the response: wait for both lines.
            deadline = time.monotonic() + 20
            while sum('HTTP/1.1" ' in line for line in list(lines)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            server.terminate()
            server.wait(timeout=30)
            reader.join(timeout=30)
    stderr = "".join(lines)
    assert all(400 <= status < 500 for status in statuses), (statuses, stderr)
    assert feed_token not in stderr and manage_token not in stderr, stderr
    # ...and the lines are still there to read, through the django.server handler's format.
    # (The redaction takes the whole last path segment, so the feed's ".ics" goes too.)
    assert re.search(r'^\[[^]]+\] "POST /partners/feed/\[redacted\] HTTP/1\.1" 405 ', stderr, re.M), stderr
    assert re.search(r'^\[[^]]+\] "DELETE /bookings/manage/\[redacted\]/ HTTP/1\.1" 4\d\d ', stderr, re.M), (
        stderr
    )
