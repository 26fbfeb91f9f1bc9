"""Event-time helpers: RFC 3339 in, aware UTC datetimes and epoch seconds out."""
from __future__ import annotations

import re
from datetime import datetime, timezone

# RFC 3339 requires the offset; datetime.fromisoformat alone would accept naive local times,
# which would silently shift windows by the reader's time zone.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp with offset into an aware UTC datetime.

    Raises ValueError with the offending value when it is not RFC 3339.
    """
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(f"not an RFC 3339 timestamp with offset: {value!r}")
    text = value.replace("z", "Z").replace("t", "T")
    head, dot, rest = text.partition(".")
    if dot:  # Python < 3.11 accepts at most 6 fractional digits.
        digits = re.match(r"\d+", rest).group(0)
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def to_epoch(value: str) -> float:
    return parse_rfc3339(value).timestamp()


def format_epoch(ts: float) -> str:
    """Epoch seconds to RFC 3339 UTC with a Z suffix (second precision unless fractional)."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    if dt.microsecond:
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")
