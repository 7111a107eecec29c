"""A fresh clone without Node or `npm ci` is green: the ical.js checks skip, unless E2E_REQUIRED=1.

The suite is run again in a subprocess whose PATH holds no `node`, on a small test file that uses
tests/support/ical_parsers.py the ways the real tests do (a fixture parametrised over PARSERS, a
direct call, a direct call under Hypothesis), with this project's conftest and pytest settings.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ical_parsers import ICALJS_SKIP, REPO_ROOT, icaljs_missing

MIRROR = """
import pytest
from hypothesis import given, settings, strategies as st

from tests.support.ical_parsers import PARSERS, parse_icaljs

ICS = (
    b"BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//t//t//EN\\r\\nBEGIN:VEVENT\\r\\n"
    b"UID:u@example.org\\r\\nDTSTAMP:20260101T000000Z\\r\\nDTSTART:20260101T100000Z\\r\\n"
    b"DTEND:20260101T110000Z\\r\\nEND:VEVENT\\r\\nEND:VCALENDAR\\r\\n"
)


@pytest.fixture(params=list(PARSERS))
def parse(request):
    return PARSERS[request.param]


def test_parametrised(parse):
    assert parse(ICS).events[0].uid == "u@example.org"


def test_direct_call():
    parse_icaljs(ICS)


@settings(max_examples=2, deadline=None)
@given(st.just(ICS))
def test_direct_call_under_hypothesis(data):
    parse_icaljs(data)
"""


def run_suite_without_node(tmp_path: Path, **env) -> subprocess.CompletedProcess:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir(exist_ok=True)
    mirror = tmp_path / "test_mirror.py"
    mirror.write_text(MIRROR)
    base = {k: v for k, v in os.environ.items() if k not in {"E2E_REQUIRED", "PYTEST_ADDOPTS"}}
    return subprocess.run(  # fixed argv, no shell
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO_ROOT / "pyproject.toml"),
            "--rootdir",
            str(REPO_ROOT),
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-v",
            "-rs",
            str(mirror),
        ],
        cwd=REPO_ROOT,
        env={**base, "PATH": str(empty_bin), "PYTHONDONTWRITEBYTECODE": "1", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_node_the_icaljs_checks_skip_with_one_message_and_the_rest_pass(tmp_path):
    result = run_suite_without_node(tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"test_parametrised\[icalendar\] PASSED", out), out
    assert re.search(r"test_parametrised\[vobject\] PASSED", out), out
    assert re.search(r"test_parametrised\[ical\.js\] SKIPPED", out), out
    assert re.search(r"test_direct_call SKIPPED", out), out
    assert re.search(r"test_direct_call_under_hypothesis SKIPPED", out), out
    reasons = re.findall(r"^SKIPPED \[\d+\] (\S+?)(?::\d+)?: (.*)$", out, re.MULTILINE)
    assert len(reasons) == 2, out
    # The parametrised case is skipped at collection (reported at the test file), the direct
    # calls by parse_icaljs itself; both with the same reason.
    assert {Path(where).name for where, _ in reasons} == {"test_mirror.py", "ical_parsers.py"}, out
    assert {why for _, why in reasons} == {f"{ICALJS_SKIP}: node not found on PATH"}, out
    assert re.search(r"\b2 passed, 3 skipped\b", out), out


def test_with_e2e_required_missing_icaljs_is_an_error_at_collection(tmp_path):
    result = run_suite_without_node(tmp_path, E2E_REQUIRED="1")
    out = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, out
    assert "E2E_REQUIRED=1 but" in out and f"{ICALJS_SKIP}: node not found on PATH" in out, out
    assert "PASSED" not in out and "SKIPPED" not in out, out


def test_missing_node_modules_is_reported(tmp_path):
    if icaljs_missing(package=tmp_path):  # no usable node here: covered by the tests above
        pytest.skip("needs Node 20+ on PATH")
    assert icaljs_missing(package=tmp_path / "ical.js") == (
        f"ical.js not installed ({tmp_path / 'ical.js'} not found)"
    )


@pytest.mark.skipif(os.name != "posix", reason="fake node is a shell script")
def test_a_node_older_than_20_is_reported(tmp_path):
    fake = tmp_path / "node"
    fake.write_text("#!/bin/sh\necho v18.19.0\n")
    fake.chmod(0o755)
    assert icaljs_missing(path=str(tmp_path)) == f"{fake} is v18.19.0, not Node 20+"
    assert icaljs_missing(path=str(tmp_path / "nowhere")) == "node not found on PATH"
