"""HTML pages → plain text with the block structure kept (headings as markdown ``#`` lines), for the text
adapter. Scripts, styles and other non-content elements are dropped; nothing is fetched or executed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCK = {"p", "div", "section", "article", "header", "footer", "li", "tr", "br", "table", "ul", "ol", "dl", "dt", "dd",
         "blockquote", "pre", "main", "aside", "nav", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "td", "th"}
SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "embed", "canvas"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag in BLOCK:
            self.out.append("\n")
            if re.fullmatch(r"h[1-6]", tag):
                self.out.append("#" * int(tag[1]) + " ")
            elif tag == "li":
                self.out.append("- ")

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", ln).strip() for ln in text.split("\n")]
    out: list[str] = []
    for ln in lines:
        if ln in ("#", "##", "###", "####", "#####", "######", "-"):
            continue
        if not ln and out and not out[-1]:
            continue
        out.append(ln)
    return "\n".join(out).strip() + "\n"
