"""The report rendered (reports/render.py): the HTML is one self-contained printable file."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from reports import to_html
from reports.progress import build_progress_report
from tests.support.cosp7 import Logged


def test_the_html_is_one_self_contained_printable_file(cosp7_log: Logged) -> None:
    html = to_html(build_progress_report(cosp7_log.records))
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html and "@page" in html
    assert not re.search(r"""(src|href)=["'](?!#)""", html), "no external resources or links"
    assert "<script" not in html and "<link" not in html

    class Balanced(HTMLParser):
        VOID = frozenset({"meta", "br", "hr", "img", "link"})

        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag not in self.VOID:
                self.open.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.open.pop() == tag

    parser = Balanced()
    parser.feed(html)
    assert parser.open == []
