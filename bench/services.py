"""Starting and stopping the loopback services the HTTP benchmarks and the deploy recipe need.

Everything binds 127.0.0.1 on a free port; every wait is bounded; `Processes.stop_all` ends only
the processes it started, by their own id.
"""

import base64
import os
import secrets
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from stack import BIN, PG, PY, ROOT, free_port

__all__ = ["BIN", "PG", "PY", "ROOT", "Processes", "free_port", "production_env", "psql"]


def production_env(**extra) -> dict:
    """config.settings.production's required variables with throwaway secrets, plus `extra`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "CALDAV_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def psql(sql: str):
    subprocess.run(["psql", f"{PG}/postgres", "-qc", sql], check=True, timeout=120)


class Processes:
    """Long-running children, each logging to its own file, shown when something goes wrong."""

    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []
        self.logs = Path(tempfile.mkdtemp(prefix="bench-services-"))

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((name, proc, log))
        return proc

    def wait_port(self, port: int, proc: subprocess.Popen, limit: float = 120):
        """Until something accepts on `port`; fails at once if `proc` exits first."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before listening")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"nothing listened on port {port} within {limit:.0f} s")

    def check_alive(self):
        for name, proc, _ in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")

    def show_logs(self, lines: int = 40):
        for name, _, log in self.procs:
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            print(f"--- last {len(tail)} lines of {name} ({log})", *tail, sep="\n")

    def stop_all(self):
        for _, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _, proc, _ in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
