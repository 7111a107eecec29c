"""Shared fixtures. Browser set-up follows docs/testing.md (Debian chromium, axe-core from npm)."""

import os
import shutil
from pathlib import Path

import pytest

from tests.support.caldav_servers import start_radicale, start_xandikos
from tests.support.ical_parsers import icaljs_missing, icaljs_skip_reason
from tests.support.second_factor import sign_in_verified

# Playwright's sync API keeps an event loop running in the main thread, which trips Django's
# async-safety guard on the test database flush (docs/testing.md, pitfall P1). Test process only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-results"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-sync",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    CHROMIUM_ARGS.append("--no-sandbox")

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _e2e_missing() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not AXE_JS.exists():
        return "axe-core not installed (run npm ci, or make test with npm on PATH)"
    return ""


def pytest_collection_modifyitems(config, items):
    _serialize_every_transactional_test(items)
    missing = _e2e_missing()
    icaljs = icaljs_missing()
    if os.environ.get("E2E_REQUIRED") == "1" and (missing or icaljs):
        problems = [
            f"browser tests need: {missing}" if missing else "",
            icaljs_skip_reason(icaljs) if icaljs else "",
        ]
        raise pytest.UsageError(f"E2E_REQUIRED=1 but {'; '.join(filter(None, problems))}")
    if missing:
        skip = pytest.mark.skip(reason=f"browser tests need: {missing}")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)
    if icaljs:
        # The ical.js case of every test parametrised over PARSERS; direct calls to parse_icaljs
        # skip themselves with the same reason.
        skip = pytest.mark.skip(reason=icaljs_skip_reason(icaljs))
        for item in items:
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "ical.js" in callspec.params.values():
                item.add_marker(skip)


def _serialize_every_transactional_test(items):
    """Give every transaction=True test serialized_rollback.

    A transactional test's teardown flushes the database. Without serialized rollback, Django then
    re-runs post_migrate, recreating content types under new ids, and the data that migrations
    made (Wagtail's root page, Site, Locale) is gone; the next serialized test then fails to
    restore. Serializing all of them keeps every test starting from the migrated database.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(
                pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}),
                append=False,
            )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def axe_source():
    return AXE_JS.read_text()


def format_violations(violations) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible(page, axe_source):
    """Run axe-core with the WCAG 2.2 A/AA tags on the current page; fail listing each violation."""

    def check(label: str = "page"):
        # A click's navigation can have changed the URL before the new document has loaded: check
        # the page the test sees, never a half-parsed one.
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        opts = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        result = page.evaluate("([opts]) => axe.run(document, opts)", [opts])
        violations = result["violations"]
        if violations:
            ARTIFACTS.mkdir(exist_ok=True)
            safe = "".join(c if c.isalnum() else "-" for c in label)[:80]
            page.screenshot(path=str(ARTIFACTS / f"axe-{safe}.png"), full_page=True)
        assert not violations, f"axe violations on {label}:\n{format_violations(violations)}"

    return check


@pytest.fixture(scope="session", autouse=True)
def _browser_before_database(request):
    """Start Playwright before the test database exists when browser tests are collected.

    Started later, Playwright's greenlet gives the test a different context, so Django hands it a
    different connection object and `serialized_rollback` never restores the migration data
    (Site, root page): every transactional test after the first browser test saw an empty site.
    """
    if not _e2e_missing() and any("e2e" in item.keywords for item in request.session.items):
        request.getfixturevalue("browser")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Navigation, footer and ladder are cached (home/site_cache.py): no test sees another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def dav_servers(tmp_path_factory):
    """Radicale and Xandikos on loopback for the session (tests/support/caldav_servers.py), for
    the push tests, the workspace's CalDAV screens and their browser test."""
    tmp = tmp_path_factory.mktemp("dav")
    servers = {"radicale": start_radicale(tmp), "xandikos": start_xandikos(tmp)}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, past the second factor as well (docs/security.md)."""
    return sign_in_verified(client, admin_user)
