"""The report rendered (reports/render.py): the HTML is one self-contained printable file."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from reports import to_html, to_markdown
from reports.progress import build_progress_report
from reports.render import resolution_heading
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


def test_dates_in_the_html_never_wrap_within_themselves(cosp7_log: Logged) -> None:
    html = to_html(build_progress_report(cosp7_log.records))
    body = html.split("<body>", 1)[1]

    assert ".date { white-space: nowrap; }" in html
    dates = re.findall(r"\d{4}-\d{2}-\d{2}", body)
    kept = re.findall(r'<span class="date">\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2} UTC)?</span>', body)
    assert dates and len(kept) == len(dates)


def test_a_resolution_is_headed_by_its_symbol_and_title(cosp7_log: Logged) -> None:
    report = build_progress_report(cosp7_log.records)
    (resolution,) = report.resolutions
    title = "Enhancing synergies between relevant multilateral organizations responsible for review"

    assert resolution.title is not None and resolution.title.startswith(title)
    assert resolution_heading(resolution) == f"Resolution: {resolution.title}"  # (no symbol: no slug)
    symbol = resolution.model_copy(update={"symbol": "CAC/COSP/2017/L.5"})
    assert resolution_heading(symbol) == f"Resolution CAC/COSP/2017/L.5: {resolution.title}"
    untitled = resolution.model_copy(update={"title": None})  # (recorded before titles were)
    assert resolution_heading(untitled) == "Resolution cosp-7-enhancing-synergies"
    assert f"## Resolution: {title}" in to_markdown(report)
