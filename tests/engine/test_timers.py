"""Timer definitions (timeDate, timeDuration, timeCycle with ISO 8601 and Quartz cron): what each
accepts, when its first job is due, and the successors of a cycle, as Camunda 7 computes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from modbatch.engine.bpmn.timers import (
    Cron, TimerError, format_anchor, job_configuration, parse_datetime, parse_duration, parse_timer, shift_repeat,
    successor,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, 500000)  # a Thursday; the clock keeps milliseconds
MS = timedelta(milliseconds=1)


def due(kind: str, text, now: datetime = NOW):
    return parse_timer(kind, text).first_due(now)


def fire_all(kind: str, text: str, now: datetime = NOW, limit: int = 50) -> list[datetime]:
    """Every due date of a cycle: the first job, then each successor created when one fires."""
    spec = parse_timer(kind, text)
    repeat = spec.repeat(now)
    moments = [spec.first_due(now)]
    while len(moments) < limit:
        following = successor(repeat, moments[-1] + MS)  # the job runs just after its due date
        if following is None:
            break
        moments.append(following)
    return moments


# ------------------------------------------------------------------------ date-times
@pytest.mark.parametrize("text, expected", [
    ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10)),
    ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10)),
    ("2026-03-01T10:00:00+02:00", datetime(2026, 3, 1, 8)),
    ("2026-03-01T10:00:00-0530", datetime(2026, 3, 1, 15, 30)),
    ("2026-03-01T10:00:00+02", datetime(2026, 3, 1, 8)),
    ("2026-03-01T01:00:00+02:00", datetime(2026, 2, 28, 23)),
    ("2026-03-01T10:00:00.123", datetime(2026, 3, 1, 10, 0, 0, 123000)),
    ("2026-03-01T10:00:00.123456Z", datetime(2026, 3, 1, 10, 0, 0, 123000)),
    ("2026-03-01T10:00:00,5", datetime(2026, 3, 1, 10, 0, 0, 500000)),
    ("2026-03-01T10:30", datetime(2026, 3, 1, 10, 30)),
    ("2026-03-01T10:30.5", datetime(2026, 3, 1, 10, 30, 30)),
    ("2026-03-01T10", datetime(2026, 3, 1, 10)),
    ("2026-03-01T10Z", datetime(2026, 3, 1, 10)),
    ("2026-03-01", datetime(2026, 3, 1)),
    ("2026-03", datetime(2026, 3, 1)),
    ("2026", datetime(2026, 1, 1)),
    ("2026-060", datetime(2026, 3, 1)),
    ("2028-366", datetime(2028, 12, 31)),
    ("2026-W09-7", datetime(2026, 3, 1)),
    ("2026-W09", datetime(2026, 2, 23)),
    ("2026-W01-1T08:00:00Z", datetime(2025, 12, 29, 8)),
])
def test_iso_date_times_are_read_as_naive_utc(text, expected):
    """Calendar, ordinal and week dates, partial times, fractions and offsets all end up naive UTC."""
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", [
    "2026-13-01", "2026-02-30", "2026-03-01T25:00:00", "2026-03-01T10:60", "2026-03-01 10:00:00",
    "tomorrow", "2026-366", "2026-000", "2026-W54", "2026-W01-8", "2026-03-01T10:00:00+25:00",
    "26-03-01", "2026-3-1", "2026-03-01T", "2026-03-01T10:00:00ZZ", "", "0000-01-01T00:00:00+01:00",
])
def test_malformed_date_times_are_refused(text):
    """Anything else is a ValueError (no locale formats, no out-of-range fields)."""
    with pytest.raises(ValueError):
        parse_datetime(text)


# ------------------------------------------------------------------------ durations
@pytest.mark.parametrize("text, expected", [
    ("PT5M", timedelta(minutes=5)),
    ("PT36H", timedelta(hours=36)),
    ("P1DT2H", timedelta(days=1, hours=2)),
    ("P2W", timedelta(weeks=2)),
    ("P1W2D", timedelta(days=9)),
    ("P3D", timedelta(days=3)),
    ("PT0.5S", timedelta(milliseconds=500)),
    ("PT1,25S", timedelta(seconds=1, milliseconds=250)),
    ("PT1.0009S", timedelta(seconds=1)),
    ("PT90S", timedelta(seconds=90)),
    ("PT0S", timedelta(0)),
    ("-PT5M", -timedelta(minutes=5)),
])
def test_durations_of_fixed_length(text, expected):
    """Weeks, days and time fields add up exactly; fractions of seconds are cut to milliseconds."""
    start = datetime(2026, 1, 1)
    assert parse_duration(text).add_to(start) - start == expected


@pytest.mark.parametrize("start, text, expected", [
    (datetime(2026, 1, 31), "P1M", datetime(2026, 2, 28)),
    (datetime(2028, 1, 31), "P1M", datetime(2028, 2, 29)),
    (datetime(2024, 2, 29), "P1Y", datetime(2025, 2, 28)),
    (datetime(2024, 1, 31), "P1Y1M", datetime(2025, 2, 28)),
    (datetime(2026, 11, 15), "P3M", datetime(2027, 2, 15)),
    (datetime(2026, 1, 31, 10), "P1M1DT1H", datetime(2026, 3, 1, 11)),
    (datetime(2026, 3, 31), "-P1M", datetime(2026, 2, 28)),
    (datetime(2026, 1, 1), "P14M", datetime(2027, 3, 1)),
])
def test_years_and_months_follow_the_calendar(start, text, expected):
    """Years, then months (clamped to the month's end), then the rest, like Java's Duration.addTo."""
    assert parse_duration(text).add_to(start) == expected


def test_a_duration_past_the_last_date_ends_there():
    """Adding beyond year 9999 gives the last representable moment instead of failing."""
    assert parse_duration("P9000Y").add_to(datetime(2026, 1, 1)).year == 9999


@pytest.mark.parametrize("text", [
    "P", "PT", "-P", "P1DT", "5M", "PT5", "P1.5D", "PT5M3H", "P-1D", "", "P1Y2Y", "T5M", "pt5m",
    "P1D2W", "P99999999D", "PT1.S",
])
def test_malformed_durations_are_refused(text):
    """At least one field, in order, integers except the seconds, and not absurdly long."""
    with pytest.raises(ValueError):
        parse_duration(text)


# ------------------------------------------------------------------------ timeDate
@pytest.mark.parametrize("text, expected", [
    ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10)),
    ("2026-03-01T10:00:00+01:00", datetime(2026, 3, 1, 9)),
    ("2020-01-01T00:00:00Z", datetime(2020, 1, 1)),
    ("  2026-03-01T10:00:00Z\n", datetime(2026, 3, 1, 10)),
    ("PT1H", NOW + timedelta(hours=1)),
])
def test_time_date_is_due_at_that_moment(text, expected):
    """A timeDate is due at its moment (past ones at once); a text starting with P is a duration."""
    assert due("timeDate", text) == expected


@pytest.mark.parametrize("value, expected", [
    (datetime(2026, 5, 1, 8, 30), datetime(2026, 5, 1, 8, 30)),
    (datetime(2026, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 5, 1, 6, 30)),
    (datetime(2026, 5, 1, 8, 30, 0, 123456), datetime(2026, 5, 1, 8, 30, 0, 123000)),
])
@pytest.mark.parametrize("kind", ["timeDate", "timeDuration", "timeCycle"])
def test_an_expression_may_yield_a_date(kind, value, expected):
    """A date value (Camunda: a java.util.Date) is the due date for every kind, and never repeats."""
    spec = parse_timer(kind, value)
    assert spec.first_due(NOW) == expected
    assert spec.repeat(NOW) is None


# ------------------------------------------------------------------------ timeDuration
@pytest.mark.parametrize("text, expected", [
    ("PT5M", datetime(2026, 1, 1, 12, 5, 0, 500000)),
    ("P1DT2H", datetime(2026, 1, 2, 14, 0, 0, 500000)),
    ("P2W", datetime(2026, 1, 15, 12, 0, 0, 500000)),
    ("P1M", datetime(2026, 2, 1, 12, 0, 0, 500000)),
    ("-PT1H", datetime(2026, 1, 1, 11, 0, 0, 500000)),
    ("2026-06-01T00:00:00Z/PT1H", datetime(2026, 6, 1, 1)),
    ("PT1H/2026-06-01T00:00:00Z", datetime(2026, 6, 1)),
    ("2026-06-01T00:00:00/2026-06-02T00:00:00", datetime(2026, 6, 2)),
    ("R3/PT1H", datetime(2026, 1, 1, 13, 0, 0, 500000)),
])
def test_time_duration_counts_from_now(text, expected):
    """A duration from the moment the job is created; Camunda's interval forms give their end."""
    assert due("timeDuration", text) == expected


def test_a_duration_never_repeats():
    """Only timeCycle keeps a repeat on its job."""
    assert parse_timer("timeDuration", "R3/PT1H").repeat(NOW) is None
    assert parse_timer("timeDate", "2026-03-01").repeat(NOW) is None


# ------------------------------------------------------------------------ timeCycle: ISO 8601
def test_r3_fires_three_times_ten_minutes_apart():
    """R3/PT10M: due 10 minutes after creation, then twice more; then no successor."""
    assert fire_all("timeCycle", "R3/PT10M") == [
        datetime(2026, 1, 1, 12, 10, 0, 500000), datetime(2026, 1, 1, 12, 20),
        datetime(2026, 1, 1, 12, 30)]


def test_the_cycle_is_anchored_at_its_creation_to_the_second():
    """The job keeps R3/<creation time>/PT10M, without milliseconds, as Camunda writes it."""
    assert parse_timer("timeCycle", "R3/PT10M").repeat(NOW) == "R3/2026-01-01T12:00:00/PT10M"
    assert parse_timer("timeCycle", "R/PT1H").repeat(NOW) == "R/2026-01-01T12:00:00/PT1H"


def test_unbounded_cycles_never_end():
    """R/PT1H keeps producing successors, an hour apart."""
    moments = fire_all("timeCycle", "R/PT1H", limit=100)
    assert len(moments) == 100
    assert moments[-1] == datetime(2026, 1, 5, 16)


def test_missed_repetitions_are_skipped_but_counted():
    """A job that fires late gets the next repetition after the firing time, within R<n>."""
    repeat = "R5/2026-01-01T12:00:00/PT10M"
    assert successor(repeat, datetime(2026, 1, 1, 12, 35)) == datetime(2026, 1, 1, 12, 40)
    assert successor(repeat, datetime(2026, 1, 1, 12, 50, 0, 1000)) is None
    assert successor(repeat, datetime(2026, 1, 2)) is None


def test_firing_exactly_at_the_last_repetition_ends_the_cycle():
    """The job due at the last repetition, fired on the dot, has no successor (Camunda would
    schedule that same moment again, forever under a pinned clock)."""
    assert successor("R2/2026-01-01T12:00:00/PT10M", datetime(2026, 1, 1, 12, 20)) is None
    assert successor("R2/PT10M/2026-01-01T12:20:00", datetime(2026, 1, 1, 12, 20)) is None
    assert successor("R/2026-01-01T12:00:00/PT10M", datetime(2026, 1, 1, 12, 20)) == \
        datetime(2026, 1, 1, 12, 30)


def test_a_cycle_with_a_future_start_begins_at_the_start():
    """R3/<start>/PT1H with the start ahead: due at the start, then three more (Camunda counts
    the periods added to the start)."""
    assert fire_all("timeCycle", "R3/2026-02-01T00:00:00Z/PT1H") == [
        datetime(2026, 2, 1, 0), datetime(2026, 2, 1, 1), datetime(2026, 2, 1, 2),
        datetime(2026, 2, 1, 3)]
    assert parse_timer("timeCycle", "R3/2026-02-01T00:00:00Z/PT1H").repeat(NOW) == \
        "R3/2026-02-01T00:00:00Z/PT1H"


def test_a_cycle_with_a_past_start_resumes_at_the_next_repetition():
    """R/<start in the past>/PT1H is due at the next full period after now."""
    assert due("timeCycle", "R/2025-12-31T00:00:00Z/PT1H") == datetime(2026, 1, 1, 13)
    assert due("timeCycle", "R/2000-01-01T00:00:00/PT1S") == datetime(2026, 1, 1, 12, 0, 1)


def test_an_exhausted_cycle_has_no_due_date():
    """All repetitions in the past: no due date, which Camunda's job executor runs at once."""
    assert due("timeCycle", "R3/2025-01-01T00:00:00Z/PT1H") is None


def test_r0_has_no_due_date_and_no_successor():
    """R0/PT1H: no repetition after now, so no due date (the job runs at once), then done."""
    assert due("timeCycle", "R0/PT1H") is None
    assert successor(parse_timer("timeCycle", "R0/PT1H").repeat(NOW), NOW) is None


def test_a_cycle_counted_back_from_its_end():
    """R2/PT1H/<end>: the last repetitions before the end, the end included."""
    now = datetime(2026, 1, 1, 9, 30)
    assert fire_all("timeCycle", "R2/PT1H/2026-01-01T12:00:00", now) == [
        datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 11), datetime(2026, 1, 1, 12)]
    assert parse_timer("timeCycle", "R2/PT1H/2026-01-01T12:00:00").repeat(now) == \
        "R2/PT1H/2026-01-01T12:00:00"


def test_a_cycle_between_start_and_end_repeats_their_distance():
    """R2/<start>/<end>: the period is end - start."""
    assert fire_all("timeCycle", "R2/2026-02-01T00:00:00/2026-02-01T06:00:00") == [
        datetime(2026, 2, 1, 0), datetime(2026, 2, 1, 6), datetime(2026, 2, 1, 12)]


def test_monthly_cycles_follow_the_calendar():
    """R/<Jan 31>/P1M: each period is added to the previous repetition (Feb 28, then Mar 28)."""
    assert successor("R/2026-01-31T00:00:00/P1M", datetime(2026, 3, 1)) == datetime(2026, 3, 28)
    assert successor("R2/PT1M/2026-06-30T00:00:00", datetime(2026, 6, 29)) == \
        datetime(2026, 6, 29, 23, 58)
    assert successor("R/P1M/2026-06-30T00:00:00", datetime(2026, 3, 1)) == datetime(2026, 3, 30)


# ------------------------------------------------------------------------ timeCycle: cron
@pytest.mark.parametrize("text, now, expected", [
    ("0 0/5 * * * ?", NOW, datetime(2026, 1, 1, 12, 5)),
    ("0 0/5 * * * ?", datetime(2026, 1, 1, 12, 5), datetime(2026, 1, 1, 12, 10)),
    ("*/20 * * * * ?", NOW, datetime(2026, 1, 1, 12, 0, 20)),
    ("0 0 12 * * ?", NOW, datetime(2026, 1, 2, 12)),
    ("0 0 12 ? * MON-FRI", datetime(2026, 1, 2, 13), datetime(2026, 1, 5, 12)),
    ("0 0 12 ? * mon-fri", datetime(2026, 1, 2, 13), datetime(2026, 1, 5, 12)),
    ("0 0 12 ? * 2-6", datetime(2026, 1, 2, 13), datetime(2026, 1, 5, 12)),
    ("0 0 12 ? * SUN", NOW, datetime(2026, 1, 4, 12)),
    ("0 0 12 ? * 1", NOW, datetime(2026, 1, 4, 12)),
    ("0 0 12 ? * L", NOW, datetime(2026, 1, 3, 12)),
    ("0 0 12 ? * FRI-MON", NOW, datetime(2026, 1, 2, 12)),
    ("0 0 12 ? * MON/2", NOW, datetime(2026, 1, 2, 12)),
    ("0 15 10 ? * 6L", NOW, datetime(2026, 1, 30, 10, 15)),
    ("0 15 10 ? * FRIL", NOW, datetime(2026, 1, 30, 10, 15)),
    ("0 0 0 ? * 6#3", NOW, datetime(2026, 1, 16)),
    ("0 0 0 ? * 5#5", NOW, datetime(2026, 1, 29)),
    ("0 0 0 ? * 2#5", NOW, datetime(2026, 3, 30)),
    ("0 0 0 L * ?", NOW, datetime(2026, 1, 31)),
    ("0 0 0 L * ?", datetime(2026, 2, 1), datetime(2026, 2, 28)),
    ("0 0 0 L-2 * ?", NOW, datetime(2026, 1, 29)),
    ("0 0 0 LW * ?", NOW, datetime(2026, 1, 30)),
    ("0 0 0 15W * ?", datetime(2026, 2, 1), datetime(2026, 2, 16)),
    ("0 0 0 14W * ?", datetime(2026, 2, 1), datetime(2026, 2, 13)),
    ("0 0 0 1W * ?", datetime(2026, 7, 15), datetime(2026, 8, 3)),
    ("0 0 0 31W * ?", datetime(2026, 5, 1), datetime(2026, 5, 29)),
    ("0 0 0 31 * ?", datetime(2026, 2, 1), datetime(2026, 3, 31)),
    ("0 0 0 29 2 ?", NOW, datetime(2028, 2, 29)),
    ("0 0 22-2 * * ?", NOW, datetime(2026, 1, 1, 22)),
    ("0 0 22-2 * * ?", datetime(2026, 1, 1, 23, 30), datetime(2026, 1, 2, 0)),
    ("0 0 0 1 NOV-FEB ?", NOW, datetime(2026, 2, 1)),
    ("0 0 0 1 */3 ?", NOW, datetime(2026, 4, 1)),
    ("0 0 0 1/10 * ?", NOW, datetime(2026, 1, 11)),
    ("0 10-40/10 * * * ?", NOW, datetime(2026, 1, 1, 12, 10)),
    ("0 0 9,17 * * ?", NOW, datetime(2026, 1, 1, 17)),
    ("0 0 0 1 1 ? 2030", NOW, datetime(2030, 1, 1)),
    ("0 0 0 1 1 ? 2028-2030", NOW, datetime(2028, 1, 1)),
    ("0 0 0 ? JAN,MAR MON", datetime(2026, 1, 31), datetime(2026, 3, 2)),
    ("59 59 23 31 12 ?", NOW, datetime(2026, 12, 31, 23, 59, 59)),
    ("0\t0  12 * * ?", NOW, datetime(2026, 1, 2, 12)),
])
def test_cron_next_fire_time(text, now, expected):
    """The first whole second strictly after now that matches every field (Quartz semantics, UTC)."""
    assert due("timeCycle", text, now) == expected


@pytest.mark.parametrize("text", ["0 0 0 30 2 ?", "0 0 0 1 1 ? 2020", "0 0 0 ? 2 2#5 2026"])
def test_a_cron_that_never_fires_again_has_no_due_date(text):
    """February 30th, a past year: no due date (Camunda's job would run once at once)."""
    assert due("timeCycle", text) is None


def test_cron_cycles_repeat_unchanged():
    """The cron text itself is the repeat; each successor is its next match after the firing."""
    spec = parse_timer("timeCycle", "0 0/5 * * * ?")
    assert spec.repeat(NOW) == "0 0/5 * * * ?"
    assert fire_all("timeCycle", "0 0/5 * * * ?", limit=4) == [
        datetime(2026, 1, 1, 12, 5), datetime(2026, 1, 1, 12, 10), datetime(2026, 1, 1, 12, 15),
        datetime(2026, 1, 1, 12, 20)]


def test_a_cron_with_years_ends_after_the_last():
    """A year list bounds the cycle: the successor after the last match is None."""
    assert fire_all("timeCycle", "0 0 0 1 1 ? 2027,2028") == [datetime(2027, 1, 1), datetime(2028, 1, 1)]


@pytest.mark.parametrize("text, message", [
    ("0 0 12 * * *", "exactly one of day-of-month and day-of-week must be '?'"),
    ("0 0 12 ? * ?", "exactly one of day-of-month and day-of-week must be '?'"),
    ("0 0 12 * *", "needs 6 or 7 fields"),
    ("0 0 12 * * ? 2030 x", "at most 7 fields"),
    ("60 * * * * ?", "second values must be between 0 and 59, not 60"),
    ("0 60 * * * ?", "minute values must be between 0 and 59"),
    ("0 0 24 * * ?", "hour values must be between 0 and 23"),
    ("0 0 0 32 * ?", "day-of-month values must be between 1 and 31"),
    ("0 0 0 0 * ?", "day-of-month values must be between 1 and 31"),
    ("0 0 0 1 13 ?", "month values must be between 1 and 12"),
    ("0 0 0 ? * 8", "day-of-week values must be between 1 and 7"),
    ("0 0 0 ? * 0", "day-of-week values must be between 1 and 7"),
    ("0 0 0 1 1 ? 1969", "year values must be between 1970 and 2199"),
    ("0 0 0 1 1 ? 2030-2020", "the start year must not be after the end year"),
    ("? 0 0 * * ?", "'?' is not valid in the second field"),
    ("0 0 0 L,5 * ?", "L and W take a single day of month"),
    ("0 0 0 1-5W * ?", "L and W take a single day of month"),
    ("0 0 0 40W * ?", "the day before W must be between 1 and 31"),
    ("0 0 0 L-31 * ?", "the offset from the last day of the month must be at most 30"),
    ("0 0 0 ? * 6#6", "a number between 1 and 5 must follow '#'"),
    ("0 0 0 ? * 6#1,2", "L and # take a single day of week"),
    ("0 0 0 ? * 9L", "day-of-week values must be between 1 and 7"),
    ("0 0 0 ? * MONDAY", "'MONDAY' is not valid in the day-of-week field"),
    ("0 0 0 1 FOO ?", "'FOO' is not valid in the month field"),
    ("0 */0 * * * ?", "the increment in '*/0' must be between 1 and 60"),
    ("0 */61 * * * ?", "the increment in '*/61' must be between 1 and 60"),
    ("0 5/ * * * ?", "'5/' is not valid in the minute field"),
    ("0 1,,2 * * * ?", "'' is not valid in the minute field"),
    ("a b c d e ?", "'A' is not valid in the second field"),
])
def test_malformed_cron_expressions_name_their_fault(text, message):
    """Each error says which field is wrong and why."""
    with pytest.raises(ValueError) as caught:
        parse_timer("timeCycle", text)
    assert str(caught.value).startswith(f"Invalid timeCycle '{text}': ")
    assert message in str(caught.value)


def test_cron_next_after_is_exposed_for_reuse():
    """Cron(text).next_after is the same computation as the cycle's due date."""
    assert Cron("0 0 12 ? * MON").next_after(NOW) == datetime(2026, 1, 5, 12)


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("kind, text, message", [
    ("timeDate", "tomorrow", "Invalid timeDate 'tomorrow': not an ISO 8601 date-time"),
    ("timeDate", "2026-02-30T00:00:00", "Invalid timeDate '2026-02-30T00:00:00': day is out of range"),
    ("timeDate", "P5", "Invalid timeDate 'P5': not an ISO 8601 duration"),
    ("timeDuration", "PT5", "Invalid timeDuration 'PT5': not an ISO 8601 duration"),
    ("timeDuration", "5 minutes", "Invalid timeDuration '5 minutes': not an ISO 8601 date-time"),
    ("timeDuration", "2026-01-01T00:00:00", "needs a duration or an end after a '/'"),
    ("timeDuration", "PT1H/PT2H", "Invalid timeDuration 'PT1H/PT2H': not an ISO 8601 date-time"),
    ("timeDuration", "a/b/c", "expected [R[n]/]<duration>"),
    ("timeCycle", "R", "expected [R[n]/]<duration>"),
    ("timeCycle", "R/", "expected [R[n]/]<duration>"),
    ("timeCycle", "Rx/PT1H", "the repetition count 'Rx' must be R or R<n> with n >= 0"),
    ("timeCycle", "R-1/PT1H", "the repetition count 'R-1' must be R or R<n> with n >= 0"),
    ("timeCycle", "R/PT0S", "a repeating interval needs a period longer than zero"),
    ("timeCycle", "R/-PT1H", "a repeating interval needs a period longer than zero"),
    ("timeCycle", "R/2026-01-02T00:00:00/2026-01-01T00:00:00", "a period longer than zero"),
    ("timeCycle", "R3/2026-01-01T00:00:00", "needs a duration or an end after a '/'"),
    ("timeCycle", "R3/PT1H/PT2H", "Invalid timeCycle 'R3/PT1H/PT2H': not an ISO 8601 date-time"),
    ("timeCycle", "R1/PT1H/2026-01-01/x", "expected [R[n]/]<duration>"),
    ("timeCycle", "P1D", "needs 6 or 7 fields"),
    ("timeCycle", "   ", "Invalid timeCycle '': the timeCycle is empty"),
    ("timer", "PT5M", "Unknown timer kind 'timer': expected timeDate, timeDuration or timeCycle"),
    ("timeDuration", 5, "Invalid timeDuration '5': a timeDuration must be a text or a date, not int"),
])
def test_invalid_definitions_raise_value_error_naming_kind_and_text(kind, text, message):
    """The parser turns these into a ParseError naming the element; the message names the text."""
    with pytest.raises(ValueError) as caught:
        parse_timer(kind, text)
    assert message in str(caught.value)


@pytest.mark.parametrize("kind, text, message", [
    ("timeCycle", "R/PT0S", "ENGINE-09026 Exception while parsing cycle expression 'R/PT0S': "
                            "a repeating interval needs a period longer than zero"),
    ("timeDuration", "PT5", "ENGINE-09027 Exception while resolving duedate 'PT5': not an ISO 8601 "
                            "duration such as PT5M, P1DT2H or P2W"),
    ("timeDate", "x", "ENGINE-09027 Exception while resolving duedate 'x': not an ISO 8601 "
                      "date-time such as 2026-03-01T10:00:00Z"),
])
def test_engine_message_for_texts_from_expressions(kind, text, message):
    """A text that an expression yields at runtime fails with Camunda's ENGINE-09026/09027."""
    with pytest.raises(TimerError) as caught:
        parse_timer(kind, text)
    assert caught.value.engine_message == message


# ------------------------------------------------------------------------ helpers for jobs
@pytest.mark.parametrize("kind, text, expected", [
    ("timeDuration", "PT5M", "DURATION: PT5M"),
    ("timeDate", "2026-03-01T10:00:00Z", "DATE: 2026-03-01T10:00:00Z"),
    ("timeCycle", "R3/PT10M", "CYCLE: R3/PT10M"),
    ("timeCycle", " ${cycle} ", "CYCLE: ${cycle}"),
])
def test_job_configuration_is_camundas(kind, text, expected):
    """A timer's job definition configuration: the kind in capitals, a colon, the raw text."""
    assert job_configuration(kind, text) == expected


@pytest.mark.parametrize("repeat, offset, expected", [
    ("R3/2026-01-01T00:00:00/PT10M", timedelta(seconds=90), "R3/2026-01-01T00:01:30/PT10M"),
    ("R3/2026-01-01T00:00:00Z/PT10M", timedelta(hours=-1), "R3/2025-12-31T23:00:00/PT10M"),
    ("R/2026-01-01T00:00:00/PT10M", timedelta(milliseconds=250), "R/2026-01-01T00:00:00.250/PT10M"),
    ("R2/2026-01-01T00:00:00/2026-01-01T06:00:00", timedelta(hours=1),
     "R2/2026-01-01T01:00:00/2026-01-01T07:00:00"),
    ("R2/PT1H/2026-01-01T12:00:00", timedelta(hours=1), "R2/PT1H/2026-01-01T12:00:00"),
    ("0 0/5 * * * ?", timedelta(hours=1), "0 0/5 * * * ?"),
    ("R3/2026-01-01T00:00:00/PT10M", timedelta(0), "R3/2026-01-01T00:00:00/PT10M"),
])
def test_shifting_a_cycle_moves_its_anchor(repeat, offset, expected):
    """Cascading a due date change moves anchored cycles; cron and end-based ones stay (Camunda)."""
    assert shift_repeat(repeat, offset) == expected


def test_a_shifted_cycle_keeps_its_rhythm_from_the_new_due_date():
    """After moving the first due date an hour later, successors follow an hour later too."""
    repeat = shift_repeat("R3/2026-01-01T12:00:00/PT10M", timedelta(hours=1))
    assert successor(repeat, datetime(2026, 1, 1, 13, 10, 0, 1000)) == datetime(2026, 1, 1, 13, 20)


def test_format_anchor_keeps_milliseconds_only_when_there_are_some():
    """The repeat text reads back to the same moment."""
    assert format_anchor(datetime(2026, 1, 1, 12)) == "2026-01-01T12:00:00"
    assert format_anchor(datetime(2026, 1, 1, 12, 0, 0, 5000)) == "2026-01-01T12:00:00.005"
    assert parse_datetime(format_anchor(datetime(2026, 1, 1, 12, 0, 0, 5000))) == \
        datetime(2026, 1, 1, 12, 0, 0, 5000)
