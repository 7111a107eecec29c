"""Download a partner's own calendar feed (a private ICS address) safely. No ORM, no clock.

The address is untrusted input that makes this server open a connection, so it is an SSRF risk:
only http(s), every address the name resolves to must be public, we connect to the address we
checked (no second lookup, so no DNS rebinding), every redirect hop is checked again, and one
overall deadline and a byte cap bound the work (docs/busy-calendar.md).

The address is a secret (whoever has it can read the partner's diary), so it never appears in a
log line or in an exception's text: only the host name does.
"""

from __future__ import annotations

import contextlib
import enum
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

logger = logging.getLogger(__name__)

USER_AGENT = "CoproductionSite-BusyTime/1.0 (reads a partner's calendar to hide busy times)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PUBLIC_PORTS = frozenset({80, 443})  # the only ports a calendar service needs
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], list[str]]


class FetchErrorCode(enum.StrEnum):
    INVALID_URL = "invalid_url"
    ADDRESS_NOT_ALLOWED = "address_not_allowed"
    BAD_REDIRECT = "bad_redirect"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    HTTP_ERROR = "http_error"
    NOT_CALENDAR = "not_calendar"
    TOO_COMPLEX = "too_complex"


_MESSAGES = {
    "invalid_url": "That is not a calendar address we can read. It should start with https://, "
    "http:// or webcal://, and must not contain a user name or password.",
    "address_not_allowed": "Your calendar address points to a private or internal network, "
    "which we do not read. Please use the secret or public address your calendar service gives you.",
    "bad_redirect": "Your calendar address sent us on to another address that we will not follow.",
    "too_many_redirects": "Your calendar address sent us on to other addresses too many times.",
    "unreachable": "We could not reach your calendar address. Please check it is still the "
    "address your calendar service gives you.",
    "timeout": "We could not reach your calendar address (it took too long to answer).",
    "too_large": "Your calendar is too large for us to read. Try sharing a calendar with fewer "
    "past events, or ask us for help.",
    "http_error": "Your calendar address answered with an error (code {status}). It may have been "
    "reset or turned off in your calendar service.",
    "not_calendar": "The address gave us something that is not a calendar. Please check you "
    "copied the iCal (ICS) address, not the address of a web page.",
    "too_complex": "Your calendar has more events or repeats than we can read, so we could not "
    "use it. Please ask us for help.",
}


class CalendarFetchError(Exception):
    """A calendar could not be fetched; ``message`` is plain English for the partner.

    ``str(error)`` is for staff and logs: the code and a short detail, never the address.
    """

    def __init__(self, code: str, *, detail: str = "", status: int | None = None):
        self.code = FetchErrorCode(code)
        self.status = status
        self.message = _MESSAGES[self.code].format(status=status)
        super().__init__(f"{self.code}: {detail}" if detail else str(self.code))


class CalendarParseError(CalendarFetchError):
    """The bytes arrived but are not a calendar we can (or will) read."""


# ----- fetching -----------------------------------------------------------------------------


def normalise_calendar_url(url: str) -> str:
    """Return the http(s) address to fetch; ``webcal://`` is https in disguise (Apple, Google)."""
    url = url.strip()
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise CalendarFetchError("invalid_url", detail="control character or space")
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("webcal", "webcals"):
        url = "https" + url[len(scheme) :]
    elif scheme not in ("http", "https"):
        raise CalendarFetchError("invalid_url", detail=f"scheme {scheme[:10]!r}")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise CalendarFetchError("invalid_url", detail="bad port") from None
    if not parts.hostname:
        raise CalendarFetchError("invalid_url", detail="no host")
    if parts.username is not None or parts.password is not None:
        raise CalendarFetchError("invalid_url", detail="credentials in address")
    return url


def is_public_address(ip: str) -> bool:
    """True only for a globally routable unicast address (IPv6 forms of IPv4 judged by the IPv4)."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if addr.version == 6:
        embedded = addr.ipv4_mapped or addr.sixtofour or (addr.teredo[1] if addr.teredo else None)
        if addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    blocked = (
        addr.is_private,
        addr.is_loopback,
        addr.is_link_local,
        addr.is_multicast,
        addr.is_reserved,
        addr.is_unspecified,
    )
    return addr.is_global and not any(blocked)


def system_resolver(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class _Deadline:
    """One deadline for the whole fetch; at expiry a timer shuts the live socket down.

    Socket timeouts alone are per read, so a server dripping a byte a second would never trip
    them. Shutting the socket from the timer thread wakes any blocked read at once.
    """

    def __init__(self, timeout: float):
        self.at = time.monotonic() + timeout
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0 or self.expired:
            raise CalendarFetchError("timeout", detail="deadline passed")
        return left

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
        if self.expired:
            self._expire()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                with contextlib.suppress(OSError):  # base-class shutdown: the fd, even under TLS
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _resolve(host: str, port: int, resolver: Resolver, deadline: _Deadline) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    result: dict[str, list[str]] = {}

    def lookup() -> None:
        try:
            result["ips"] = list(dict.fromkeys(resolver(host, port)))
        except (OSError, UnicodeError):
            result["ips"] = []

    # getaddrinfo cannot be given a timeout, so it runs in a daemon thread we stop waiting for.
    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(deadline.remaining())
    if thread.is_alive():
        raise CalendarFetchError("timeout", detail=f"looking up {host}")
    if not result.get("ips"):
        raise CalendarFetchError("unreachable", detail=f"no address for {host}")
    return result["ips"]


def _open(url, *, deadline, allow_private, resolver, ssl_context):
    """Connect and send the GET for one hop; returns the connection, its response and socket."""
    parts = urlsplit(url)
    host, https = parts.hostname, parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    if not allow_private and port not in _PUBLIC_PORTS:
        raise CalendarFetchError("address_not_allowed", detail=f"port {port} on {host}")
    ips = _resolve(host, port, resolver, deadline)
    if not allow_private and not all(is_public_address(ip) for ip in ips):
        raise CalendarFetchError("address_not_allowed", detail=f"{host} is not public")
    sock = None
    for ip in ips:  # each address was checked above; connect to it, never look the name up again
        try:
            sock = socket.create_connection((ip, port), timeout=deadline.remaining())
            break
        except OSError:
            continue
    if sock is None:
        raise CalendarFetchError("unreachable", detail=f"could not connect to {host}")
    try:
        if https:
            context = ssl_context or ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
            deadline.watch(sock)
            sock.settimeout(deadline.remaining())
            sock.do_handshake()
        deadline.watch(sock)
        # The connection is built with the host name so Host (and SNI above) are right, then
        # handed the socket opened to the checked address: http.client connects only if sock is None.
        conn = (http.client.HTTPSConnection if https else http.client.HTTPConnection)(host, port)
        conn.sock = sock
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("User-Agent", USER_AGENT)
        conn.putheader("Accept", "text/calendar, */*;q=0.1")
        conn.putheader("Accept-Encoding", "identity")  # no gzip, so no decompression bombs
        conn.endheaders()
        sock.settimeout(deadline.remaining())
        # http.client may drop conn.sock once the response is read, so the socket comes back too.
        return conn, conn.getresponse(), sock
    except BaseException:
        sock.close()
        raise


def _read_body(response, sock, deadline: _Deadline, max_bytes: int) -> bytes:
    length = response.getheader("Content-Length", "")
    if length.strip().isdigit() and int(length) > max_bytes:
        raise CalendarFetchError("too_large", detail=f"Content-Length {int(length)}")
    if response.getheader("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        raise CalendarParseError("not_calendar", detail="compressed body")
    body = bytearray()
    while True:
        sock.settimeout(deadline.remaining())
        chunk = response.read1(min(65536, max_bytes + 1 - len(body)))
        if not chunk:
            if deadline.expired:  # the timer's shutdown looks like a normal end of the body
                raise CalendarFetchError("timeout", detail="deadline passed while reading")
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise CalendarFetchError("too_large", detail=f"more than {max_bytes} bytes")


def _close(opened: tuple) -> None:
    # The response too: a body we stopped reading keeps the socket's file open otherwise.
    for thing in reversed(opened):
        thing.close()


def fetch_calendar(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    allow_private: bool = False,
    max_redirects: int = 3,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
) -> bytes:
    """Return the body at ``url`` or raise CalendarFetchError; never outlives ``timeout`` by much.

    Sends no cookies and no credentials, follows at most ``max_redirects`` redirects and checks
    scheme, port and every resolved address again at each hop.
    """
    url = normalise_calendar_url(url)
    first_host = urlsplit(url).hostname
    deadline = _Deadline(timeout)
    opened: tuple = ()
    try:
        for hop in range(max_redirects + 1):
            opened = conn, response, sock = _open(
                url,
                deadline=deadline,
                allow_private=allow_private,
                resolver=resolver,
                ssl_context=ssl_context,
            )
            if response.status not in _REDIRECTS:
                if response.status != 200:
                    raise CalendarFetchError("http_error", status=response.status, detail=f"hop {hop}")
                return _read_body(response, sock, deadline, max_bytes)
            location = response.getheader("Location")
            _close(opened)
            if not location:
                raise CalendarFetchError("bad_redirect", detail="redirect without Location")
            try:
                url = normalise_calendar_url(urljoin(url, location.strip()))
            except CalendarFetchError as exc:
                raise CalendarFetchError("bad_redirect", detail=str(exc)) from None
        raise CalendarFetchError("too_many_redirects", detail=f"more than {max_redirects}")
    except CalendarFetchError as exc:
        error = CalendarFetchError("timeout", detail=str(exc)) if deadline.expired else exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # After the timer shut the socket, any read error is really the deadline.
        code = "timeout" if deadline.expired or isinstance(exc, TimeoutError) else "unreachable"
        error = CalendarFetchError(code, detail=type(exc).__name__)
    finally:
        deadline.cancel()
        _close(opened)
    logger.info("Busy calendar fetch from host %s failed: %s", first_host, error)
    raise error
