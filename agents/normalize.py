"""Turning what services return into RawPost fields: plain text and RFC 3339 UTC timestamps."""
from __future__ import annotations

import calendar
import html
import re
import time
from datetime import datetime, timezone
from html.parser import HTMLParser

from ..timeutil import format_epoch

_BLOCK = {"p", "br", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "tr"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment: tags dropped, entities decoded, whitespace tidied."""
    if not markup:
        return ""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def rfc3339(value: str | float | int | time.struct_time | None) -> str | None:
    """Any timestamp a service gives us, as RFC 3339 UTC; None when there is none."""
    if value is None or value == "":
        return None
    if isinstance(value, time.struct_time):  # feedparser's *_parsed fields are UTC
        return format_epoch(calendar.timegm(value))
    if isinstance(value, (int, float)):
        return format_epoch(float(value))
    text = value.strip()
    # Facebook writes offsets without a colon: 2026-03-02T10:00:00+0000
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text).replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return format_epoch(dt.timestamp())
