"""The text of an HTML page (the standard library's parser).

Block elements become paragraphs; list items of a numbered list get their
number ("1.", or "(a)" for a lettered list) as the page shows it; ``<sup>``
digits are footnote references ("^1"); an italic opening is kept as Markdown
emphasis; scripts, styles and the head are left out.
"""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = frozenset(
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1 h2 h3"
    " h4 h5 h6 header li main nav ol p pre section table tbody thead tfoot tr td th ul".split()
)
_SKIPPED = frozenset({"script", "style", "head", "template", "noscript", "svg"})
_ITALIC = frozenset({"em", "i"})


def _letters(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skipping = 0
        self.lists: list[list[object]] = []  # [kind, counter]
        self.sup = False
        self.italic = 0
        self.emphasis_open = False

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if self.emphasis_open:
            text += "*"
            self.emphasis_open = False
        if text.strip("* "):
            self.lines.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if tag in _BLOCKS:
            self._flush()
        if tag == "br":
            self._flush()
        elif tag == "hr":
            self._flush()
            self.lines.append("_____")
        elif tag in ("ol", "ul"):
            values = dict(attrs)
            start = values.get("start") or "1"
            kind = "ul" if tag == "ul" else ("a" if (values.get("type") or "") == "a" else "1")
            self.lists.append([kind, int(start) - 1 if start.isdigit() else 0])
        elif tag == "li" and self.lists and self.lists[-1][0] != "ul":
            entry = self.lists[-1]
            entry[1] = int(str(entry[1])) + 1
            number = int(str(entry[1]))
            self.current.append(f"({_letters(number)}) " if entry[0] == "a" else f"{number}. ")
        elif tag == "sup":
            self.sup = True
        elif tag in _ITALIC:
            self.italic += 1
            if not "".join(self.current).strip(" 0123456789.()") and not self.emphasis_open:
                self.current.append("*")
                self.emphasis_open = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag in _ITALIC:
            self.italic = max(0, self.italic - 1)
            if self.emphasis_open and self.italic == 0:
                self.current.append("*")
                self.emphasis_open = False
        elif tag == "sup":
            self.sup = False
        elif tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        if tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.sup and data.strip().isdigit():
            self.current.append(f"^{data.strip()}")
            return
        self.current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_text(html: str) -> str:
    """Take the text out of an HTML page: one paragraph per block, blank lines between.

    Args:
        html: The page's markup.

    Returns:
        Its text.
    """
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "\n\n".join(parser.lines) + "\n"
