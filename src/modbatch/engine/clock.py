"""Time and Camunda's date format (``yyyy-MM-dd'T'HH:mm:ss.SSSZ``), in one place.

The engine keeps naive UTC datetimes; the clock can be pinned in tests.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_pinned: datetime | None = None


def now() -> datetime:
    """Current UTC time without tzinfo, truncated to milliseconds like Camunda's."""
    current = _pinned or datetime.now(timezone.utc).replace(tzinfo=None)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def pin(moment: datetime | None) -> None:
    """Freeze (or with None, release) the clock; tests step time with it."""
    global _pinned
    _pinned = moment


def format_date(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(text: str) -> datetime:
    """Accept Camunda's format and ISO 8601 with ``Z``, ``+02:00`` or microseconds; returns naive UTC.

    A date without offset is taken as UTC. Raises ValueError on anything else.
    """
    match = _DATE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"Cannot parse date '{text}'")
    day, clock, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    moment = datetime.strptime(f"{day}T{clock}", "%Y-%m-%dT%H:%M:%S").replace(microsecond=micro)
    if offset and offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment
