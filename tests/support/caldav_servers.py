"""Real CalDAV servers on loopback for the push tests (docs/testing.md): Radicale and Xandikos,
both pinned from PyPI, each started as a subprocess on a free 127.0.0.1 port with its storage in
a temporary directory and stopped at session end; plus `FaultServer`, a tiny loopback HTTP server
that answers every request with a chosen status (401, 412, 500) or never answers (a hang)."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "partner", "app-password-Zq8-unique-4417"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]!r}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


@dataclass
class DavServer:
    name: str
    url: str  # the address a partner types in
    storage: Path
    proc: subprocess.Popen
    log_file: object

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log_file.close()

    def stored_ics(self) -> list[bytes]:
        """The calendar objects as the server keeps them on disk."""
        files = self.storage.rglob("*.ics")
        return [p.read_bytes() for p in files if p.is_file() and ".Radicale.cache" not in p.parts]


def start_radicale(tmp: Path) -> DavServer:
    port = free_port()
    storage = tmp / "radicale"
    htpasswd = tmp / "htpasswd"
    htpasswd.write_text(f"{USER}:{PASSWORD}\n")
    log_file = (tmp / "radicale.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "radicale",
            "--server-hosts", f"127.0.0.1:{port}",
            "--storage-filesystem-folder", str(storage),
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(htpasswd),
            "--auth-htpasswd-encryption", "plain",
            "--logging-level", "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )  # fmt: skip
    wait_for(port, proc, tmp / "radicale.log")
    return DavServer("radicale", f"http://127.0.0.1:{port}/", storage, proc, log_file)


def start_xandikos(tmp: Path) -> DavServer:
    port = free_port()
    storage = tmp / "xandikos"
    log_file = (tmp / "xandikos.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "xandikos.web", "--defaults", "-d", str(storage),
            "-l", "127.0.0.1", "-p", str(port), "--state-dir", str(tmp / "xandikos-state"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )  # fmt: skip
    wait_for(port, proc, tmp / "xandikos.log")
    return DavServer("xandikos", f"http://127.0.0.1:{port}/", storage, proc, log_file)


class FaultServer:
    """Answers every request with `status` (and an ETag), or, with status=None, never answers."""

    def __init__(self, status: int | None):
        self.status = status
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.requests.append((self.command, dict(self.headers)))
                if server.status is None:
                    time.sleep(30)  # longer than any timeout under test
                    return
                # A 412 server still answers GET with the current ETag, as real servers do.
                ok_head = server.status == 412 and self.command in ("HEAD", "GET")
                self.send_response(200 if ok_head else server.status)
                self.send_header("ETag", '"fault"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_GET = do_HEAD = do_DELETE = do_PROPFIND = do_REPORT = _answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cal/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
