"""Timer definitions (placeholder until the full ISO 8601 / cron module lands)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from modbatch.engine import clock

_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration")
    w, d, h, m, s = match.groups()
    return timedelta(weeks=int(w or 0), days=int(d or 0), hours=int(h or 0), minutes=int(m or 0),
                     seconds=float(s or 0))


@dataclass(frozen=True)
class TimerSpec:
    kind: str
    text: str

    def first_due(self, now: datetime) -> datetime:
        if self.kind == "timeDate":
            return clock.parse_date(self.text)
        if self.kind == "timeDuration":
            return now + parse_duration(self.text)
        return now + self._interval()

    def _interval(self) -> timedelta:
        parts = self.text.split("/")
        return parse_duration(parts[-1])

    def next(self, after_due: datetime) -> tuple[datetime, str] | None:
        if self.kind != "timeCycle":
            return None
        parts = self.text.split("/")
        head = parts[0]
        if head == "R":
            return after_due + self._interval(), self.text
        remaining = int(head[1:]) - 1
        if remaining <= 0:
            return None
        return after_due + self._interval(), "/".join([f"R{remaining}", *parts[1:]])


def parse_timer(kind: str, text: str) -> TimerSpec:
    spec = TimerSpec(kind, text.strip())
    spec.first_due(datetime(2000, 1, 1))
    return spec
