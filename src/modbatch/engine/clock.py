"""Time and Camunda's date format (``yyyy-MM-dd'T'HH:mm:ss.SSSZ``), in one place.

The engine keeps naive UTC datetimes; the clock can be pinned in tests.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, MINYEAR, datetime, timedelta, timezone

_pinned: datetime | None = None


def now() -> datetime:
    """Current UTC time without tzinfo, truncated to milliseconds like Camunda's."""
    current = _pinned or datetime.now(timezone.utc).replace(tzinfo=None)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def pinned() -> bool:
    """Whether a test froze the clock (then it, not the database, times job locks too)."""
    return _pinned is not None


def pin(moment: datetime | None) -> None:
    """Freeze (or with None, release) the clock; tests step time with it."""
    global _pinned
    _pinned = moment


def format_date(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    # explicit widths: strftime's %Y does not pad years before 1000 on every platform
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}+0000")


# The syntax openapi.yaml declares for dates (its `pattern`), group by group
_DATE = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def parse_date(text: str) -> datetime:
    """Accept Camunda's format and ISO 8601 with ``Z``, ``+02:00`` or microseconds; returns naive UTC.

    A date without offset is taken as UTC. Like Camunda's lenient ``SimpleDateFormat``, fields
    out of their range roll over (``2026-02-30`` is March 2nd, hour 24 the next day); a result
    outside what a datetime holds (years 1 to 9999) is clamped to its first or last instant.
    Raises ValueError on any other syntax.
    """
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"Cannot parse date '{text}'")
    year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    delta = timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second,
                      microseconds=int((fraction or "0")[:6].ljust(6, "0")))
    if offset and offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        delta -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    years, month_index = divmod(month - 1, 12)
    year += years
    if year < MINYEAR:
        return datetime.min
    if year > MAXYEAR:
        return datetime.max
    try:
        return datetime(year, month_index + 1, 1) + delta
    except OverflowError:
        return datetime.min if delta < timedelta(0) else datetime.max
