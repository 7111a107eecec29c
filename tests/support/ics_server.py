"""A local HTTP(S) server for busy-calendar tests: 127.0.0.1 on an ephemeral port, nothing else.

Routes map a path to a small response function, so one test can set up a good feed, a redirect
chain, an error or a server that drips bytes. Slow routes watch a stop event, so ``stop()``
(or leaving the ``with`` block) always ends every handler thread before returning.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[["_Handler"], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # an idle kept-alive connection cannot hold up stop()
    server: _Server

    def setup(self) -> None:
        if self.server.tls_context is not None:  # handshake here, in the handler's own thread
            self.request.do_handshake()
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 - the name http.server looks for
        path = self.path.split("?", 1)[0]
        self.server.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        route = self.server.routes.get(path, status(404))
        route(self)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True

    def __init__(self, tls_context: ssl.SSLContext | None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        self.tls_context = tls_context

    def get_request(self):
        sock, address = super().get_request()
        if self.tls_context is not None:  # wrapped here so shutdown_request() closes the TLS socket
            sock = self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address) -> None:
        pass  # the client hanging up on a dripping route is expected, not a failure


class IcsServer:
    """``with IcsServer() as server: server.routes["/a.ics"] = ics(body); server.url("/a.ics")``."""

    def __init__(self, tls_context: ssl.SSLContext | None = None, host_name: str = "127.0.0.1"):
        self._server = _Server(tls_context)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self.host_name = host_name
        self.scheme = "https" if tls_context else "http"

    @property
    def routes(self) -> dict[str, Route]:
        return self._server.routes

    @property
    def requests(self) -> list[dict]:
        return self._server.requests

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str, scheme: str | None = None) -> str:
        return f"{scheme or self.scheme}://{self.host_name}:{self.port}{path}"

    def __enter__(self) -> IcsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


# ----- route builders -----------------------------------------------------------------------


def respond(code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> Route:
    def route(handler: _Handler) -> None:
        handler.send_response(code)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return route


def ics(body: bytes) -> Route:
    return respond(200, body, "text/calendar; charset=utf-8")


def status(code: int) -> Route:
    return respond(code, f"error {code}".encode(), "text/plain")


def redirect(location: str, code: int = 302) -> Route:
    # A cookie on the redirect lets a test prove the client never sends it back.
    return respond(code, b"", "text/plain", {"Location": location, "Set-Cookie": "session=secret"})


def drip(interval: float = 0.05, content_length: int | None = 10_000_000) -> Route:
    """Headers at once, then one byte per interval: each read is quick, the whole never ends.

    With ``content_length=None`` the body is delimited by closing the connection, so a client
    that mistakes its own hang-up for the end of the body would return the partial body.
    """

    def route(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/calendar")
        if content_length is None:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        else:
            handler.send_header("Content-Length", str(content_length))
        handler.end_headers()
        handler.wfile.write(b"BEGIN:VCALENDAR\r\n")
        handler.wfile.flush()
        while not handler.server.stopping.wait(interval):
            handler.wfile.write(b"X")
            handler.wfile.flush()

    return route


def stall() -> Route:
    """Accept the request and never answer (until the server stops)."""

    def route(handler: _Handler) -> None:
        handler.server.stopping.wait()
        handler.close_connection = True

    return route


def huge(size: int, *, with_length: bool) -> Route:
    """``size`` bytes of calendar-looking text, with or without a Content-Length header."""

    def route(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/calendar")
        if with_length:
            handler.send_header("Content-Length", str(size))
        else:
            handler.send_header("Connection", "close")  # body ends when we close
            handler.close_connection = True
        handler.end_headers()
        block = b"X-FILLER:" + b"x" * 60 + b"\r\n"
        sent = 0
        while sent < size and not handler.server.stopping.is_set():
            piece = block[: size - sent]
            handler.wfile.write(piece)
            sent += len(piece)

    return route
