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
    return _parse(value).astimezone(timezone.utc)


def to_epoch(value: str) -> float:
    return _parse(value).timestamp()


def _parse(value: str) -> datetime:
    """An aware datetime in the timestamp's own offset; every post's timestamp passes here, so it stays lean."""
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp with offset: {value!r}")
    text = value.upper()  # a lower-case "t" or "z" is valid RFC 3339; fromisoformat wants them upper
    fraction = match.group(1)
    if fraction and len(fraction) > 7:  # Python < 3.11 accepts at most 6 fractional digits
        text = text.replace(fraction, fraction[:7], 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def format_epoch(ts: float) -> str:
    """Epoch seconds to RFC 3339 UTC with a Z suffix (second precision unless fractional)."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    if dt.microsecond:
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")
