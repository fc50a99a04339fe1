"""Camunda 7 timer definitions: ``timeDate``, ``timeDuration`` and ``timeCycle``.

Pure functions over naive UTC datetimes (the engine's clock, ``engine/clock.py``); nothing here
reads the clock or the database. What each kind accepts and when it fires follows Camunda 7's
business calendars (``DueDateBusinessCalendar``, ``DurationBusinessCalendar``,
``CycleBusinessCalendar`` and ``DurationHelper``):

- ``timeDate``: an ISO 8601 date-time (``2026-03-01T10:00:00``, with ``Z`` or an offset, or a
  plain date); without an offset it is in the engine's zone, UTC. A text starting with ``P`` is a
  duration from now, as in Camunda.
- ``timeDuration``: an ISO 8601 duration (``PT5M``, ``P1DT2H``, ``P2W``) from now; Camunda's
  other interval forms work too (``<start>/<duration>`` is due at start + duration,
  ``<duration>/<end>`` and ``<start>/<end>`` at the end).
- ``timeCycle``: an ISO 8601 repeating interval (``R/PT1H`` unbounded, ``R3/PT10M``,
  ``R3/2026-01-01T00:00:00Z/PT1H``, ``R2/PT1H/2026-01-01T12:00:00``) or a Quartz cron
  expression (``0 0/5 * * * ?``: seconds, minutes, hours, day of month, month, day of week and
  an optional year), evaluated in UTC.

A cycle job keeps its cycle as text (``Job.repeat``): :meth:`TimerSpec.repeat` anchors a
``R<n>/<duration>`` cycle at the moment its first job is created, and :func:`successor` gives
the due date of the next job when one fires, or ``None`` once the repetitions are used up. As in
Camunda, the successor is computed from the time the job fires, so repetitions missed while the
engine was down are skipped (they still count towards ``R<n>``).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

KINDS = ("timeDate", "timeDuration", "timeCycle")

# Camunda's job definition configuration prefix per kind ("DURATION: PT5M")
_CONFIGURATION_PREFIX = {"timeDate": "DATE", "timeDuration": "DURATION", "timeCycle": "CYCLE"}

_MAX = datetime.max.replace(microsecond=999000)


# ---------------------------------------------------------------------------- public API
class _Schedule(Protocol):
    def first_due(self, now: datetime) -> datetime | None: ...


@dataclass(frozen=True)
class TimerSpec:
    """A parsed timer definition. ``first_due`` is the due date of a job created at ``now``.

    A due date of ``None`` means what a job without due date means in Camunda: it is due at
    once. Camunda gives a timer that has nothing left to fire (a cycle whose repetitions all lie
    in the past, a cron expression that never matches) no due date, so it fires once right away.
    """

    kind: str
    text: str
    schedule: _Schedule = field(repr=False, compare=False)

    def first_due(self, now: datetime) -> datetime | None:
        return self.schedule.first_due(now)

    def repeat(self, now: datetime) -> str | None:
        """The cycle to keep on the job (``Job.repeat``) so that it gets successors; None unless
        this is a cycle. ``R3/PT10M`` becomes ``R3/<now>/PT10M``, as Camunda anchors it.

        Camunda repeats cycles of timer start events and non-interrupting boundary events only;
        an intermediate timer or an interrupting boundary timer fires once.
        """
        if self.kind != "timeCycle" or isinstance(self.schedule, _Fixed):
            return None
        parts = self.text.split("/")
        if self.text.startswith("R") and len(parts) == 2:
            return f"{parts[0]}/{_format_anchor(now)}/{parts[1]}"
        return self.text


def parse_timer(kind: str, text: str | datetime) -> TimerSpec:
    """Parse one timer definition; ``text`` is the element's text or an expression's value.

    An expression may also yield a datetime (Camunda accepts a ``java.util.Date``): naive means
    UTC, and the timer is due at that moment whatever its kind. Raises TimerError (a
    ValueError) naming the kind, the text and what is wrong with it; an unknown kind is a plain
    ValueError.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown timer kind '{kind}': expected timeDate, timeDuration or timeCycle")
    if isinstance(text, datetime):
        return TimerSpec(kind, format_anchor(text), _Fixed(_to_utc(text)))
    if not isinstance(text, str):
        raise TimerError(kind, str(text), f"a {kind} must be a text or a date, not "
                                          f"{type(text).__name__}")
    text = text.strip()
    if not text:
        raise TimerError(kind, text, f"the {kind} is empty")
    if kind == "timeDate":
        if text.startswith("P"):
            return TimerSpec(kind, text, _FromNow(_checked(parse_duration, text, kind)))
        return TimerSpec(kind, text, _Fixed(_checked(parse_datetime, text, kind)))
    if kind == "timeDuration":
        return TimerSpec(kind, text, _checked(_Interval.parse, text, kind))
    if text.startswith("R"):
        return TimerSpec(kind, text, _checked(_Interval.parse, text, kind))
    return TimerSpec(kind, text, _checked(Cron, text, kind))


def successor(repeat: str, now: datetime) -> datetime | None:
    """Due date of the next job of a cycle whose job fires at ``now``; None when it is over.

    ``repeat`` is what :meth:`TimerSpec.repeat` returned (kept on the job). Camunda's
    ``TimerEntity.calculateRepeat``: the first repetition after ``now`` among the ``R<n>``
    counted from the anchor, or the cron expression's next match after ``now``.
    """
    schedule = _Interval.parse(repeat) if repeat.startswith("R") else Cron(repeat)
    return schedule.first_due(now)


def shift_repeat(repeat: str, offset: timedelta) -> str:
    """A cycle moved by ``offset``, for ``PUT /job/{id}/duedate`` with ``cascade``.

    Camunda keeps a repeat offset on the timer and adds it to every later due date of an
    anchored ``R<n>/<start>/...`` cycle; moving the anchor does the same. Cron cycles and
    cycles counted back from an end date ignore the offset, as in Camunda.
    """
    if not repeat.startswith("R") or not offset:
        return repeat
    parts = repeat.split("/")
    if len(parts) != 3 or parts[1].startswith("P"):
        return repeat
    start = parse_datetime(parts[1]) + offset
    if parts[2].startswith("P"):
        return f"{parts[0]}/{format_anchor(start)}/{parts[2]}"
    return f"{parts[0]}/{format_anchor(start)}/{format_anchor(parse_datetime(parts[2]) + offset)}"


def job_configuration(kind: str, text: str) -> str:
    """The job definition's ``jobConfiguration`` for a timer: Camunda's ``DURATION: PT5M``."""
    return f"{_CONFIGURATION_PREFIX[kind]}: {text.strip()}"


def format_anchor(moment: datetime) -> str:
    """A naive UTC moment as ISO text: seconds, plus milliseconds when there are any."""
    return _format_anchor(moment, milliseconds=bool(moment.microsecond // 1000))


def _format_anchor(moment: datetime, *, milliseconds: bool = False) -> str:
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}")
    return f"{text}.{moment.microsecond // 1000:03d}" if milliseconds else text


class TimerError(ValueError):
    """A timer text that cannot be read: ``str()`` names kind and text (for parse errors),
    ``engine_message`` is Camunda's message when the text comes from an expression at runtime."""

    def __init__(self, kind: str, text: str, reason: str) -> None:
        super().__init__(f"Invalid {kind} '{text}': {reason}")
        self.kind, self.text, self.reason = kind, text, reason

    @property
    def engine_message(self) -> str:
        if self.kind == "timeCycle":
            return f"ENGINE-09026 Exception while parsing cycle expression '{self.text}': {self.reason}"
        return f"ENGINE-09027 Exception while resolving duedate '{self.text}': {self.reason}"


def _checked(parse, text: str, kind: str):
    try:
        return parse(text)
    except ValueError as error:
        raise TimerError(kind, text, str(error)) from None


# ---------------------------------------------------------------------------- date-times
_DATE_TIME = re.compile(
    r"(?P<year>\d{4})"
    r"(?:-(?:W(?P<week>\d{2})(?:-(?P<weekday>\d))?|(?P<ordinal>\d{3})"
    r"|(?P<month>\d{2})(?:-(?P<day>\d{2}))?))?"
    r"(?:T(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?(?:[.,](?P<fraction>\d+))?"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date or date-time as naive UTC (no offset: UTC, the engine's zone).

    Camunda's ISO parser (Joda's ``dateTimeParser``): calendar (``2026-03-01``, ``2026-03``,
    ``2026``), ordinal (``2026-060``) and week dates (``2026-W09-7``), an optional time of
    hours, minutes and seconds with a fraction on the last, and ``Z`` or ``±hh[:mm]``.
    """
    match = _DATE_TIME.fullmatch(text)
    if not match:
        raise ValueError("not an ISO 8601 date-time such as 2026-03-01T10:00:00Z")
    g = match.groupdict()
    year = int(g["year"])
    try:
        if g["week"] is not None:
            day = date.fromisocalendar(year, int(g["week"]), int(g["weekday"] or 1))
        elif g["ordinal"] is not None:
            ordinal = int(g["ordinal"])
            if not 1 <= ordinal <= (366 if calendar.isleap(year) else 365):
                raise ValueError(f"day of year {ordinal} is out of range")
            day = date(year, 1, 1) + timedelta(days=ordinal - 1)
        else:
            day = date(year, int(g["month"] or 1), int(g["day"] or 1))
        hour, minute, second = int(g["hour"] or 0), int(g["minute"] or 0), int(g["second"] or 0)
        moment = datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError as error:
        raise ValueError(f"{error}") from None
    fraction = g["fraction"]
    if fraction is not None:
        # the fraction belongs to the last time field given (10:30.5 is 10:30:30)
        unit = (timedelta(seconds=1) if g["second"] is not None else
                timedelta(minutes=1) if g["minute"] is not None else timedelta(hours=1))
        moment += unit * int(fraction) / 10 ** len(fraction)
    offset = g["offset"]
    if offset and offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"offset {offset} is out of range")
        try:
            moment -= sign * timedelta(hours=hours, minutes=minutes)
        except OverflowError:
            raise ValueError("the date is out of range") from None
    return _millis(moment)


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return _millis(moment)


def _millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# ---------------------------------------------------------------------------- durations
_DURATION = re.compile(
    r"(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)(?:[.,](?P<fraction>\d+))?S)?)?"
)
# longer than anything a datetime can hold (years 1 to 9999)
_MAX_DAYS = 3_700_000


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration, added the way Java's ``Duration.addTo(Calendar)`` does it: years,
    then months (clamped to the month's last day: Jan 31 + P1M is Feb 28), then the rest."""

    years: int = 0
    months: int = 0
    rest: timedelta = timedelta(0)
    negative: bool = False

    def add_to(self, moment: datetime) -> datetime:
        return self._apply(moment, -1 if self.negative else 1)

    def subtract_from(self, moment: datetime) -> datetime:
        return self._apply(moment, 1 if self.negative else -1)

    def fixed_length(self) -> timedelta | None:
        """The length when it has no years or months (which vary), else None."""
        return None if self.years or self.months else self.rest

    def positive(self) -> bool:
        return not self.negative and (self.years > 0 or self.months > 0 or self.rest > timedelta(0))

    def _apply(self, moment: datetime, sign: int) -> datetime:
        try:
            moment = _add_months(moment, sign * self.years * 12)
            moment = _add_months(moment, sign * self.months)
            return moment + sign * self.rest
        except (OverflowError, ValueError):
            return _MAX if sign > 0 else datetime.min


def _add_months(moment: datetime, months: int) -> datetime:
    if not months:
        return moment
    years, month_index = divmod(moment.month - 1 + months, 12)
    year = moment.year + years
    day = min(moment.day, calendar.monthrange(year, month_index + 1)[1]) if 1 <= year <= 9999 \
        else moment.day
    return moment.replace(year=year, month=month_index + 1, day=day)


def parse_duration(text: str) -> Duration:
    """``PnYnMnWnDTnHnMnS`` (seconds may have a fraction), optionally negative (``-PT5M``)."""
    match = _DURATION.fullmatch(text)
    if not match or text.rstrip("-") in ("P", "PT") or text.endswith("T"):
        raise ValueError("not an ISO 8601 duration such as PT5M, P1DT2H or P2W")
    g = {name: value for name, value in match.groupdict().items()}
    numbers = {name: int(g[name] or 0) for name in
               ("years", "months", "weeks", "days", "hours", "minutes", "seconds")}
    if not any(g[name] is not None for name in numbers):
        raise ValueError("not an ISO 8601 duration such as PT5M, P1DT2H or P2W")
    approximate_days = (numbers["years"] * 366 + numbers["months"] * 31 + numbers["weeks"] * 7
                        + numbers["days"] + numbers["hours"] / 24 + numbers["minutes"] / 1440
                        + numbers["seconds"] / 86400)
    if approximate_days > _MAX_DAYS:
        raise ValueError("the duration is longer than any date the engine can hold")
    fraction = g["fraction"] or "0"
    milliseconds = int(fraction[:3].ljust(3, "0"))
    rest = timedelta(weeks=numbers["weeks"], days=numbers["days"], hours=numbers["hours"],
                     minutes=numbers["minutes"], seconds=numbers["seconds"],
                     milliseconds=milliseconds)
    return Duration(numbers["years"], numbers["months"], rest, negative=g["sign"] == "-")


# ---------------------------------------------------------------------------- schedules
@dataclass(frozen=True)
class _Fixed:
    moment: datetime

    def first_due(self, now: datetime) -> datetime | None:
        return self.moment


@dataclass(frozen=True)
class _FromNow:
    duration: Duration

    def first_due(self, now: datetime) -> datetime | None:
        return self.duration.add_to(now)


@dataclass(frozen=True)
class _Interval:
    """Camunda's ``DurationHelper``: ``[R[n]/]`` then ``<duration>``, ``<start>/<duration>``,
    ``<duration>/<end>`` or ``<start>/<end>``."""

    period: Duration
    start: datetime | None = None
    end: datetime | None = None
    repeating: bool = False
    times: int | None = None  # None: unbounded (``R``)

    @classmethod
    def parse(cls, text: str) -> _Interval:
        parts = text.split("/")
        repeating, times = False, None
        if parts[0].startswith("R"):
            repeating = True
            count = parts[0][1:]
            if count and not count.isdigit():
                raise ValueError(f"the repetition count '{parts[0]}' must be R or R<n> with n >= 0")
            times = int(count) if count else None
            parts = parts[1:]
        if not 1 <= len(parts) <= 2 or "" in parts:
            raise ValueError("expected [R[n]/]<duration>, <start>/<duration>, <duration>/<end> "
                             "or <start>/<end>")
        if parts[0].startswith(("P", "-P")):
            period = parse_duration(parts[0])
            end = parse_datetime(parts[1]) if len(parts) == 2 else None
            return cls._checked(period, None, end, repeating, times)
        start = parse_datetime(parts[0])
        if len(parts) == 1:
            raise ValueError(f"the start '{parts[0]}' needs a duration or an end after a '/'")
        if parts[1].startswith(("P", "-P")):
            return cls._checked(parse_duration(parts[1]), start, None, repeating, times)
        end = parse_datetime(parts[1])
        return cls._checked(Duration(rest=end - start), start, end, repeating, times)

    @classmethod
    def _checked(cls, period: Duration, start: datetime | None, end: datetime | None,
                 repeating: bool, times: int | None) -> _Interval:
        if repeating and not period.positive():
            raise ValueError("a repeating interval needs a period longer than zero")
        return cls(period, start, end, repeating, times)

    def first_due(self, now: datetime) -> datetime | None:
        start = self.start if self.start is not None or self.end is not None else now
        if not self.repeating:
            return self.end if self.end is not None else self.period.add_to(start)
        if start is not None:
            # the first repetition after now, counting at most `times` periods from the start
            # a repetition at now itself is the one firing (Camunda would repeat it forever
            # under a pinned clock): only later ones count
            current = self._forward(start, now)
            return None if current <= now else current
        # counted back from the end: the earliest of the last `times` repetitions after now
        assert self.end is not None
        following = self._backward(self.end, now)
        return None if following <= now else following

    def _forward(self, start: datetime, now: datetime) -> datetime:
        """start + k periods for the smallest k <= times with a result after now."""
        fixed = self.period.fixed_length()
        if fixed is not None:
            steps = 0 if start > now else (now - start) // fixed + 1
            if self.times is not None:
                steps = min(steps, self.times)
            return _shift(start, fixed, steps)
        current, i = start, 0
        while (self.times is None or i < self.times) and current <= now and current < _MAX:
            current, i = self.period.add_to(current), i + 1
        return current

    def _backward(self, end: datetime, now: datetime) -> datetime:
        """end - k periods for the largest k <= times whose predecessor is not after now."""
        fixed = self.period.fixed_length()
        if fixed is not None:
            steps = max(0, -((now - end) // fixed) - 1)  # ceil((end - now) / period) - 1
            if self.times is not None:
                steps = min(steps, self.times)
            return _shift(end, -fixed, steps)
        following, current, i = end, self.period.subtract_from(end), 0
        while (self.times is None or i < self.times) and current > now and current > datetime.min:
            following, current, i = current, self.period.subtract_from(current), i + 1
        return following


def _shift(moment: datetime, step: timedelta, steps: int) -> datetime:
    try:
        return moment + step * steps
    except OverflowError:
        return _MAX if step > timedelta(0) else datetime.min


# ---------------------------------------------------------------------------- cron
_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DAYS = {name: number for number, name in enumerate(
    ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
# field: (name, lowest, highest, names)
_FIELDS = (("second", 0, 59, {}), ("minute", 0, 59, {}), ("hour", 0, 23, {}),
           ("day-of-month", 1, 31, {}), ("month", 1, 12, _MONTHS), ("day-of-week", 1, 7, _DAYS),
           ("year", 1970, 2199, {}))
_ITEM = re.compile(r"(?:(\*)|(\d+)(?:-(\d+))?)?(?:/(\d+))?")


class Cron:
    """A Quartz cron expression as Camunda 7 (up to 7.23) reads it, evaluated in UTC.

    Six or seven fields: second, minute, hour, day of month, day of week (1-7 or SUN-SAT,
    Sunday first), month (1-12 or JAN-DEC), and optionally a year (1970-2199). Each field takes
    ``*``, values, ranges (``MON-FRI``, wrapping ``22-2``), lists and increments (``0/15``,
    ``*/5``, ``10-40/10``). Exactly one of the two day fields is ``?``. Day of month also takes
    ``L`` (last day), ``L-3``, ``15W`` (nearest weekday), ``LW``; day of week ``6L`` (last
    Friday) and ``6#3`` (third Friday).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        fields = text.upper().split()
        if len(fields) < 6:
            raise ValueError("a cron expression needs 6 or 7 fields (second, minute, hour, "
                             "day of month, month, day of week, optional year)")
        if len(fields) > 7:
            raise ValueError("a cron expression has at most 7 fields")
        if len(fields) == 6:
            fields.append("*")
        self.last_day_of_month = False  # L in day-of-month
        self.last_day_offset = 0  # L-3
        self.nearest_weekday = False  # W
        self.last_weekday_of_month = False  # 6L in day-of-week
        self.nth_weekday = 0  # 6#3
        dom, dow = fields[3], fields[5]
        if (dom == "?") == (dow == "?"):
            raise ValueError("exactly one of day-of-month and day-of-week must be '?' (Quartz "
                             "supports no other combination)")
        self.seconds = self._values(fields[0], 0)
        self.minutes = self._values(fields[1], 1)
        self.hours = self._values(fields[2], 2)
        self.days_of_month = None if dom == "?" else self._day_of_month(dom)
        self.months = self._values(fields[4], 4)
        self.days_of_week = None if dow == "?" else self._day_of_week(dow)
        self.years = self._values(fields[6], 6)

    # ---- parsing
    def _values(self, text: str, index: int) -> list[int]:
        name, low, high, names = _FIELDS[index]
        values: set[int] = set()
        for item in text.split(","):
            values |= self._item(item, name, low, high, names)
        return sorted(values)

    @staticmethod
    def _item(item: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
        original = item
        for word, number in names.items():
            item = item.replace(word, str(number))
        match = _ITEM.fullmatch(item)
        if not match or not item or item == "/" or (match.group(4) is None and item.endswith("/")):
            raise ValueError(f"'{original}' is not valid in the {name} field")
        star, first, last, step = match.groups()
        if star or first is None:
            start, stop = low, high
        else:
            start = int(first)
            stop = int(last) if last is not None else (high if step is not None else start)
        for value in (start, stop):
            if not low <= value <= high:
                raise ValueError(f"{name} values must be between {low} and {high}, not {value} "
                                 f"('{original}')")
        increment = int(step) if step is not None else 1
        if not 1 <= increment <= high - low + 1:
            raise ValueError(f"the increment in '{original}' must be between 1 and "
                             f"{high - low + 1}")
        span = high - low + 1
        if stop < start and name == "year":
            raise ValueError(f"'{original}': the start year must not be after the end year")
        if stop < start:  # a range that wraps around: 22-2, FRI-MON
            stop += span
        return {low + (value - low) % span for value in range(start, stop + 1, increment)}

    def _day_of_month(self, text: str) -> list[int]:
        match = re.fullmatch(r"L(?:-(\d+))?(W)?", text)
        if match:
            self.last_day_of_month = True
            self.last_day_offset = int(match.group(1) or 0)
            if self.last_day_offset > 30:
                raise ValueError("the offset from the last day of the month must be at most 30")
            self.nearest_weekday = match.group(2) is not None
            return []
        match = re.fullmatch(r"(\d+)W", text)
        if match:
            day = int(match.group(1))
            if not 1 <= day <= 31:
                raise ValueError(f"'{text}': the day before W must be between 1 and 31")
            self.nearest_weekday = True
            return [day]
        if "L" in text or "W" in text:
            raise ValueError(f"'{text}': L and W take a single day of month, not a list or range")
        return self._values(text, 3)

    def _day_of_week(self, text: str) -> list[int]:
        original = text
        for word, number in _DAYS.items():
            text = text.replace(word, str(number))
        if text == "L":
            return [7]  # L alone is the last day of the week, Saturday
        match = re.fullmatch(r"(\d+)L", text)
        if match:
            self.last_weekday_of_month = True
            return [self._weekday(match.group(1), text)]
        match = re.fullmatch(r"(\d+)#(\d+)", text)
        if match:
            self.nth_weekday = int(match.group(2))
            if not 1 <= self.nth_weekday <= 5:
                raise ValueError(f"'{text}': a number between 1 and 5 must follow '#'")
            return [self._weekday(match.group(1), text)]
        if "L" in text or "#" in text:
            raise ValueError(f"'{original}': L and # take a single day of week, not a list or range")
        return self._values(original, 5)

    @staticmethod
    def _weekday(value: str, text: str) -> int:
        if not 1 <= int(value) <= 7:
            raise ValueError(f"'{text}': day-of-week values must be between 1 and 7")
        return int(value)

    # ---- evaluation
    def first_due(self, now: datetime) -> datetime | None:
        return self.next_after(now)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first whole second strictly after ``moment`` that matches, or None (never)."""
        t = moment.replace(microsecond=0) + timedelta(seconds=1)
        last_year = self.years[-1]
        while t.year <= last_year:
            year = _next(self.years, t.year)
            if year != t.year:
                if year is None:
                    return None
                t = datetime(year, 1, 1)
                continue
            month = _next(self.months, t.month)
            if month != t.month:
                t = datetime(t.year + 1, 1, 1) if month is None else datetime(t.year, month, 1)
                continue
            day = _next(self._days(t.year, t.month), t.day)
            if day != t.day:
                t = (_first_of_next_month(t) if day is None else datetime(t.year, t.month, day))
                continue
            hour = _next(self.hours, t.hour)
            if hour != t.hour:
                t = (datetime(t.year, t.month, t.day) + timedelta(days=1) if hour is None
                     else t.replace(hour=hour, minute=0, second=0))
                continue
            minute = _next(self.minutes, t.minute)
            if minute != t.minute:
                t = (t.replace(minute=0, second=0) + timedelta(hours=1) if minute is None
                     else t.replace(minute=minute, second=0))
                continue
            second = _next(self.seconds, t.second)
            if second != t.second:
                t = (t.replace(second=0) + timedelta(minutes=1) if second is None
                     else t.replace(second=second))
                continue
            return t
        return None

    def _days(self, year: int, month: int) -> list[int]:
        """The days of this month that match the day-of-month or day-of-week rule."""
        length = calendar.monthrange(year, month)[1]
        if self.days_of_month is not None:
            if self.last_day_of_month:
                day = length - self.last_day_offset
                if day < 1:
                    return []
                return [_nearest_weekday(year, month, day, length) if self.nearest_weekday else day]
            if self.nearest_weekday:
                day = self.days_of_month[0]
                return [] if day > length else [_nearest_weekday(year, month, day, length)]
            return [day for day in self.days_of_month if day <= length]
        assert self.days_of_week is not None
        weekday_of_first = _quartz_weekday(date(year, month, 1))
        by_day = [(day, (weekday_of_first + day - 2) % 7 + 1) for day in range(1, length + 1)]
        if self.last_weekday_of_month:
            wanted = self.days_of_week[0]
            return [max(day for day, weekday in by_day if weekday == wanted)]
        if self.nth_weekday:
            wanted = self.days_of_week[0]
            matching = [day for day, weekday in by_day if weekday == wanted]
            return matching[self.nth_weekday - 1:self.nth_weekday]
        return [day for day, weekday in by_day if weekday in self.days_of_week]


def _next(values: list[int], current: int) -> int | None:
    """The smallest value >= current, or None."""
    index = bisect_left(values, current)
    return values[index] if index < len(values) else None


def _first_of_next_month(t: datetime) -> datetime:
    return datetime(t.year + 1, 1, 1) if t.month == 12 else datetime(t.year, t.month + 1, 1)


def _quartz_weekday(day: date) -> int:
    """Sunday 1 ... Saturday 7, as Quartz (and java.util.Calendar) number them."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """The weekday nearest to ``day`` without leaving the month (Quartz's ``W``)."""
    weekday = _quartz_weekday(date(year, month, day))
    if weekday == 7:  # Saturday: Friday before, or Monday after when the 1st
        return day + 2 if day == 1 else day - 1
    if weekday == 1:  # Sunday: Monday after, or Friday before when the last day
        return day - 2 if day == length else day + 1
    return day
