"""Calling a WSGI application as a server would, for the page cache's front (home/page_cache.py)."""

import io

from django.core.wsgi import get_wsgi_application


def environ(path="/", **extra):
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **extra,
    }


class Recorder:
    """Django's WSGI application, counting the requests that reach it."""

    def __init__(self):
        self.django = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


def serve(app, environ):
    """(status, headers as a dict, body), closing the body as a server does."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    body_iter = app(environ, start_response)
    body = b"".join(body_iter)
    if hasattr(body_iter, "close"):
        body_iter.close()
    return seen["status"], dict(seen["headers"]), body
