"""Fixtures the browser tests share."""

import pytest

from tests.conftest import WCAG_TAGS


@pytest.fixture
def check_our_part(page, axe_source):
    """axe on the admin page's content area, which our templates render."""

    def check(label):
        page.wait_for_load_state("load")  # a click's new URL can come before its document
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        opts = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        result = page.evaluate("([opts]) => axe.run({include: [['.nice-padding']]}, opts)", [opts])
        lines = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in result["violations"]]
        assert not lines, f"axe violations on {label}:\n" + "\n".join(lines)

    return check
